/**
 * The local Cognito user pool: cognito-local (emulator.mjs) in a child process
 * of the runtime, with the pool, app client and groups of the environment
 * config. Its data lives in `<dataDir>/cognito/`; the pool and client are made
 * once and kept, so their ids survive restarts, and `<dataDir>/cognito.json`
 * says where they are (`npm run dev:token` reads it).
 *
 *   start the emulator → the pool (kept or made) → the app client → the groups → the state file
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DeleteGroupCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  ListGroupsCommand,
  UpdateUserPoolClientCommand,
  UpdateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import type { EnvironmentConfig } from '../../../infra/config';
import { LOCAL_AWS_CREDENTIALS } from '../dynamo';
import { appClientSettings, authSettingsOf, userPoolSettings } from './settings';

/** Where a runtime says where its user pool is, in its data dir. */
export const USER_POOL_STATE_FILE = 'cognito.json';

export interface UserPoolState {
  /** The emulator's Cognito API, e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string;
  readonly region: string;
  readonly userPoolId: string;
  readonly clientId: string;
  /** `iss` of the pool's tokens: `<endpoint>/<userPoolId>`, as Cognito's `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`. */
  readonly issuer: string;
  /** The pool's signing keys, at Cognito's path: `<issuer>/.well-known/jwks.json`. */
  readonly jwksUri: string;
  readonly groups: readonly string[];
  /** The emulator's process id. */
  readonly pid: number;
}

export interface LocalUserPool extends UserPoolState {
  stop(): Promise<void>;
}

export interface UserPoolOptions {
  readonly config: EnvironmentConfig;
  /** The runtime's data dir: the pool lives in `<dataDir>/cognito/`. */
  readonly dataDir: string;
  /** Errors the emulator logs. @default - none */
  readonly log?: (message: string) => void;
}

const EMULATOR_FILE = new URL('./emulator.mjs', import.meta.url);
const STARTUP_TIMEOUT_MS = 20_000;

/** A Cognito client for the emulator (it checks no signature; any credentials do). */
export function userPoolClient(state: Pick<UserPoolState, 'endpoint' | 'region'>): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({ endpoint: state.endpoint, region: state.region, credentials: LOCAL_AWS_CREDENTIALS, maxAttempts: 1 });
}

/** The state file of a data dir, or undefined when no runtime ever started a pool there. */
export async function readUserPoolState(dataDir: string): Promise<UserPoolState | undefined> {
  const text = await fs.readFile(path.join(dataDir, USER_POOL_STATE_FILE), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as UserPoolState);
}

