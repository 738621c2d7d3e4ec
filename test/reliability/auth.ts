/**
 * Signing in for the reliability suites, against the runtime's own user pool
 * (cognito-local): real ID tokens minted in-process through the pool's auth
 * flow (`signIn` of scripts/local/cognito/sign-in.ts, what `npm run dev:token`
 * runs), one user per group set; tokens API Gateway's JWT authorizer refuses
 * (tampered, `alg: none`, another key, another pool, expired…); and what the
 * runtime recorded about a request (its access log and the functions' log
 * lines), to prove whether the request reached a function.
 */
import { createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { CreateUserPoolClientCommand, CreateUserPoolCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { RouteDefinition } from '../../functions/registry-types';
import { userPoolClient, type UserPoolState } from '../../scripts/local/cognito';
import { signIn, type SignedIn } from '../../scripts/local/cognito/sign-in';
import type { AccessLog } from '../../scripts/local/gateway';

export interface Users {
  /** The ID token of this suite's user in exactly `groups` (one user per group set, signed in once). */
  token(groups?: readonly string[]): Promise<string>;
  /** The `authorization` header a route needs: a token of a user in its groups when it has `auth`, none when public. */
  headersFor(route: Pick<RouteDefinition, 'auth'> | undefined): Promise<Record<string, string>>;
  /** Signs a user in (created in the pool if needed, added to `groups`). */
  signIn(email: string, groups?: readonly string[]): Promise<SignedIn>;
  /** An ID token of a user of another pool of the same emulator: same signing key, its own issuer and app client. */
  otherPoolToken(): Promise<string>;
}

/** Users of the pool of the runtime whose data dir is `dataDir`. */
export function poolUsers(pool: UserPoolState, dataDir: string): Users {
  const tokens = new Map<string, Promise<string>>();
  let otherPool: Promise<string> | undefined;
  const users: Users = {
    signIn: (email, groups = []) => signIn(pool, dataDir, { email, groups }),
    token(groups = []) {
      const key = [...groups].sort().join('+');
      let token = tokens.get(key);
      if (!token) {
        token = users.signIn(`${key ? `in-${key.replace(/\W/g, '-')}` : 'member'}@reliability.example.com`, groups).then((u) => u.idToken);
        tokens.set(key, token);
        token.catch(() => tokens.delete(key));
      }
      return token;
    },
    async headersFor(route): Promise<Record<string, string>> {
      if (!route?.auth) return {};
      return { authorization: `Bearer ${await users.token(route.auth.groups)}` };
    },
    otherPoolToken: () => (otherPool ??= tokenOfAnotherPool(pool, dataDir)),
  };
  return users;
}

async function tokenOfAnotherPool(pool: UserPoolState, dataDir: string): Promise<string> {
  const client = userPoolClient(pool);
  try {
    const other = await client.send(new CreateUserPoolCommand({ PoolName: 'another-app', UsernameAttributes: ['email'] }));
    const app = await client.send(new CreateUserPoolClientCommand({ UserPoolId: other.UserPool!.Id!, ClientName: 'another-web' }));
    const state = { ...pool, userPoolId: other.UserPool!.Id!, clientId: app.UserPoolClient!.ClientId!, groups: [] };
    return (await signIn(state, dataDir, { email: 'mallory@other-pool.example.com' })).idToken;
  } finally {
    client.destroy();
  }
}

// ---------------------------------------------------------------------------
// Tokens the authorizer refuses
// ---------------------------------------------------------------------------

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The claims of a token (not verified). */
export function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** The token's claims changed (by default: into an organizer, another subject) under its real header and signature. */
export function tampered(token: string, change: Record<string, unknown> = { 'cognito:groups': ['organizers'], sub: '00000000-0000-4000-8000-000000000000' }): string {
  const [header, , signature] = token.split('.');
  return `${header}.${b64({ ...payloadOf(token), ...change })}.${signature}`;
}

/** The token's claims, unsigned (`alg: none`), with an empty signature or its old one. */
export function algNone(token: string, keepSignature = false): string {
  return `${b64({ alg: 'none', typ: 'JWT', kid: 'CognitoLocal' })}.${b64(payloadOf(token))}.${keepSignature ? token.split('.')[2] : ''}`;
}

let otherKey: KeyObject | undefined;
let poolKey: KeyObject | undefined;

/** The claims (changed as given) signed RS256 under the pool key's `kid` by another RSA key. */
export function signedByAnotherKey(token: string, change: Record<string, unknown> = {}): string {
  otherKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  return rs256({ ...payloadOf(token), ...change }, otherKey);
}

/**
 * The claims (changed as given) signed with the local pool's own key (shipped
 * in cognito-local's package): a token whose only fault is a claim, e.g. `exp`
 * in the past, another `aud` or `iss`.
 */
export function signedByPoolKey(token: string, change: Record<string, unknown>): string {
  if (!poolKey) {
    const file = createRequire(import.meta.url).resolve('cognito-local/lib/keys/cognitoLocal.private.json');
    poolKey = createPrivateKey((JSON.parse(readFileSync(file, 'utf8')) as { pem: string }).pem);
  }
  return rs256({ ...payloadOf(token), ...change }, poolKey);
}

function rs256(payload: Record<string, unknown>, key: KeyObject): string {
  const input = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'CognitoLocal' })}.${b64(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

// ---------------------------------------------------------------------------
// Whether a request reached its function
// ---------------------------------------------------------------------------

interface Answered {
  readonly headers: Record<string, string | string[] | undefined>;
}

/**
 * What the runtime recorded per request: its access log entry (the gateway
 * names the function it called, if any) and whether a function wrote its
 * per-request log line (`"apiRequestId"`, the answer's `apigw-requestid`).
 */
export class Invocations {
  private readonly entries = new Map<string, AccessLog>();
  private readonly logged = new Set<string>();
  private readonly partial = new Map<string, string>();

  /** For the runtime's `onRequest`. */
  readonly onRequest = (entry: AccessLog): void => {
    this.entries.set(entry.requestId, entry);
  };

  /** For the runtime's `functionLogs`: whole lines, per function. */
  readonly onFunctionLog = (text: string, functionName: string): void => {
    const lines = `${this.partial.get(functionName) ?? ''}${text}`.split('\n');
    this.partial.set(functionName, lines.pop()!);
    for (const line of lines) {
      const id = /"apiRequestId":"([^"]+)"/.exec(line)?.[1];
      if (id) this.logged.add(id);
    }
  };

  /** The access log entry and whether a function logged the request, by the answer's `apigw-requestid`. */
  of(r: Answered): { readonly requestId: string; readonly access: AccessLog | undefined; readonly functionLogged: boolean } {
    const requestId = String(r.headers['apigw-requestid'] ?? '');
    return { requestId, access: this.entries.get(requestId), functionLogged: this.logged.has(requestId) };
  }

  /** Waits for the function's log line of an answered request (they come over a pipe, after the answer may). */
  async functionLog(r: Answered, timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!this.of(r).functionLogged) {
      if (Date.now() > end) throw new Error(`no function log line for request ${this.of(r).requestId} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/**
 * Attendees for registrations, which are one per user and event: each
 * `take()` is a user with no registration yet (signed in when needed), and a
 * user whose registration was not acknowledged is given back for the next.
 */
export class Attendees {
  private readonly free: string[] = [];
  private count = 0;

  constructor(
    private readonly users: Pick<Users, 'signIn'>,
    private readonly prefix: string,
  ) {}

  /** Signs in `n` users now (concurrently), so that the next `take()`s wait for none. */
  async ahead(n: number): Promise<void> {
    this.free.push(...(await Promise.all(Array.from({ length: n }, () => this.signInNew()))));
  }

  /** The ID token of a user who has registered for nothing (through these attendees). */
  async take(): Promise<string> {
    return this.free.pop() ?? this.signInNew();
  }

  /** A user whose registration was refused: free to register again. */
  giveBack(token: string): void {
    this.free.push(token);
  }

  private async signInNew(): Promise<string> {
    return (await this.users.signIn(`${this.prefix}-${++this.count}@example.com`)).idToken;
  }
}
