/**
 * A signed-in user of the running runtime's user pool, as `npm run dev:token`
 * makes one: created if needed (verified email, a generated password kept in
 * `<dataDir>/cognito-users.json`, mode 600), added to groups, then signed in
 * through the pool's own auth flow (InitiateAuth) for its tokens.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  InitiateAuthCommand,
  type AuthenticationResultType,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { isRunning } from '../../../infra/build-support.mjs';
import { readUserPoolState, userPoolClient, type UserPoolState } from './index';

const PASSWORDS_FILE = 'cognito-users.json';
const RUNTIME_LOCK = 'runtime.pid';

export interface SignInRequest {
  readonly email: string;
  /** Groups to add the user to (kept: a later sign-in without them does not remove them). @default - none */
  readonly groups?: readonly string[];
}

export interface SignedIn {
  readonly sub: string;
  readonly idToken: string;
  readonly accessToken: string;
  /** Seconds the tokens are valid for. */
  readonly expiresIn: number;
}

/**
 * The user pool of the runtime running on `dataDir`, or an error saying how
 * to start one.
 */
export async function runningUserPool(dataDir: string): Promise<UserPoolState> {
  const start = 'start it with `npm run dev` (in another terminal), or set LOCAL_DATA_DIR to the data dir of the runtime you started';
  const state = await readUserPoolState(dataDir);
  if (!state) throw new Error(`no local runtime has run on ${dataDir} (no ${path.join(dataDir, 'cognito.json')}): ${start}`);
  const owner = Number(await fs.readFile(path.join(dataDir, RUNTIME_LOCK), 'utf8').catch(() => ''));
  const answering = await fetch(`${state.endpoint}/health`, { signal: AbortSignal.timeout(2000) }).then(
    (r) => r.ok,
    () => false,
  );
  if (!(owner > 0 && isRunning(owner)) || !isRunning(state.pid) || !answering) {
    throw new Error(`no local runtime is running on ${dataDir} (its user pool emulator at ${state.endpoint} does not answer): ${start}`);
  }
  return state;
}

/** Creates the user if needed, adds the groups, and signs in with its password. */
export async function signIn(state: UserPoolState, dataDir: string, request: SignInRequest): Promise<SignedIn> {
  const unknown = (request.groups ?? []).filter((g) => !state.groups.includes(g));
  if (unknown.length) {
    throw new Error(`group ${unknown.join(', ')} is not in the local user pool (its groups: ${state.groups.join(', ') || 'none'}); declare it in the dev config's auth.groups and restart npm run dev`);
  }
  const client = userPoolClient(state);
  try {
    const passwords = await readPasswords(dataDir);
    let password = passwords[request.email];
    const sub = await ensureUser(client, state.userPoolId, request.email, password === undefined);
    if (password === undefined) password = await setPassword(client, state.userPoolId, request.email, passwords, dataDir);
    for (const group of request.groups ?? []) {
      await client.send(new AdminAddUserToGroupCommand({ UserPoolId: state.userPoolId, Username: request.email, GroupName: group }));
    }
    let result = await passwordAuth(client, state.clientId, request.email, password);
    if (!result) {
      // The password kept here is not the user's (changed elsewhere): set a new one.
      password = await setPassword(client, state.userPoolId, request.email, passwords, dataDir);
      result = await passwordAuth(client, state.clientId, request.email, password);
    }
    if (!result?.IdToken || !result.AccessToken) throw new Error(`the local user pool did not sign in ${request.email} (a challenge: is MFA required in the dev config?)`);
    return { sub, idToken: result.IdToken, accessToken: result.AccessToken, expiresIn: result.ExpiresIn ?? secondsLeft(result.IdToken) };
  } finally {
    client.destroy();
  }
}

/** The user's `sub`, after creating the user (verified email, no invitation) when missing. */
async function ensureUser(client: CognitoIdentityProviderClient, userPoolId: string, email: string, create: boolean): Promise<string> {
  const existing = await client.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: email })).catch((err: unknown) => {
    if ((err as { name?: string }).name === 'UserNotFoundException') return undefined;
    throw err;
  });
  if (existing) return existing.UserAttributes?.find((a) => a.Name === 'sub')?.Value ?? '';
  if (!create) throw new Error(`the local user pool has no user ${email}`);
  const created = await client.send(
    new AdminCreateUserCommand({
      UserPoolId: userPoolId,
      Username: email,
      UserAttributes: [
        { Name: 'email', Value: email },
        { Name: 'email_verified', Value: 'true' },
      ],
      MessageAction: 'SUPPRESS',
    }),
  );
  return created.User?.Attributes?.find((a) => a.Name === 'sub')?.Value ?? '';
}

/** A new generated password (every character class), set permanent, and kept. */
async function setPassword(client: CognitoIdentityProviderClient, userPoolId: string, email: string, passwords: Record<string, string>, dataDir: string): Promise<string> {
  const password = `${randomBytes(18).toString('base64url')}Aa1!`;
  await client.send(new AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username: email, Password: password, Permanent: true }));
  passwords[email] = password;
  await keepPassword(dataDir, email, password);
  return password;
}

/** Writes to the passwords file, one at a time per file in this process. */
const passwordWrites = new Map<string, Promise<void>>();

/**
 * Adds a password to the file: read again and replaced whole by a rename, so
 * concurrent sign-ins (in this process or in others) never read a half-written
 * file, and those of this process never drop each other's users. (Across
 * processes a lost entry only means that user's password is set again.)
 */
function keepPassword(dataDir: string, email: string, password: string): Promise<void> {
  const file = path.join(dataDir, PASSWORDS_FILE);
  const write = async () => {
    const passwords = { ...(await readPasswords(dataDir)), [email]: password };
    const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await fs.writeFile(temp, `${JSON.stringify(passwords, null, 2)}\n`, { mode: 0o600 });
    await fs.chmod(temp, 0o600);
    await fs.rename(temp, file);
  };
  const done = (passwordWrites.get(file) ?? Promise.resolve()).then(write);
  const settled = done.catch(() => undefined);
  passwordWrites.set(file, settled);
  void settled.then(() => passwordWrites.get(file) === settled && passwordWrites.delete(file));
  return done;
}

/** USER_PASSWORD_AUTH; undefined when the pool refuses the password. */
async function passwordAuth(client: CognitoIdentityProviderClient, clientId: string, email: string, password: string): Promise<AuthenticationResultType | undefined> {
  try {
    const out = await client.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: email, PASSWORD: password } }));
    return out.AuthenticationResult ?? {};
  } catch (err) {
    // Cognito says NotAuthorizedException; cognito-local, InvalidPasswordException.
    if (['NotAuthorizedException', 'InvalidPasswordException'].includes((err as { name?: string }).name ?? '')) return undefined;
    throw err;
  }
}

/** Seconds until a token's `exp` (cognito-local's answer has no ExpiresIn). */
function secondsLeft(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: number };
  return Math.max(0, Math.round((payload.exp ?? 0) - Date.now() / 1000));
}

async function readPasswords(dataDir: string): Promise<Record<string, string>> {
  const text = await fs.readFile(path.join(dataDir, PASSWORDS_FILE), 'utf8').catch(() => '{}');
  return JSON.parse(text) as Record<string, string>;
}
