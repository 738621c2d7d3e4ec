/**
 * The HTTP API, as the pages call it: JSON in and out, the signed-in user's ID
 * token when a route needs one (it carries the verified email the API reads),
 * and every failure as an `ApiError` (errors.ts). Reads (GET) are retried
 * with backoff when the answer may be transient (no answer, 429, 503).
 */
import { ApiError, errorFromAnswer, isTransient, networkError } from './errors';

export interface ApiOptions {
  /** The API's base URL from config.json, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com`. */
  readonly baseUrl: string;
  /** The current ID token; undefined when signed out. */
  readonly idToken: () => Promise<string | undefined>;
  /** Called when the API refused the token (401): the session is over. */
  readonly onUnauthorized?: () => void;
}

export interface RequestOptions {
  /** Send the ID token: routes with sign-in. Public reads go without, as simple CORS requests (no preflight). */
  readonly auth?: boolean;
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
  readonly signal?: AbortSignal;
}

/** Waits before each retry of a read: three tries in all. */
const READ_BACKOFF_MS = [300, 1000];

export type Api = ReturnType<typeof createApi>;

export function createApi(options: ApiOptions) {
  const base = options.baseUrl.replace(/\/+$/, '');

  async function once<T>(method: string, path: string, init: RequestOptions): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    if (init.auth) {
      const token = await options.idToken();
      if (!token) throw new ApiError(401, 'unauthorized', 'Not signed in');
      headers.authorization = `Bearer ${token}`;
    }
    const query = new URLSearchParams(Object.entries(init.query ?? {}).filter((e): e is [string, string] => e[1] !== undefined)).toString();
    let res: Response;
    try {
      res = await fetch(`${base}${path}${query ? `?${query}` : ''}`, {
        method,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: init.signal,
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (err) {
      if (init.signal?.aborted) throw err;
      throw networkError();
    }
    const text = await res.text().catch(() => '');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (res.ok) return body as T;
    const error = errorFromAnswer(res.status, body);
    if (error.status === 401 && init.auth) options.onUnauthorized?.();
    throw error;
  }

  async function request<T>(method: string, path: string, init: RequestOptions = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await once<T>(method, path, init);
      } catch (err) {
        const wait = READ_BACKOFF_MS[attempt];
        if (method !== 'GET' || wait === undefined || !isTransient(err) || init.signal?.aborted) throw err;
        await sleep(wait, init.signal);
      }
    }
  }

  return {
    get: <T>(path: string, init?: RequestOptions) => request<T>('GET', path, init),
    post: <T>(path: string, body: unknown, init?: RequestOptions) => request<T>('POST', path, { ...init, body }),
    put: <T>(path: string, body: unknown, init?: RequestOptions) => request<T>('PUT', path, { ...init, body }),
    delete: (path: string, init?: RequestOptions) => request<void>('DELETE', path, init),
  };
}

/** Resolves after `ms`, or rejects when `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });
}

/** A page of a list route. */
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

/** Shapes of the API's answers the pages read (functions/lib/domain). */
export interface ConferenceEvent {
  readonly id: string;
  readonly name: string;
  readonly capacity: number;
  readonly startsAt: string;
  readonly registered: number;
}

export interface Registration {
  readonly id: string;
  readonly eventId: string;
  readonly name: string;
  readonly email: string;
  readonly createdAt: string;
}

export interface MyRegistration extends Registration {
  readonly eventName: string;
  readonly startsAt: string;
  /** `pending` until the confirmations task has issued the confirmation. */
  readonly status?: 'pending' | 'confirmed';
  readonly confirmationCode?: string;
}

/** `GET /me/registrations/{id}`: one of the caller's registrations with its confirmation. */
export interface RegistrationDetail extends MyRegistration {
  readonly confirmedAt?: string;
  /** The participation badge, an SVG document (shown as an image). */
  readonly badgeSvg?: string;
}

export interface Post {
  readonly id: string;
  readonly title: string;
  readonly body: string;
  readonly author: string;
  readonly authorId: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}
