/**
 * Our middlewares, in middy's shape: a factory merging `defaults` with options
 * and returning named `before` / `after` / `onError` functions.
 */
import httpJsonBodyParser from '@middy/http-json-body-parser';
import { createError, jsonContentTypePattern } from '@middy/util';
import { config, safeParse, type $ZodError, type $ZodType } from 'zod/v4/core';
import { describeError, log } from '../log';
import { corsFallbackHeaders } from './cors';
import { AppError, unavailable, validationFailed, type ErrorDetail } from './errors';
import { issueMessage } from './issue-messages';
import { finalizeProxyResult, internalErrorResult, JSON_TYPE, toJson, toProxyResult } from './proxy';
import type { HttpEvent } from './types';

interface MiddyRequest {
  event: HttpEvent;
  context: { awsRequestId?: string };
  response: unknown;
  error: unknown;
}

/** A CORS preflight carries no input to parse: the handler answers it (handler.ts). */
const isPreflight = (event: HttpEvent) => event.requestContext?.http?.method === 'OPTIONS';

/** 256 KB: the largest request body a JSON route accepts (decoded bytes). */
export const MAX_BODY_BYTES = 256 * 1024;

/**
 * Deepest JSON nesting a body may have. The parser (`JSON.parse` with
 * middy's prototype-protecting reviver) recurses per level and would fail
 * with a stack overflow somewhere in the thousands, depending on the stack
 * left: a fixed limit answers the same for everyone, and says why.
 */
export const MAX_JSON_DEPTH = 64;

/** How deeply `[` and `{` nest in a JSON text, outside strings (stops counting past `limit`). */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max && (max = depth) > limit) return max;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

// ---------------------------------------------------------------------------
// jsonBody: size and media-type checks, then the official JSON parser
// ---------------------------------------------------------------------------

export interface JsonBodyOptions {
  /** Largest accepted body in decoded bytes. @default 262144 (256 KB) */
  readonly maxBytes?: number;
}

const jsonBodyDefaults = { maxBytes: MAX_BODY_BYTES };

/**
 * A missing or empty body becomes `undefined` (the schema decides if that is
 * allowed). A body over `maxBytes` is a 413, a non-JSON content-type a 415, and
 * the rest goes to `@middy/http-json-body-parser` (prototype-pollution safe).
 */
export function jsonBody(opts: JsonBodyOptions = {}) {
  const options = { ...jsonBodyDefaults, ...opts };
  const parser = httpJsonBodyParser();
  const parse = parser.before as (request: MiddyRequest) => void;

  const jsonBodyBefore = (request: MiddyRequest) => {
    const { event } = request;
    if (isPreflight(event)) return;
    const body = event.body as unknown;
    if (body === undefined || body === null || body === '') {
      event.body = undefined;
      return;
    }
    if (typeof body !== 'string') throw createError(400, 'Invalid request body');
    const bytes = event.isBase64Encoded ? Buffer.byteLength(body, 'base64') : Buffer.byteLength(body, 'utf8');
    if (bytes > options.maxBytes) {
      throw new AppError(413, 'payload_too_large', `The request body is larger than ${options.maxBytes} bytes`);
    }
    const contentType = event.headers?.['content-type'];
    if (!contentType || !jsonContentTypePattern.test(contentType)) {
      throw new AppError(415, 'unsupported_media_type', 'The request body must be JSON (content-type: application/json)');
    }
    const text = event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
    if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
      throw new AppError(400, 'invalid_json', `The request body nests JSON more than ${MAX_JSON_DEPTH} levels deep`);
    }
    parse(request);
  };

  return { before: jsonBodyBefore };
}

// ---------------------------------------------------------------------------
// zodValidator: the schemas are the handler's input types
// ---------------------------------------------------------------------------

// English issue messages: zod/mini loads no locale, and ours cost less cold start than zod's `en`
// (docs/benchmarks.md).
config({ localeError: issueMessage });

/** Any zod schema: `zod/mini` (what the example app uses: tree-shakable) or classic `zod`. */
export type Schema = $ZodType;

export interface ZodValidatorOptions {
  readonly body?: Schema;
  readonly path?: Schema;
  readonly query?: Schema;
}

function issuesOf(prefix: string, error: $ZodError): ErrorDetail[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
}

/**
 * The schema a `z.lazy(() => schema)` stands for, built now (at init, when the
 * handler is created) so requests neither build it nor pay the indirection. A
 * lazy with checks of its own is kept as it is (unwrapping would drop them).
 */
function resolved(schema: Schema | undefined): Schema | undefined {
  let current = schema;
  for (let depth = 0; depth < 8 && current?._zod.def.type === 'lazy' && !current._zod.def.checks?.length; depth++) {
    current = (current._zod as unknown as { innerType: Schema }).innerType;
  }
  return current;
}

/**
 * Validates path parameters, query parameters and the parsed body; replaces
 * them on the event with the schemas' output. Any failure is one 400
 * `validation_failed` listing every issue.
 */
