/**
 * CORS lives in the middy chain only (never also in API Gateway, which would
 * then drop the function's CORS headers). Allowed origins come from
 * `CORS_ORIGINS`, set by the infrastructure from the environment config and by
 * the local runtime.
 */
import httpCors from '@middy/http-cors';

/** Request headers a browser may send cross-origin. */
export const CORS_ALLOW_HEADERS = 'authorization,content-type';
/** Seconds a browser may cache a preflight answer. */
export const CORS_MAX_AGE_SECONDS = 600;
export const DEFAULT_CORS_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

const ORIGIN_PATTERN = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/;

/**
 * Parses `CORS_ORIGINS` (comma-separated exact origins such as
 * `https://app.example.com,http://localhost:5173`). Entries that are not a bare
 * origin (scheme://host[:port], no path, no wildcard) are ignored.
 */
export function parseCorsOrigins(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((o) => o.trim().toLowerCase().replace(/\/$/, ''))
    .filter((o) => ORIGIN_PATTERN.test(o));
}

export interface CorsOptions {
  /** Exact allowed origins. @default - parsed from `CORS_ORIGINS` */
  readonly origins?: readonly string[];
  /** Methods announced in preflight answers. @default GET,POST,PUT,PATCH,DELETE (+OPTIONS) */
  readonly methods?: readonly string[];
}

/**
 * `@middy/http-cors` configured for our contract: the chain answers preflight
 * OPTIONS with 204, allow-methods, allow-headers and max-age; a disallowed
 * origin gets no access-control-allow-origin (a preflight from it is still a
 * 204, without the header, so the browser blocks the real request).
 */
export function cors(options: CorsOptions = {}) {
  const origins = [...(options.origins ?? parseCorsOrigins(process.env.CORS_ORIGINS))];
  const methods = [...new Set([...(options.methods ?? DEFAULT_CORS_METHODS), 'OPTIONS'])].join(',');
  // Two configurations of the official middleware: allow-methods/headers and
  // max-age only mean something on preflight answers, so actual responses get
  // the lean one (origin + vary), which also halves its per-request cost.
  const preflight = httpCors({
    origins,
    disableBeforePreflightResponse: false,
    methods,
    headers: CORS_ALLOW_HEADERS,
    maxAge: CORS_MAX_AGE_SECONDS,
  });
  const actual = httpCors({ origins });
  return {
    origins,
    middleware: { before: preflight.before, after: actual.after, onError: actual.onError },
  };
}

/** CORS headers for a response produced outside the chain (last-resort 500). */
export function corsFallbackHeaders(origins: readonly string[], requestOrigin: string | undefined): Record<string, string> {
  const origin = requestOrigin?.toLowerCase();
  return origin && origins.includes(origin) ? { 'access-control-allow-origin': origin, vary: 'Origin' } : { vary: 'Origin' };
}
