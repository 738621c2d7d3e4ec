/**
 * English messages for zod issues, in the words of zod's own `en` locale but
 * without it: the locale module (with its format and type dictionaries) costs
 * ~3% of a function's cold-start import, on every function, while messages are
 * only needed when a request is invalid. This covers the issue codes the
 * schemas of `zod/mini` raise; anything else reads "Invalid input".
 */
import type { $ZodRawIssue } from 'zod/v4/core';

const SIZE_UNITS: Record<string, string> = { string: 'characters', file: 'bytes', array: 'items', set: 'items', map: 'entries' };

const FORMAT_NAMES: Record<string, string> = {
  email: 'email address',
  url: 'URL',
  uuid: 'UUID',
  uuidv4: 'UUIDv4',
  uuidv6: 'UUIDv6',
  guid: 'GUID',
  datetime: 'ISO datetime',
  date: 'ISO date',
  time: 'ISO time',
  duration: 'ISO duration',
  ipv4: 'IPv4 address',
  ipv6: 'IPv6 address',
  cidrv4: 'IPv4 range',
  cidrv6: 'IPv6 range',
  base64: 'base64-encoded string',
  base64url: 'base64url-encoded string',
  json_string: 'JSON string',
  e164: 'E.164 number',
  jwt: 'JWT',
};

/** What a value is, for "expected X, received Y". */
function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : Number.isFinite(value) ? 'number' : String(value);
  return typeof value;
}

const show = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : typeof value === 'bigint' ? `${value}n` : String(value));

function bound(issue: { origin?: string; exact?: boolean; inclusive?: boolean }, limit: unknown, big: boolean): string {
  const adj = issue.exact ? 'exactly ' : issue.inclusive ? (big ? '<=' : '>=') : big ? '<' : '>';
  const unit = issue.origin ? SIZE_UNITS[issue.origin] : undefined;
  const subject = issue.origin ?? 'value';
  return `Too ${big ? 'big' : 'small'}: expected ${subject} ${unit ? `to have ${adj}${String(limit)} ${unit}` : `to be ${adj}${String(limit)}`}`;
}

/** `localeError` for `config()`: the message of one issue. */
export function issueMessage(issue: $ZodRawIssue): string {
  const i = issue as $ZodRawIssue & Record<string, unknown>;
  switch (issue.code) {
    case 'invalid_type':
      return `Invalid input: expected ${String(i.expected)}, received ${typeOf(issue.input)}`;
    case 'invalid_value': {
      const values = (i.values as unknown[]) ?? [];
      return values.length === 1 ? `Invalid input: expected ${show(values[0])}` : `Invalid option: expected one of ${values.map(show).join('|')}`;
    }
    case 'too_big':
      return bound(i as never, i.maximum, true);
    case 'too_small':
      return bound(i as never, i.minimum, false);
    case 'invalid_format': {
      const format = String(i.format);
      if (format === 'starts_with') return `Invalid string: must start with "${String(i.prefix)}"`;
      if (format === 'ends_with') return `Invalid string: must end with "${String(i.suffix)}"`;
      if (format === 'includes') return `Invalid string: must include "${String(i.includes)}"`;
      if (format === 'regex') return `Invalid string: must match pattern ${String(i.pattern)}`;
      return `Invalid ${FORMAT_NAMES[format] ?? format}`;
    }
    case 'not_multiple_of':
      return `Invalid number: must be a multiple of ${String(i.divisor)}`;
    case 'unrecognized_keys': {
      const keys = (i.keys as string[]) ?? [];
      return `Unrecognized key${keys.length > 1 ? 's' : ''}: ${keys.map((k) => JSON.stringify(k)).join(', ')}`;
    }
    case 'invalid_key':
      return `Invalid key in ${String(i.origin)}`;
    case 'invalid_element':
      return `Invalid value in ${String(i.origin)}`;
    default:
      return 'Invalid input';
  }
}