export function zodValidator(opts: ZodValidatorOptions = {}) {
  const body = resolved(opts.body);
  const path = resolved(opts.path);
  const query = resolved(opts.query);

  const zodValidatorBefore = (request: MiddyRequest) => {
    const { event } = request;
    if (isPreflight(event)) return;
    let details: ErrorDetail[] | undefined;
    if (path) {
      const r = safeParse(path, event.pathParameters ?? {});
      if (r.success) event.pathParameters = r.data as HttpEvent['pathParameters'];
      else details = issuesOf('path', r.error);
    }
    if (query) {
      const r = safeParse(query, event.queryStringParameters ?? {});
      if (r.success) event.queryStringParameters = r.data as HttpEvent['queryStringParameters'];
      else details = [...(details ?? []), ...issuesOf('query', r.error)];
    }
    if (body) {
      const r = safeParse(body, event.body);
      if (r.success) (event as { body?: unknown }).body = r.data;
      else details = [...(details ?? []), ...issuesOf('body', r.error)];
    }
    if (details) throw validationFailed(details);
  };

  return { before: zodValidatorBefore };
}

// ---------------------------------------------------------------------------
// proxyResponse: handler value -> payload 2.0 result
// ---------------------------------------------------------------------------

/** Formats the handler's return value (data or `{status, body, headers, cookies}`). */
export function proxyResponse() {
  const proxyResponseAfter = (request: MiddyRequest) => {
    request.response = toProxyResult(request.response);
  };
  return { after: proxyResponseAfter };
}

// ---------------------------------------------------------------------------
// errorContract: every error -> {"error":{"code","message","details"?}}
// ---------------------------------------------------------------------------

const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable_entity',
  429: 'too_many_requests',
};

/** Errors from the data layer that mean "try again shortly" (DB down, resuming, timed out). */
export function isUnavailableError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { unavailable?: unknown }).unavailable === true;
}

/** Maps anything thrown to an error the client may see; unknown errors become 500 internal. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (isUnavailableError(err)) return unavailable(err);
  if (typeof err === 'object' && err !== null) {
    const e = err as { statusCode?: unknown; expose?: unknown; message?: unknown; name?: unknown; cause?: { package?: unknown } };
    if (e.name === 'TimeoutError' && e.cause?.package === '@middy/core') return unavailable(err);
    const status = e.statusCode;
    if (typeof status === 'number' && Number.isInteger(status) && status >= 400 && status < 500 && e.expose !== false) {
      // The official JSON parser reports malformed JSON (and forbidden keys) as 422.
      if (e.cause?.package === '@middy/http-json-body-parser' && status === 422) {
        return new AppError(400, 'invalid_json', `The request body is not valid JSON${e.message === 'Forbidden key in JSON body' ? ' (forbidden key)' : ''}`);
      }
      if (status === 415) return new AppError(415, 'unsupported_media_type', 'The request body must be JSON (content-type: application/json)');
      const message = typeof e.message === 'string' && e.message ? e.message : 'Request failed';
      return new AppError(status, CODE_BY_STATUS[status] ?? 'bad_request', message);
    }
  }
  return new AppError(500, 'internal', 'Internal server error');
}

/**
 * Turns `request.error` into a middy HttpError whose message is our JSON error
 * body, for `@middy/http-error-handler` (which must run after it) to render.
 */
export function errorContract() {
  const errorContractOnError = (request: MiddyRequest) => {
    if (request.response !== undefined) return;
    const appError = toAppError(request.error);
    if (appError.statusCode >= 500) {
      log({
        level: 'error',
        msg: appError.code === 'internal' ? 'unhandled error' : 'dependency unavailable',
        requestId: request.context?.awsRequestId,
        route: request.event?.routeKey,
        error: describeError(request.error),
      });
    }
    const payload: { code: string; message: string; details?: readonly ErrorDetail[] } = {
      code: appError.code,
      message: appError.message,
    };
    if (appError.details) payload.details = appError.details;
    const rendered = createError(appError.statusCode, toJson({ error: payload }), { expose: true }) as Error & {
      headers?: Record<string, string>;
    };
    rendered.headers = { ...appError.headers, 'Content-Type': JSON_TYPE };
    request.error = rendered;
  };
  return { onError: errorContractOnError };
}

// ---------------------------------------------------------------------------
// lastGate: every answer leaves as a valid payload 2.0 result, logged once
// ---------------------------------------------------------------------------

export interface LastGateOptions {
  /** Allowed CORS origins, for an answer the chain could not make (last-resort 500). */
  readonly origins: readonly string[];
  /** `cache-control` of every answer that sets none itself. @default "no-store" */
  readonly cacheControl?: string;
}

/**
 * Registered first, so its `after` and `onError` run last: whatever the chain
 * produced (early preflight answers and error responses included) becomes a
 * well-formed proxy result, and one log line is written per request.
 */
export function lastGate(opts: LastGateOptions) {
  const started = new WeakMap<object, number>();
  const finish = (request: MiddyRequest) => {
    const fallback = () => corsFallbackHeaders(opts.origins, request.event?.headers?.origin);
    const result = request.response === undefined ? internalErrorResult(fallback()) : finalizeProxyResult(request.response, fallback);
    result.headers['cache-control'] ??= opts.cacheControl ?? 'no-store';
    request.response = result;
    const t0 = started.get(request);
    log({
      level: 'info',
      msg: 'request',
      requestId: request.context?.awsRequestId,
      apiRequestId: request.event?.requestContext?.requestId,
      route: request.event?.routeKey,
      method: request.event?.requestContext?.http?.method,
      status: result.statusCode,
      durationMs: t0 === undefined ? undefined : Math.round((performance.now() - t0) * 100) / 100,
    });
  };
  const lastGateBefore = (request: MiddyRequest) => {
    started.set(request, performance.now());
  };
  return { before: lastGateBefore, after: finish, onError: finish };
}
