/**
 * What went wrong, in words a reader can act on. Three kinds of failure reach
 * the app (docs/handlers.md#error-contract, docs/local-runtime.md#answers-api-gateway-makes-itself):
 *
 * - the API's error contract: `{"error":{"code","message","details"?}}`, with CORS headers;
 * - API Gateway's own answers, `{"message":"Not Found"}` and the like, which
 *   carry no CORS headers: a browser sees them only from the same origin, and
 *   cross-origin they arrive as a network error;
 * - no answer at all (offline, DNS, a refused connection, a CORS refusal).
 *
 * No DOM here: tests call `describeError` directly.
 */

export interface ErrorDetail {
  readonly path: string;
  readonly message: string;
}

/** A failed API call, whatever its kind. */
export class ApiError extends Error {
  constructor(
    /** HTTP status; 0 when no answer could be read. */
    readonly status: number,
    /** The contract's `code`; `gateway` for API Gateway's own answers; `network` when no answer could be read. */
    readonly code: string,
    message: string,
    readonly details: readonly ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Turns an answer that is not 2xx into an ApiError, from its status and its parsed JSON body (if any). */
export function errorFromAnswer(status: number, body: unknown): ApiError {
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  if (error && typeof error.code === 'string') {
    const details = Array.isArray(error.details)
      ? error.details.filter((d): d is ErrorDetail => typeof d?.path === 'string' && typeof d?.message === 'string')
      : [];
    return new ApiError(status, error.code, typeof error.message === 'string' ? error.message : '', details);
  }
  const message = (body as { message?: unknown } | null)?.message;
  return new ApiError(status, 'gateway', typeof message === 'string' ? message : '');
}

/** The error for a fetch that got no readable answer. */
export const networkError = () => new ApiError(0, 'network', 'Failed to fetch');

/** Readable names of request fields (`body.name` → "Name"). */
export type FieldLabels = Readonly<Record<string, string>>;

const CONTRACT: Readonly<Record<string, string>> = {
  event_full: 'This event is full: no seats are left.',
  already_registered: 'You are already registered for this event.',
  version_conflict: 'Someone changed this in the meantime. Reload the page and try again.',
  unauthorized: 'Please sign in again: your session has ended.',
  unavailable: 'The service is busy or briefly unavailable. Please try again in a moment.',
  internal: 'Something went wrong on our side. Please try again.',
  payload_too_large: 'That is too much text to send at once. Please shorten it.',
};

/** API Gateway's own answers, by status. */
const GATEWAY: Readonly<Record<number, string>> = {
  401: 'Please sign in again: your session has ended or is not valid.',
  403: 'You are not allowed to do that.',
  404: 'The app asked the server for something it does not have. Reload the page; if it happens again, please tell us.',
  413: 'That request is too large to send.',
  429: 'Too many requests right now. Please wait a moment and try again.',
  500: 'The server failed to answer. Please try again.',
  503: 'The server did not answer in time. Please try again.',
};

const NETWORK =
  'The server could not be reached, or it refused the request. Check your connection and try again; if it goes on, the service may be down.';

/** A field's readable name: its label, else the path without its `body.`/`query.`/`path.` prefix. */
function fieldName(path: string, labels: FieldLabels): string {
  return labels[path] ?? path.replace(/^(body|query|path)\./, '');
}

/** One sentence (or a few) saying what went wrong and what to do. */
export function describeError(err: unknown, labels: FieldLabels = {}): string {
  if (!(err instanceof ApiError)) return err instanceof Error && err.message ? err.message : 'Something went wrong. Please try again.';
  if (err.code === 'network') return NETWORK;
  if (err.code === 'gateway') return GATEWAY[err.status] ?? `The server answered ${err.status}${err.message ? ` (${err.message})` : ''}. Please try again.`;
  if (err.code === 'validation_failed' && err.details.length > 0) {
    return `Please check: ${err.details.map((d) => `${fieldName(d.path, labels)}: ${d.message}`).join('; ')}.`;
  }
  return CONTRACT[err.code] ?? (err.message || `The request failed (${err.status}). Please try again.`);
}

/** Validation details by field path, for showing each next to its field. */
export function fieldErrors(err: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (err instanceof ApiError && err.code === 'validation_failed') {
    for (const d of err.details) if (!out.has(d.path)) out.set(d.path, d.message);
  }
  return out;
}

/** Whether signing in again would help. */
export const needsSignIn = (err: unknown) => err instanceof ApiError && err.status === 401;

/** Whether trying the same idempotent request again may succeed. */
export const isTransient = (err: unknown) => err instanceof ApiError && (err.status === 0 || err.status === 429 || err.status === 503);

/** Cognito's answers (amazon-cognito-identity-js passes its error `code`/`name` and message on). */
const AUTH: Readonly<Record<string, string>> = {
  NotAuthorizedException: 'Incorrect email or password.',
  // cognito-local answers a wrong password with this one.
  InvalidPasswordException: 'Incorrect email or password.',
  UserNotFoundException: 'Incorrect email or password.',
  UsernameExistsException: 'An account with this email already exists. Sign in instead.',
  UserNotConfirmedException: 'This account is not confirmed yet: enter the code we emailed you.',
  CodeMismatchException: 'That code is not right. Check the email we sent and try again.',
  ExpiredCodeException: 'That code has expired. Ask for a new one.',
  LimitExceededException: 'Too many attempts. Please wait a while and try again.',
  TooManyRequestsException: 'Too many attempts. Please wait a while and try again.',
  TooManyFailedAttemptsException: 'Too many attempts. Please wait a while and try again.',
};

/** A sign-up, sign-in or confirmation failure, readable. `signingUp`: a password refused by the policy says why. */
export function describeAuthError(err: unknown, signingUp = false): string {
  const e = (err ?? {}) as { code?: unknown; name?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (signingUp && (code === 'InvalidPasswordException' || code === 'InvalidParameterException') && message) return message;
  if (code === 'NetworkError' || (err instanceof TypeError && /fetch|network/i.test(message))) {
    return 'The sign-in service could not be reached. Check your connection and try again.';
  }
  return AUTH[code] ?? (message || 'Signing in failed. Please try again.');
}

/** Whether the account exists but awaits its emailed code. */
export const needsConfirmation = (err: unknown) => ((err ?? {}) as { code?: unknown }).code === 'UserNotConfirmedException';
