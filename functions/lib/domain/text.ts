/**
 * Field rules shared by the example app's domains, so that posts (DynamoDB)
 * and events (PostgreSQL) accept and refuse the same text.
 */
import * as z from 'zod/mini';

/**
 * The text rule: stored text is text that can be shown. Refused, with one
 * message: control characters (Unicode Cc: C0 U+0000-U+001F, DEL, C1
 * U+0080-U+009F) other than tab, and newline in multi-line fields only
 * (PostgreSQL text cannot hold NUL; the others corrupt logs, CSV exports and
 * terminals, and cost 6-7 bytes each in JSON); bidirectional embeddings,
 * overrides and isolates (U+202A-U+202E, U+2066-U+2069: "Trojan Source",
 * CVE-2021-42574, text shown in another order than stored); unpaired UTF-16
 * surrogates (not Unicode: a UTF-8 driver would store U+FFFD instead). In a
 * `u` regex a surrogate pair reads as one code point, so `\p{Cs}` matches only
 * unpaired halves.
 */
const SINGLE_LINE = /^[^\u0000-\u0008\u000A-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\p{Cs}]*$/u;
const MULTI_LINE = /^[^\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\p{Cs}]*$/u;

export const TEXT_RULE_MESSAGE =
  'Must be text without control characters (tab allowed, and newline in multi-line fields), bidirectional override characters or unpaired surrogates';

const shown = (multiline: boolean) => z.regex(multiline ? MULTI_LINE : SINGLE_LINE, { message: TEXT_RULE_MESSAGE });

/** Multi-line text stored as given (a post body): the text rule with newlines allowed, at most `max` characters. */
export const text = (max: number) => z.string().check(z.maxLength(max), shown(true));

/** A name or title: trimmed, then 1 to `max` characters of single-line text. */
export const label = (max: number) => z.string().check(z.trim(), z.minLength(1), z.maxLength(max), shown(false));

/**
 * An id in a path. Ids are UUIDs we issued, and UUIDs are case-insensitive
 * (RFC 9562), so it is lower-cased: `/posts/6F1C…` finds post `6f1c…`.
 * Anything else is just not found (404); only an absurd length is a 400.
 */
export const pathId = () => z.string().check(z.minLength(1), z.maxLength(100), z.toLowerCase());
