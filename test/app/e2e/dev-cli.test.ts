/**
 * `npm run dev` as a user runs it: a child process (`tsx scripts/dev.ts`)
 * that prints the ready line, keeps data across restarts, starts clean with
 * --reset, and leaves no process behind on SIGTERM or SIGKILL. Writes are
 * signed in with the token `npm run -s dev:token` prints against it, as the
 * README's two commands do.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { listProcesses } from '../../support/proc';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const tsx = path.join(repo, 'node_modules', '.bin', 'tsx');

let dataDir: string;
const started: ChildProcess[] = [];

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sps-test-e2e-dev-cli-'));
  await fs.chmod(dataDir, 0o755);
});

afterAll(async () => {
  for (const c of started) if (c.exitCode === null && c.pid) killGroup(c.pid, 'SIGKILL');
  await fs.rm(dataDir, { recursive: true, force: true });
});

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* gone */
  }
}

/** Postmasters running on our data dir. */
function postmasters(): number[] {
  return listProcesses()
    .filter((p) => p.argv[0]?.endsWith('/postgres') && p.argv.includes(path.join(dataDir, 'postgres')))
    .map((p) => p.pid);
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

interface Dev {
  child: ChildProcess;
  url: string;
  output: () => string;
  startupMs: number;
}

/** Starts the CLI in its own process group and waits for the ready line. */
function dev(args: string[] = [], viaNpm = false): Promise<Dev> {
  const t0 = Date.now();
  const [cmd, argv] = viaNpm ? ['npm', ['run', '--silent', 'dev', '--', '--quiet', ...args]] : [tsx, ['scripts/dev.ts', '--quiet', ...args]];
  const child = spawn(cmd, argv, {
    cwd: repo,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PORT: '0', WEB_PORT: '0', LOCAL_DATA_DIR: dataDir, CORS_ORIGINS: 'http://localhost:4321' },
  });
  started.push(child);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within 30 s:\n${out}`)), 30_000);
    child.stdout!.on('data', () => {
      const m = /^Local API listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, output: () => out, startupMs: Date.now() - t0 });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dev exited with ${code}:\n${out}`));
    });
  });
}

const exited = (c: ChildProcess) =>
  c.exitCode !== null || c.signalCode !== null ? Promise.resolve(c.exitCode) : new Promise<number | null>((r) => c.once('exit', (code) => r(code)));

/** `npm run -s dev:token -- <args>` against the running dev on our data dir: the token is the last line. */
async function devToken(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('npm', ['run', '-s', 'dev:token', '--', ...args], {
    cwd: repo,
    env: { ...process.env, LOCAL_DATA_DIR: dataDir },
    timeout: 60_000,
  });
  const token = stdout.trim().split('\n').at(-1) ?? '';
  expect(token).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
  return token;
}

const signedIn = (token: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${token}` });

async function createPost(url: string, title: string, token: string): Promise<string> {
  const res = await fetch(`${url}/posts`, { method: 'POST', headers: signedIn(token), body: JSON.stringify({ title, body: '', author: 'cli' }) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function createEvent(url: string, token: string): Promise<string> {
  const res = await fetch(`${url}/events`, {
    method: 'POST',
    headers: signedIn(token),
    body: JSON.stringify({ name: 'kept', capacity: 3, startsAt: '2027-01-01T10:00:00Z' }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

test('prints the ready line, applies CORS_ORIGINS, and stops everything on SIGTERM', async () => {
  const d = await dev(['--reset']);
  expect(d.output()).toMatch(/^\[local\] RDS Proxy emulator on 127\.0\.0\.1:\d+ \(TLS, IAM auth required\)$/m);
  const health = await fetch(`${d.url}/health`);
  expect(health.status).toBe(200);
  const pre = await fetch(`${d.url}/posts`, { method: 'OPTIONS', headers: { origin: 'http://localhost:4321', 'access-control-request-method': 'POST' } });
  expect(pre.headers.get('access-control-allow-origin')).toBe('http://localhost:4321');
  expect(postmasters()).toHaveLength(1);

  // The web app on its own origin, which the API allows, with a config.json pointing at this API.
  expect(await until(() => /^Web app on http:\/\/127\.0\.0\.1:\d+\/$/m.test(d.output()), 5000)).toBe(true);
  const web = /^Web app on (http:\/\/127\.0\.0\.1:\d+)\/$/m.exec(d.output())![1]!;
  expect(await fetch(`${web}/config.json`).then((r) => r.json())).toMatchObject({ apiUrl: d.url });
  const fromWeb = await fetch(`${d.url}/posts`, { method: 'OPTIONS', headers: { origin: web, 'access-control-request-method': 'POST' } });
  expect(fromWeb.headers.get('access-control-allow-origin')).toBe(web);

  // A second dev on the same data dir refuses to start, and leaves the first alone.
  const second = await dev().then(
    () => 'started',
    (err: Error) => err.message,
  );
  expect(second).toMatch(/is in use by another local runtime \(pid \d+\)/);
  expect((await fetch(`${d.url}/health`)).status).toBe(200);

  d.child.kill('SIGTERM');
  expect(await exited(d.child)).toBe(0);
  expect(await until(() => postmasters().length === 0, 10_000)).toBe(true);
});

test('data persists across restarts, survives a SIGKILL, and --reset starts clean', async () => {
  const first = await dev();
  // Without a token the gateway refuses the write; with dev:token's, the author and the organizer write.
  const anonymous = await fetch(`${first.url}/posts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'x', body: '', author: 'cli' }) });
  expect([anonymous.status, await anonymous.text()]).toEqual([401, '{"message":"Unauthorized"}']);
  const postId = await createPost(first.url, 'persisted', await devToken('cli@example.com'));
  const eventId = await createEvent(first.url, await devToken('organizer@example.com', '--group', 'organizers'));
  // SIGKILL the whole CLI process group: nothing may be left running.
  killGroup(first.child.pid!, 'SIGKILL');
  await exited(first.child);
  expect(await until(() => postmasters().length === 0, 10_000)).toBe(true);

  const second = await dev();
  expect((await fetch(`${second.url}/posts/${postId}`)).status).toBe(200);
  expect((await fetch(`${second.url}/events/${eventId}`)).status).toBe(200);
  second.child.kill('SIGINT');
  expect(await exited(second.child)).toBe(0);

  const fresh = await dev(['--reset']);
  expect((await fetch(`${fresh.url}/posts/${postId}`)).status).toBe(404);
  expect((await fetch(`${fresh.url}/events/${eventId}`)).status).toBe(404);
  fresh.child.kill('SIGTERM');
  await exited(fresh.child);
  expect(await until(() => postmasters().length === 0, 10_000)).toBe(true);
});

test.each([
  ['the tsx launcher', false],
  ['npm itself', true],
])('when only %s is SIGKILLed, the runtime notices and stops', async (_name, viaNpm) => {
  const d = await dev([], viaNpm);
  // Kill just the launcher we spawned; the runtime below it must not live on.
  process.kill(d.child.pid!, 'SIGKILL');
  expect(await until(() => postmasters().length === 0, 10_000)).toBe(true);
  const stillServing = await fetch(`${d.url}/health`).then(
    () => true,
    () => false,
  );
  expect(stillServing).toBe(false);
});
