/**
 * Errors a handler may throw, rendered by the error contract as
 * `{"error":{"code","message","details"?}}`. Anything else becomes a 500
 * `internal` with a generic message.
 */
import { createError } from '@middy/util';

export interface ErrorDetail {
  readonly path: string;
  readonly message: string;
}

export interface AppErrorOptions {
  readonly details?: readonly ErrorDetail[];
  /** Extra response headers, e.g. `retry-after`. */
  readonly headers?: Record<string, string>;
  readonly cause?: unknown;
}

/** An error that is part of the API: its status, code and message reach the client. */
export class AppError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly details?: readonly ErrorDetail[];
  readonly headers?: Record<string, string>;
  readonly expose = true;

  constructor(statusCode: number, code: string, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.statusCode = statusCode;
    this.code = code;
    if (options.details) this.details = options.details;
    if (options.headers) this.headers = options.headers;
  }
}

export const badRequest = (code: string, message: string, details?: readonly ErrorDetail[]) =>
  new AppError(400, code, message, details ? { details } : {});

export const validationFailed = (details: readonly ErrorDetail[]) =>
  new AppError(400, 'validation_failed', 'The request is invalid', { details });

export const notFound = (message = 'Not found') => new AppError(404, 'not_found', message);

export const conflict = (code: string, message: string) => new AppError(409, code, message);

/** Seconds a client should wait before retrying a 503. */
export const RETRY_AFTER_SECONDS = 1;

export const unavailable = (cause?: unknown) =>
  new AppError(503, 'unavailable', 'The service is temporarily unavailable; retry shortly', {
    headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
    cause,
  });

/** middy's own HttpError factory, re-exported for middlewares written in its shape. */
export { createError };
