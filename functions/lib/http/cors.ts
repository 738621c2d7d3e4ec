/**
 * CORS lives in the middy chain only (never also in API Gateway, which would
 * then drop the function's CORS headers). Allowed origins come from
 * `CORS_ORIGINS`, set by the infrastructure from the environment config and by
 * the local runtime.
 */
import httpCors from '@middy/http-cors';
import { ORIGIN_PATTERN } from './origin';

/** Request headers a browser may send cross-origin. */
export const CORS_ALLOW_HEADERS = 'authorization,content-type';
/** Seconds a browser may cache a preflight answer. */
export const CORS_MAX_AGE_SECONDS = 600;
export const DEFAULT_CORS_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

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
  /**
   * Methods announced in preflight answers.
   * @default - `CORS_METHODS` (the methods of the route's path, set by the stack), else GET,POST,PUT,PATCH,DELETE; OPTIONS always
   */
  readonly methods?: readonly string[];
}

const isPreflight = (request: { event: unknown }) => (request.event as { requestContext?: { http?: { method?: string } } } | undefined)?.requestContext?.http?.method === 'OPTIONS';

/**
 * `@middy/http-cors` configured for our contract. Preflight OPTIONS requests
 * reach the handler, which answers 204 (httpHandler), so every `after`
 * middleware (security headers, the last gate) sees them too: middy skips all
 * of them for an early response. Preflight answers get allow-methods,
 * allow-headers and max-age; a disallowed origin gets no
 * access-control-allow-origin (the browser then blocks the real request).
 * Actual responses get the lean configuration (origin + vary).
 */
export function cors(options: CorsOptions = {}) {
  const origins = [...(options.origins ?? parseCorsOrigins(process.env.CORS_ORIGINS))];
  const fromEnv = process.env.CORS_METHODS?.split(',').map((m) => m.trim().toUpperCase()).filter(Boolean);
  const methods = [...new Set([...(options.methods ?? (fromEnv?.length ? fromEnv : DEFAULT_CORS_METHODS)), 'OPTIONS'])].join(',');
  const preflight = httpCors({ origins, methods, headers: CORS_ALLOW_HEADERS, maxAge: CORS_MAX_AGE_SECONDS });
  const actual = httpCors({ origins });
  type CorsRequest = Parameters<NonNullable<typeof actual.after>>[0];
  const corsAfter = (request: CorsRequest) => (isPreflight(request) ? preflight.after!(request) : actual.after!(request));
  const corsOnError = (request: CorsRequest) => actual.onError!(request);
  return { origins, middleware: { after: corsAfter, onError: corsOnError } };
}

/** CORS headers for a response produced outside the chain (last-resort 500). */
export function corsFallbackHeaders(origins: readonly string[], requestOrigin: string | undefined): Record<string, string> {
  const origin = requestOrigin?.toLowerCase();
  return origin && origins.includes(origin) ? { 'access-control-allow-origin': origin, vary: 'Origin' } : { vary: 'Origin' };
}
