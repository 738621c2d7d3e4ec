/**
 * Errors shaped as the service returns them: a status, the
 * `x-amzn-errortype` header (`type`) and `{"message": ...}`.
 */
import type pg from 'pg';

export class DataApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** A call error (missing fields, bad parameters). */
export const badRequest = (message: string) => new DataApiError('BadRequestException', message);

export const transactionNotFound = (id: string) => new DataApiError('TransactionNotFoundException', `Transaction ${id} is not found`, 404);

export function accessDenied(who: string, action: string, resource: string): DataApiError {
  return new DataApiError(
    'AccessDeniedException',
    `User: arn:aws:sts::000000000000:assumed-role/${who}/${who} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`,
    403,
  );
}

/** What a failed call answers: ours as is, a Postgres error with its SQLState, anything else (a lost connection) as unavailable. */
export function serviceError(err: unknown): DataApiError {
  if (err instanceof DataApiError) return err;
  const e = err as pg.DatabaseError;
  if (e && typeof e === 'object' && typeof e.code === 'string' && e.severity) {
    const detail = e.detail ? `\n  Detail: ${e.detail}` : '';
    const position = e.position ? `\n  Position: ${e.position}` : '';
    return new DataApiError('DatabaseErrorException', `${e.severity}: ${e.message}${detail}${position}; SQLState: ${e.code}`);
  }
  return new DataApiError('DatabaseUnavailableException', 'The database is unavailable.', 504);
}
