/**
 * Field rules shared by the example app's domains, so that posts (DynamoDB)
 * and events (PostgreSQL) accept and refuse the same text.
 */
import * as z from 'zod/mini';

/**
 * No NUL (PostgreSQL text cannot hold it: refused as bad input, 400, rather
 * than failing in the database, 500) and no unpaired UTF-16 surrogate (not
 * Unicode text: a UTF-8 driver would silently store U+FFFD instead). In a
 * `u` regex a surrogate pair reads as one code point, so `\p{Cs}` matches only
 * unpaired halves.
 */
const PLAIN_TEXT = /^[^\u0000\p{Cs}]*$/u;

const plain = () => z.regex(PLAIN_TEXT, { message: 'Must be Unicode text without NUL characters or unpaired surrogates' });

/** Text the API stores as given: no NUL characters or unpaired surrogates, at most `max` characters. */
export const text = (max: number) => z.string().check(z.maxLength(max), plain());

/** A name or title: trimmed, then 1 to `max` characters of `text`. */
export const label = (max: number) => z.string().check(z.trim(), z.minLength(1), z.maxLength(max), plain());

/**
 * An id in a path. Ids are UUIDs we issued, and UUIDs are case-insensitive
 * (RFC 9562), so it is lower-cased: `/posts/6F1C…` finds post `6f1c…`.
 * Anything else is just not found (404); only an absurd length is a 400.
 */
export const pathId = () => z.string().check(z.minLength(1), z.maxLength(100), z.toLowerCase());
