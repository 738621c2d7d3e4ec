/**
 * Proxy-result formatting. `toProxyResult` turns what a handler returns into an
 * API Gateway payload 2.0 result; `finalizeProxyResult` is the last gate every
 * response passes (early preflight answers and error responses included), so a
 * "Malformed Lambda proxy response" cannot happen whatever the chain produced.
 */
import type { ProxyResult } from './types';

const RESPONSE = Symbol.for('sps.httpResponse');

/** An explicit response: status, body and optional headers and cookies. */
export interface HttpResponse<T = unknown> {
  readonly status: number;
  readonly body?: T;
  readonly headers?: Record<string, string | number | boolean | readonly string[] | undefined>;
  readonly cookies?: readonly string[];
}

/** Builds an explicit response, e.g. `return reply(201, post)`. */
export function reply<T>(status: number, body?: T, extra: Omit<HttpResponse<T>, 'status' | 'body'> = {}): HttpResponse<T> {
  return { [RESPONSE]: true, status, body, ...extra } as HttpResponse<T>;
}

const RESPONSE_KEYS = new Set(['status', 'body', 'headers', 'cookies']);

/**
 * A handler's value is an explicit response when built with `reply()`, or when
 * it is a plain object with an integer `status` and only the keys
 * status/body/headers/cookies. Anything else is data sent as a 200.
 */
export function isHttpResponse(value: unknown): value is HttpResponse {
  if (typeof value !== 'object' || value === null) return false;
  if ((value as Record<symbol, unknown>)[RESPONSE] === true) return true;
  if (!Number.isInteger((value as { status?: unknown }).status)) return false;
  for (const key of Object.keys(value)) if (!RESPONSE_KEYS.has(key)) return false;
  return true;
}

export const JSON_TYPE = 'application/json';
const TEXT_TYPE = 'text/plain; charset=utf-8';
const BINARY_TYPE = 'application/octet-stream';

const bigintReplacer = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);

/** JSON text of a value; bigints become strings; throws on cycles or non-JSON values. */
export function toJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    if (!(err instanceof TypeError) || !/BigInt/i.test(err.message)) throw err;
    text = JSON.stringify(value, bigintReplacer);
  }
  if (text === undefined) throw new TypeError(`a ${typeof value} cannot be sent as JSON`);
  return text;
}

interface EncodedBody {
  body: string;
  isBase64Encoded: boolean;
  contentType: string | undefined;
}

function encodeBody(body: unknown, emptyWhenNullish: boolean): EncodedBody {
  if (body === undefined || (body === null && emptyWhenNullish)) return { body: '', isBase64Encoded: false, contentType: undefined };
  if (typeof body === 'string') return { body, isBase64Encoded: false, contentType: TEXT_TYPE };
  if (body instanceof Uint8Array) {
    return { body: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64'), isBase64Encoded: true, contentType: BINARY_TYPE };
  }
  if (body instanceof ArrayBuffer) return { body: Buffer.from(body).toString('base64'), isBase64Encoded: true, contentType: BINARY_TYPE };
  return { body: toJson(body), isBase64Encoded: false, contentType: JSON_TYPE };
}

const hasLineBreak = (v: string) => v.indexOf('\n') !== -1 || v.indexOf('\r') !== -1;

// Responses reuse a handful of header names: cache their lower-case form (no allocation per request).
const lowerNames = new Map<string, string>();
function lowerName(name: string): string {
  let lower = lowerNames.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    if (lowerNames.size < 500) lowerNames.set(name, lower);
  }
  return lower;
}

/** Lower-cases header names and makes every value a string; drops empty ones. */
export function normalizeHeaders(input: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof input !== 'object' || input === null) return out;
  const source = input as Record<string, unknown>;
  for (const rawKey in source) {
    if (!Object.hasOwn(source, rawKey)) continue;
    const raw = source[rawKey];
    let value: string;
    if (typeof raw === 'string') value = raw;
    else if (typeof raw === 'number' || typeof raw === 'boolean' || typeof raw === 'bigint') value = String(raw);
    else if (Array.isArray(raw)) value = raw.filter((v) => typeof v === 'string' || typeof v === 'number').join(', ');
    else continue;
    // Header values cannot hold line breaks (response splitting).
    if (hasLineBreak(value)) continue;
    const key = lowerName(rawKey);
    if (key === 'vary' && out.vary) out.vary = mergeTokens(out.vary, value);
    else out[key] = value;
  }
  return out;
}

