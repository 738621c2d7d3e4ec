/** Errors of the data layer, classified so the HTTP layer can answer well. */

/**
 * The database could not be reached or is not ready (connection refused or
 * reset, pool/connect timeout, Aurora resuming, statement timeout). The HTTP
 * layer answers 503 `unavailable` with `retry-after`.
 */
export class DataUnavailableError extends Error {
  readonly unavailable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DataUnavailableError';
  }
}

/** A statement failed in the database; `code` is the Postgres SQLSTATE when known. */
export class SqlError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SqlError';
    this.code = code;
  }
}

/** Missing or invalid configuration (environment variables). */
export class DataConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataConfigError';
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * SQLSTATE classes/codes that mean "try again": connection exceptions (08),
 * insufficient resources (53), operator intervention (57: admin shutdown,
 * cannot connect now, query canceled by statement_timeout), serialization
 * failure and deadlock (40001, 40P01).
 */
export function isTransientSqlState(code: string | undefined): boolean {
  if (!code || code.length !== 5) return false;
  return code.startsWith('08') || code.startsWith('53') || code.startsWith('57') || code === '40001' || code === '40P01';
}

/** True for socket-level failures (Node error codes) and pg-pool's connect timeout. */
export function isNetworkError(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 3) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  const message = (err as { message?: unknown }).message;
  if (
    typeof message === 'string' &&
    /timeout exceeded when trying to connect|Connection terminated|Query read timeout|connection (?:is )?(?:closed|ended)|Client has encountered a connection error|socket hang up|\b(?:ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ENOTFOUND)\b/i.test(message)
  ) {
    return true;
  }
  // SDK and pool wrappers keep the socket error as the cause.
  return isNetworkError((err as { cause?: unknown }).cause, depth + 1);
}
