/**
 * Who is signed in. The header and the pages read the user from the stored
 * ID token at once (decoded for display only: the API verifies tokens, the
 * app never trusts them); the Cognito library (cognito.ts) is loaded when a
 * token must be fetched, refreshed or revoked.
 */
import type { Cognito } from './cognito';
import type { AppConfig } from './config';

export interface User {
  readonly sub: string;
  readonly email: string;
  readonly groups: readonly string[];
}

export interface Session {
  /** The signed-in user, or undefined. */
  user(): User | undefined;
  /** A valid ID token (refreshed if needed), or undefined when signed out. */
  idToken(): Promise<string | undefined>;
  signIn(email: string, password: string): Promise<User>;
  signUp(email: string, password: string): Promise<{ confirmed: boolean; destination?: string }>;
  confirm(email: string, code: string): Promise<void>;
  resendCode(email: string): Promise<void>;
  signOut(): Promise<void>;
  /** Forgets the tokens (the API refused them). */
  expire(): void;
  /** Calls `listener` whenever the user changes; returns the unsubscribe. */
  onChange(listener: () => void): () => void;
}

/** The claims the app shows, from a JWT's payload (not verified: display only). */
export function userOfToken(token: string | null | undefined): User | undefined {
  try {
    const part = token?.split('.')[1];
    if (!part) return undefined;
    const json = new TextDecoder().decode(Uint8Array.from(atob(part.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)));
    const claims = JSON.parse(json) as { sub?: unknown; email?: unknown; 'cognito:groups'?: unknown; exp?: unknown };
    if (typeof claims.sub !== 'string') return undefined;
    return {
      sub: claims.sub,
      email: typeof claims.email === 'string' ? claims.email : '',
      groups: Array.isArray(claims['cognito:groups']) ? claims['cognito:groups'].map(String) : [],
    };
  } catch {
    return undefined;
  }
}

/** The ID token the library keeps for the last user of this app client in `storage`. */
function storedIdToken(config: AppConfig, storage: Storage): string | null {
  const prefix = `CognitoIdentityServiceProvider.${config.userPoolClientId}`;
  const last = storage.getItem(`${prefix}.LastAuthUser`);
  return last ? storage.getItem(`${prefix}.${last}.idToken`) : null;
}

/** Set while the page reloads to fetch a chunk a deploy replaced (at most once per tab until it loads). */
const RELOADED_FOR_CHUNK = 'sps.reloadedForChunk';

/**
 * The sign-in library, a chunk of its own. A deploy replaces the hashed
 * files, so a page loaded before it may ask for a chunk that is gone: reload
 * once to get the new index.html instead of failing sign-in.
 */
function loadCognito(): Promise<typeof import('./cognito')> {
  return import('./cognito').then(
    (m) => (sessionStorage.removeItem(RELOADED_FOR_CHUNK), m),
    (err: unknown) => {
      if (sessionStorage.getItem(RELOADED_FOR_CHUNK)) throw err;
      sessionStorage.setItem(RELOADED_FOR_CHUNK, '1');
      location.reload();
      return new Promise<never>(() => undefined); // the page is going away
    },
  );
}

export function createSession(config: AppConfig, storage: Storage = sessionStorage): Session {
  const listeners = new Set<() => void>();
  let current = userOfToken(storedIdToken(config, storage));
  let cognito: Promise<Cognito> | undefined;
  const lib = () => (cognito ??= loadCognito().then((m) => m.createCognito(config, storage)));
  const set = (user: User | undefined) => {
    const changed = user?.sub !== current?.sub;
    current = user;
    if (changed) listeners.forEach((l) => l());
  };

  return {
    user: () => current,
    async idToken() {
      if (!current) return undefined;
      const token = await (await lib()).currentIdToken();
      set(userOfToken(token));
      return token;
    },
    async signIn(email, password) {
      const token = await (await lib()).signIn(email, password);
      const user = userOfToken(token)!;
      set(user);
      return user;
    },
    signUp: async (email, password) => (await lib()).signUp(email, password),
    confirm: async (email, code) => (await lib()).confirm(email, code),
    resendCode: async (email) => (await lib()).resendCode(email),
    async signOut() {
      await (await lib()).signOut();
      set(undefined);
    },
    expire() {
      void lib().then((c) => c.signOut());
      set(undefined);
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