function mergeTokens(a: string, b: string): string {
  const seen = new Set<string>();
  const tokens: string[] = [];
  for (const t of `${a},${b}`.split(',')) {
    const token = t.trim();
    if (token && !seen.has(token.toLowerCase())) {
      seen.add(token.toLowerCase());
      tokens.push(token);
    }
  }
  return tokens.join(', ');
}

function cookiesOf(input: unknown): string[] | undefined {
  if (!Array.isArray(input)) return undefined;
  const cookies = input.filter((c): c is string => typeof c === 'string' && c.length > 0 && !hasLineBreak(c));
  return cookies.length > 0 ? cookies : undefined;
}

/** Converts a handler's return value into a proxy result (throws on unserialisable data). */
export function toProxyResult(value: unknown): ProxyResult {
  let status: number;
  let encoded: EncodedBody;
  let headers: Record<string, string>;
  let cookies: string[] | undefined;
  if (isHttpResponse(value)) {
    status = value.status;
    encoded = encodeBody(value.body, true);
    headers = normalizeHeaders(value.headers);
    cookies = cookiesOf(value.cookies);
  } else {
    status = value === undefined ? 204 : 200;
    encoded = encodeBody(value, false);
    headers = {};
  }
  if (status < 100 || status > 599) throw new RangeError(`invalid HTTP status ${status}`);
  if (encoded.contentType && !headers['content-type']) headers['content-type'] = encoded.contentType;
  const result: ProxyResult = { statusCode: status, headers, body: encoded.body, isBase64Encoded: encoded.isBase64Encoded };
  if (cookies) result.cookies = cookies;
  return result;
}

const INTERNAL_BODY = '{"error":{"code":"internal","message":"Internal server error"}}';

/** The 500 sent when nothing better can be produced. */
export function internalErrorResult(headers: Record<string, string> = {}): ProxyResult {
  return {
    statusCode: 500,
    headers: { ...headers, 'content-type': JSON_TYPE, 'cache-control': 'no-store' },
    body: INTERNAL_BODY,
    isBase64Encoded: false,
  };
}

/**
 * The last gate: whatever the chain produced, return a well-formed payload 2.0
 * result (integer status, string body, lower-case string headers with a
 * content-type and `vary: origin`, boolean isBase64Encoded, string cookies).
 */
export function finalizeProxyResult(value: unknown, fallbackHeaders: () => Record<string, string> = () => ({})): ProxyResult {
  if (typeof value !== 'object' || value === null) return internalErrorResult(fallbackHeaders());
  const raw = value as { statusCode?: unknown; headers?: unknown; body?: unknown; isBase64Encoded?: unknown; cookies?: unknown };
  const statusCode = raw.statusCode;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    return internalErrorResult(fallbackHeaders());
  }
  const headers = normalizeHeaders(raw.headers);
  let body: string;
  let isBase64Encoded = raw.isBase64Encoded === true;
  if (typeof raw.body === 'string') body = raw.body;
  else {
    let encoded: EncodedBody;
    try {
      encoded = encodeBody(raw.body, true);
    } catch {
      return internalErrorResult(fallbackHeaders());
    }
    body = encoded.body;
    isBase64Encoded = encoded.isBase64Encoded;
    if (encoded.contentType && !headers['content-type']) headers['content-type'] = encoded.contentType;
  }
  headers['content-type'] ??= JSON_TYPE;
  const vary = headers.vary;
  headers.vary = !vary ? 'Origin' : /(^|,)\s*origin\s*(,|$)/i.test(vary) ? vary : mergeTokens(vary, 'Origin');
  const result: ProxyResult = { statusCode, headers, body, isBase64Encoded };
  const cookies = cookiesOf(raw.cookies);
  if (cookies) result.cookies = cookies;
  return result;
}
