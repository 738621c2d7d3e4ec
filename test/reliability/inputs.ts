/**
 * Hostile inputs for fuzzing routes over HTTP (fast-check arbitraries), and
 * generic requests derived from a route's method and path alone: its
 * `{param}`s filled, a query, and a body for POST, PUT and PATCH. A new route
 * is fuzzed with these without anyone listing it.
 */
import fc from 'fast-check';
import type { RouteDefinition } from '../../functions/registry-types';
import { fillPath, request, type Reply } from './harness';

/** Property runs per fuzzed case (`FUZZ_RUNS`). */
export const RUNS = Number(process.env.FUZZ_RUNS ?? 60);

/** Short previews in fast-check's reports (inputs reach 300 KB). */
export function preview(v: string | Buffer): string {
  const text = typeof v === 'string' ? v : `<${v.length} bytes> ${v.toString('hex')}`;
  return text.length > 160 ? `${JSON.stringify(text.slice(0, 160))}…(${text.length} chars)` : JSON.stringify(text);
}

export interface Wire {
  readonly s: string;
}
/** encodeURIComponent that also takes lone surrogates (as their UTF-8 replacement bytes). */
export const enc = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
  }
};
export const wire = (s: string): Wire => ({ s, [fc.toStringMethod]: () => preview(s) }) as Wire;

export const SQL_INJECTIONS = [
  "'; DROP TABLE events; --",
  "' OR '1'='1",
  "'); DELETE FROM registrations; --",
  '"; DROP TABLE registrations CASCADE; --',
  "1; UPDATE events SET capacity = 0; --",
  '$$; DROP TABLE events; $$',
  "E'\\''; TRUNCATE events CASCADE; --",
  ':id; DROP SCHEMA public CASCADE',
  "' UNION SELECT id, name FROM events --",
  "1' AND pg_sleep(5) IS NULL --",
  "\\'; DROP TABLE schema_migrations; --",
  "%' OR 1=1 --",
  "Robert'); DROP TABLE events;--",
];

export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'];

/** Strings a client might send: plain, unicode, control characters, lone surrogates, injections, long. */
export const hostileString = fc.oneof(
  fc.string({ maxLength: 50 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('\u0000', 'a\u0000b', '\ud800', '\udfff\ud800', '\u202e\u0000', '\ufeff', ' ', '', '0', 'null', 'true'),
  fc.constantFrom(...SQL_INJECTIONS),
  fc.constantFrom(...PROTO_KEYS),
  fc.nat({ max: 300_000 }).map((n) => 'x'.repeat(n)),
);

/** Values of the wrong type (or the right one) for any field. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.constantFrom(null, true, false, 0, -1, 1e308, Number.MAX_SAFE_INTEGER + 2, 1.5, '1', '2030-01-01T00:00:00Z'),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
);

/** Deeply nested JSON, as text (JSON.stringify would itself overflow on the deepest). */
const deepJson = fc.tuple(fc.integer({ min: 100, max: 200_000 }), fc.constantFrom('array', 'object', 'field')).map(([depth, kind]) => {
  if (kind === 'array') return '['.repeat(depth) + ']'.repeat(depth);
  if (kind === 'object') return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  return `{"title":${'['.repeat(depth)}${']'.repeat(depth)},"body":"b","author":"a"}`;
});

/** Objects with prototype-pollution keys, written as raw JSON text (so `__proto__` is an own key). */
const protoJson = fc
  .tuple(fc.constantFrom(...PROTO_KEYS), fc.constantFrom('{"polluted":true}', '{"prototype":{"polluted":true}}', '"x"', '1', 'null'))
  .map(([key, value]) => `{"title":"t","body":"b","author":"a","name":"n","capacity":5,"startsAt":"2030-01-01T00:00:00Z","email":"a@example.com","version":1,"${key}":${value}}`);

/** Invalid UTF-8 and other bad encodings (bytes, not text). */
const badBytes = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
  fc.constantFrom(
    Buffer.from([0xff, 0xfe, 0x7b, 0x7d]),
    Buffer.from('{"title":"\xc0\xaf","body":"b","author":"a"}', 'latin1'),
    Buffer.from('{"title":"\xed\xa0\x80","body":"b","author":"a"}', 'latin1'),
    Buffer.from('{"name":"\xf8\x88\x80\x80\x80"}', 'latin1'),
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"title":"t","body":"b","author":"a"}')]),
    Buffer.from('{"title":"t","body":"b","author":"a"}', 'utf16le'),
    Buffer.from('{"title":"t\u0000","body":"b","author":"a"}'),
  ),
);

const contentType = fc.constantFrom<string | undefined>(
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/problem+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'application/jsonx',
  'APPLICATION/JSON',
  '',
  'json',
);

export interface Body {
  readonly bytes: Buffer | string;
  readonly type: string | undefined;
}

