/**
 * The local user pool with the runtime, as a developer uses it: the runtime
 * starts it with the config's groups and app client, `npm run dev:token`
 * signs a user in and prints a token as its last line, the API accepts that
 * token on a signed-in route (the handler chain sees the user and its
 * groups), the pool and client ids survive a restart, and the emulator never
 * outlives the process that started it. Sign-ins may run concurrently.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RouteDefinition } from '../../functions/registry-types';
import { AdminGetUserCommand, ConfirmSignUpCommand, SignUpCommand } from '@aws-sdk/client-cognito-identity-provider';
import { readUserPoolState, userPoolClient } from '../../scripts/local/cognito';
import { signIn } from '../../scripts/local/cognito/sign-in';
import { startLocalRuntime, type LocalRuntime } from '../../scripts/local/runtime';
import { configFor } from '../fixtures/environments';
import { fixtureFunctionsDir, fixtureTables } from '../fixtures/registry';
import { isRunning } from '../support/proc';
import { tempDir } from '../support/temp';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');

const routes: RouteDefinition[] = [
  { name: 'whoami', method: 'GET', path: '/whoami', handler: 'whoami.ts', auth: {} },
  { name: 'organizers-only', method: 'GET', path: '/organizers', handler: 'whoami.ts', auth: { groups: ['organizers'] } },
  { name: 'open', method: 'GET', path: '/open', handler: 'plain.ts', public: 'Fixture route: public in the platform tests' },
];

/** What the runtime printed (its log lines), for every runtime of the file. */
const logs: string[] = [];
const start = (dataDir: string) =>
  startLocalRuntime({ port: 0, dataDir, config: configFor('dev'), routes, tasks: [], tables: fixtureTables, functionsDir: fixtureFunctionsDir, migrate: false, functionLogs: () => undefined, log: (m) => logs.push(m) });

/** `npm run -s dev:token -- …` against the runtime on `dataDir`, as a developer runs it. */
function devToken(dataDir: string, ...args: string[]): { status: number | null; stdout: string; stderr: string; token: string } {
  const run = spawnSync('npm', ['run', '-s', 'dev:token', '--', ...args], { cwd: repo, env: { ...process.env, LOCAL_DATA_DIR: dataDir }, encoding: 'utf8', timeout: 30_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, token: run.stdout.trim().split('\n').at(-1) ?? '' };
}

/** The value `read` returns once it returns one (polled for up to 5 s). */
async function waitFor<T>(read: () => T | undefined): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const value = read();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out waiting');
}