export async function startUserPool(options: UserPoolOptions): Promise<LocalUserPool> {
  const { config } = options;
  const previous = await readUserPoolState(options.dataDir);
  const emulator = await startEmulator(path.join(options.dataDir, 'cognito'), previous, options.log ?? (() => undefined));
  const client = userPoolClient({ endpoint: emulator.endpoint, region: config.region });
  try {
    const auth = authSettingsOf(config);
    const userPoolId = await ensurePool(client, userPoolSettings(config, auth), previous?.userPoolId);
    const clientId = await ensureAppClient(client, appClientSettings(config, auth, userPoolId), previous?.clientId);
    await ensureGroups(client, userPoolId, auth.groups);
    const issuer = `${emulator.endpoint}/${userPoolId}`;
    const state: UserPoolState = {
      endpoint: emulator.endpoint,
      region: config.region,
      userPoolId,
      clientId,
      issuer,
      jwksUri: `${issuer}/.well-known/jwks.json`,
      groups: auth.groups,
      pid: emulator.child.pid!,
    };
    await fs.writeFile(path.join(options.dataDir, USER_POOL_STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
    return { ...state, stop: emulator.stop };
  } catch (err) {
    await emulator.stop();
    throw err;
  } finally {
    client.destroy();
  }
}

/**
 * Forks the emulator on the port of the last run when it is free (so tokens
 * minted then keep their issuer), else any free port. It exits when this
 * process does, even SIGKILLed: its IPC channel closes.
 */
async function startEmulator(dataDir: string, previous: UserPoolState | undefined, log: (m: string) => void) {
  await fs.mkdir(dataDir, { recursive: true });
  const port = previous ? Number(new URL(previous.endpoint).port) : 0;
  const child: ChildProcess = fork(EMULATOR_FILE, [JSON.stringify({ dataDir, port })], {
    execPath: process.execPath,
    execArgv: [],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const lines = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) log(`cognito-local: ${line.trim()}`);
  };
  child.stdout!.on('data', lines);
  child.stderr!.on('data', lines);
  // Codes Cognito would email (sign-up confirmation, password reset): printed, since nothing is sent locally.
  child.on('message', (m: { type: string; destination?: string; code?: string }) => {
    if (m.type === 'code') log(`Cognito code for ${m.destination}: ${m.code} (locally printed, not emailed)`);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the Cognito user pool emulator did not start within ${STARTUP_TIMEOUT_MS / 1000} s`)), STARTUP_TIMEOUT_MS);
    const onReady = (m: { type: string; port: number }) => {
      if (m.type !== 'ready') return;
      child.off('message', onReady);
      clearTimeout(timer);
      resolve(m.port);
    };
    child.on('message', onReady);
    child.once('error', (err) => (clearTimeout(timer), reject(err)));
    child.once('exit', (code, signal) => (clearTimeout(timer), reject(new Error(`the Cognito user pool emulator exited during startup (${signal ?? `code ${code}`})`))));
  }).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exited;
  };
  return { child, endpoint: `http://127.0.0.1:${ready}`, stop };
}

const isNotFound = (err: unknown) => (err as { name?: string }).name === 'ResourceNotFoundException';

/** The pool of the last run, with the config's settings, or a new one. */
async function ensurePool(client: CognitoIdentityProviderClient, settings: ReturnType<typeof userPoolSettings>, previousId: string | undefined): Promise<string> {
  if (previousId) {
    const found = await client.send(new DescribeUserPoolCommand({ UserPoolId: previousId })).catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
    if (found) {
      const { PoolName: _name, UsernameAttributes: _immutable, ...changeable } = settings;
      await client.send(new UpdateUserPoolCommand({ UserPoolId: previousId, ...changeable }));
      return previousId;
    }
  }
  const created = await client.send(new CreateUserPoolCommand(settings));
  return created.UserPool!.Id!;
}

/** The app client of the last run, with the config's settings, or a new one. */
async function ensureAppClient(client: CognitoIdentityProviderClient, settings: ReturnType<typeof appClientSettings>, previousId: string | undefined): Promise<string> {
  if (previousId) {
    const found = await client
      .send(new DescribeUserPoolClientCommand({ UserPoolId: settings.UserPoolId, ClientId: previousId }))
      .catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
    if (found?.UserPoolClient) {
      const { GenerateSecret: _secret, ...changeable } = settings;
      await client.send(new UpdateUserPoolClientCommand({ ...changeable, ClientId: previousId }));
      return previousId;
    }
  }
  const created = await client.send(new CreateUserPoolClientCommand(settings));
  return created.UserPoolClient!.ClientId!;
}

/** Exactly the config's groups, as the stack keeps them. */
async function ensureGroups(client: CognitoIdentityProviderClient, userPoolId: string, groups: readonly string[]): Promise<void> {
  const existing = ((await client.send(new ListGroupsCommand({ UserPoolId: userPoolId }))).Groups ?? []).map((g) => g.GroupName!);
  for (const name of groups.filter((g) => !existing.includes(g))) await client.send(new CreateGroupCommand({ UserPoolId: userPoolId, GroupName: name }));
  for (const name of existing.filter((g) => !groups.includes(g))) await client.send(new DeleteGroupCommand({ UserPoolId: userPoolId, GroupName: name }));
}