/**
 * A body for a JSON route: objects of the given shape with hostile values (or
 * any fields at all for `{}`), random JSON, deep, proto, bad bytes; any content type.
 */
export function bodyFor(shape: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Body> {
  const record = fc.record(
    Object.fromEntries(Object.entries(shape).map(([k, arb]) => [k, fc.oneof({ weight: 3, arbitrary: arb }, { weight: 1, arbitrary: anyValue })])),
    { requiredKeys: [] },
  );
  const extra = fc.tuple(record, fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...PROTO_KEYS)), anyValue, { maxKeys: 2 }));
  const text = fc.oneof(
    { weight: 4, arbitrary: record.map((o) => JSON.stringify(o)) },
    { weight: 1, arbitrary: extra.map(([o, x]) => JSON.stringify({ ...x, ...o })) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 1, arbitrary: deepJson },
    { weight: 1, arbitrary: protoJson },
    { weight: 1, arbitrary: fc.constantFrom('', 'null', '[]', '"str"', '{', '{"a":1,}', 'NaN', '{"title":"t"} trailing') },
  );
  return fc
    .oneof(
      { weight: 5, arbitrary: text.map((bytes) => ({ bytes, type: 'application/json' as string | undefined })) },
      { weight: 2, arbitrary: fc.record({ bytes: text as fc.Arbitrary<Buffer | string>, type: contentType }) },
      { weight: 1, arbitrary: fc.record({ bytes: badBytes as fc.Arbitrary<Buffer | string>, type: contentType }) },
    )
    .map((b) => ({ ...b, [fc.toStringMethod]: () => `${String(b.type)} ${preview(b.bytes)}` }));
}

/** Sends a fuzzed body with its content type (if any) and the given headers. */
export function sendBody(url: string, method: string, target: string, body?: Body, headers: Record<string, string> = {}): Promise<Reply> {
  const all = { ...headers };
  if (body?.type !== undefined) all['content-type'] = body.type;
  return request(url, { method, target, headers: all, body: body?.bytes, timeoutMs: 15_000 });
}

/**
 * Longest path or query part we send: the request line must fit the HTTP
 * server's header limit (16 KB in Node; API Gateway allows 10 KB). Longer
 * URLs are refused by the gateway itself (tested separately).
 */
export const MAX_URL_PART = 6000;

/** A path parameter as sent on the wire (always a single, properly escaped segment, or raw traversal). */
export const pathParam = fc
  .oneof(
    hostileString.map(enc).filter((s) => s.length > 0 && s.length <= MAX_URL_PART),
    fc.constantFrom('..', '.', '..%2F..%2Fetc%2Fpasswd', '%2e%2e', '%2e%2e%2f', '%00', '%ff', '%E0%A4%A', '%', '%25', '%2F', 'a%20b', '%C0%AF'),
    fc.uuid().map(String),
    fc.nat({ max: MAX_URL_PART - 1 }).map((n) => 'a'.repeat(n + 1)),
  )
  .map(wire);

/** A query-string value as sent on the wire. */
export const queryValue = fc.oneof(
  hostileString.map(enc).filter((s) => s.length <= MAX_URL_PART / 2),
  fc.constantFrom('-1', '0', '101', '1e309', 'NaN', 'Infinity', '1.5', '0x10', '%EF%BC%95', '99999999999999999999', '', '%', '%ff', '1%00', '+1', '%205', '5%20', '%E2%80%AE5'),
);

export const queryString = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom('limit', 'cursor', ...PROTO_KEYS, 'limit[]', ''), fc.string({ maxLength: 6 }).map(enc)), queryValue), { maxLength: 3 })
  .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}` : ''))
  .filter((q) => q.length <= MAX_URL_PART);

/** Methods whose requests carry a body. */
export const hasBody = (method: string) => ['POST', 'PUT', 'PATCH'].includes(method);

export interface RouteRequest {
  /** Path and query, as sent. */
  readonly target: string;
  readonly body?: Body;
}

/** The path's `{param}` names, in order. */
function paramsOf(path: string): string[] {
  return [...path.matchAll(/\{([^}+]+)\+?\}/g)].map((m) => m[1]!);
}

/**
 * Hostile requests for a route, from its method and path alone: every path
 * parameter hostile, a hostile query, a hostile body for POST, PUT and PATCH
 * (and now and then one on a GET or DELETE too).
 */
export function requestsFor(route: Pick<RouteDefinition, 'method' | 'path'>): fc.Arbitrary<RouteRequest> {
  const params = fc.tuple(...paramsOf(route.path).map(() => pathParam));
  const body = hasBody(route.method) ? bodyFor({}) : fc.option(bodyFor({}), { freq: 4, nil: undefined });
  return fc.tuple(params, queryString, body).map(([values, query, b]) => {
    const byName = new Map(paramsOf(route.path).map((name, i) => [name, values[i]!.s]));
    return { target: `${fillPath(route.path, (name) => byName.get(name)!)}${query}`, body: b };
  });
}