const call = (runtime: LocalRuntime, route: string, token?: string) => fetch(`${runtime.url}${route}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('npm run dev:token against a running runtime', () => {
  const dataDir = tempDir('user-pool');
  let runtime: LocalRuntime;

  beforeAll(async () => {
    runtime = await start(dataDir);
  }, 60_000);

  afterAll(async () => {
    await runtime?.stop();
  });

  test('the runtime starts the pool with the groups the routes need, and says where it is in <dataDir>/cognito.json', async () => {
    const state = await readUserPoolState(dataDir);
    expect(state).toMatchObject({ endpoint: runtime.userPool!.endpoint, userPoolId: runtime.userPool!.userPoolId, clientId: runtime.userPool!.clientId, groups: ['organizers'] });
    expect(state!.issuer).toBe(`${state!.endpoint}/${state!.userPoolId}`);
  });

  test('prints a token as its last line, which a signed-in route accepts: the handler gets the verified user and groups', async () => {
    const run = devToken(dataDir, 'ann@example.com', '--group', 'organizers');
    expect(run.stderr).toMatch(/^\[dev:token\] ann@example\.com \(sub [0-9a-f-]{36}\) signed in to the local user pool local_\w+, in organizers; ID token valid 60 min:$/m);
    expect(run.status).toBe(0);
    expect(run.token).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);

    expect((await call(runtime, '/whoami')).status).toBe(401);
    const res = await call(runtime, '/organizers', run.token);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { user: { sub: string; email: string; groups: string[]; tokenUse: string }; authorizer: { jwt: { claims: Record<string, string> } } };
    expect(body.user).toEqual({ sub: expect.stringMatching(/^[0-9a-f-]{36}$/), email: 'ann@example.com', groups: ['organizers'], tokenUse: 'id' });
    expect(body.authorizer.jwt.claims['cognito:groups']).toBe('[organizers]');
  });

  test('signs the same user in again (same sub, password kept locally with mode 600); without the group the handler chain answers 403', async () => {
    const first = devToken(dataDir, 'bob@example.com');
    const again = devToken(dataDir, 'bob@example.com');
    expect(again.status).toBe(0);
    const subOf = (t: string) => (JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString('utf8')) as { sub: string }).sub;
    expect(subOf(again.token)).toBe(subOf(first.token));
    const passwords = readFileSync(path.join(dataDir, 'cognito-users.json'));
    expect(Object.keys(JSON.parse(passwords.toString('utf8')))).toEqual(expect.arrayContaining(['ann@example.com', 'bob@example.com']));
    expect(spawnSync('stat', ['-c', '%a', path.join(dataDir, 'cognito-users.json')], { encoding: 'utf8' }).stdout.trim()).toBe('600');

    expect((await call(runtime, '/whoami', again.token)).status).toBe(200);
    const forbidden = await call(runtime, '/organizers', again.token);
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ error: { code: 'forbidden' } });
  });

  test('--access prints the access token instead (no email claim; the API takes it too)', async () => {
    const run = devToken(dataDir, 'ann@example.com', '--access');
    expect(run.status).toBe(0);
    const res = await call(runtime, '/whoami', run.token);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { user: { email?: string; tokenUse: string } }).user).toMatchObject({ tokenUse: 'access' });
  });

  test('concurrent sign-ins (tests sign many users in at once) each keep their password, and none reads a half-written file', async () => {
    const emails = Array.from({ length: 16 }, (_, i) => `crowd-${i}@example.com`);
    // Staggered, so some read the password file while others write it.
    const users = await Promise.all(emails.map(async (email, i) => (await new Promise((r) => setTimeout(r, i * 7)), signIn(runtime.userPool!, dataDir, { email }))));
    expect(new Set(users.map((u) => u.sub)).size).toBe(emails.length);
    const kept = JSON.parse(readFileSync(path.join(dataDir, 'cognito-users.json'), 'utf8')) as Record<string, string>;
    expect(Object.keys(kept)).toEqual(expect.arrayContaining(emails));
    expect(spawnSync('stat', ['-c', '%a', path.join(dataDir, 'cognito-users.json')], { encoding: 'utf8' }).stdout.trim()).toBe('600');
    // Each signs in again with the password kept for it (none had to be set anew).
    const again = await Promise.all(emails.map((email) => signIn(runtime.userPool!, dataDir, { email })));
    expect(again.map((u) => u.sub)).toEqual(users.map((u) => u.sub));
    expect(JSON.parse(readFileSync(path.join(dataDir, 'cognito-users.json'), 'utf8'))).toEqual(kept);
  });

  test('self sign-up: the code is printed (not emailed), a wrong code is refused, the right one confirms and verifies the email as Cognito does', async () => {
    const pool = runtime.userPool!;
    const client = userPoolClient(pool);
    try {
      const email = 'signup@example.com';
      await client.send(new SignUpCommand({ ClientId: pool.clientId, Username: email, Password: 'Correct-Horse-9-Battery', UserAttributes: [{ Name: 'email', Value: email }] }));
      const line = await waitFor(() => logs.find((l) => l.startsWith(`Cognito code for ${email}: `)));
      expect(line).toMatch(/: \d{6} \(locally printed, not emailed\)$/);
      const code = /: (\d{6}) /.exec(line)![1]!;
      const wrong = code === '000000' ? '111111' : '000000';
      await expect(client.send(new ConfirmSignUpCommand({ ClientId: pool.clientId, Username: email, ConfirmationCode: wrong }))).rejects.toMatchObject({ name: 'CodeMismatchException' });
      await client.send(new ConfirmSignUpCommand({ ClientId: pool.clientId, Username: email, ConfirmationCode: code }));
      const user = await client.send(new AdminGetUserCommand({ UserPoolId: pool.userPoolId, Username: email }));
      expect(user.UserStatus).toBe('CONFIRMED');
      expect(user.UserAttributes).toEqual(expect.arrayContaining([{ Name: 'email', Value: email }, { Name: 'email_verified', Value: 'true' }]));
    } finally {
      client.destroy();
    }
  });

  test('refuses a group the pool does not have, and a bad email, with the fix', () => {
    const group = devToken(dataDir, 'ann@example.com', '--group', 'admins');
    expect(group.status).toBe(1);
    expect(group.stderr).toContain("group admins is not in the local user pool (its groups: organizers); declare it in the dev config's auth.groups");
    const email = devToken(dataDir, 'not-an-email');
    expect(email.status).toBe(1);
    expect(email.stderr).toContain('give one email address (received not-an-email)');
  });
});

test('without a runtime ever run on the data dir, dev:token says so and how to start one', () => {
  const never = devToken(tempDir('user-pool-none'), 'ann@example.com');
  expect(never.status).toBe(1);
  expect(never.stderr).toMatch(/npm run dev:token failed: no local runtime has run on .*: start it with `npm run dev`/);
});

test('a restart keeps the pool, the app client, the port and so the tokens; the emulator stops with the runtime, and dev:token then says none runs', async () => {
  const dataDir = tempDir('user-pool-restart');
  const first = await start(dataDir);
  const token = devToken(dataDir, 'ann@example.com').token;
  const before = first.userPool!;
  await first.stop();
  expect(isRunning(before.pid)).toBe(false);

  const second = await start(dataDir);
  try {
    expect(second.userPool).toMatchObject({ userPoolId: before.userPoolId, clientId: before.clientId, endpoint: before.endpoint });
    expect((await call(second, '/whoami', token)).status).toBe(200);
  } finally {
    await second.stop();
  }
  const stopped = devToken(dataDir, 'ann@example.com');
  expect(stopped.status).toBe(1);
  expect(stopped.stderr).toMatch(/no local runtime is running on .* \(its user pool emulator at http:\/\/127\.0\.0\.1:\d+ does not answer\): start it with `npm run dev`/);
}, 90_000);

test('the emulator exits when the process that started it is SIGKILLed', async () => {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures', 'start-user-pool.ts'), tempDir('user-pool-kill')], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
  const { pid } = await new Promise<{ pid: number }>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!) as { pid: number });
    });
    child.once('exit', (code) => reject(new Error(`fixture exited with ${code}`)));
  });
  expect(isRunning(pid)).toBe(true);
  child.kill('SIGKILL');
  const end = Date.now() + 10_000;
  while (isRunning(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  expect(isRunning(pid)).toBe(false);
}, 30_000);
