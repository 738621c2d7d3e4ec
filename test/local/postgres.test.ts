/**
 * The embedded Postgres's lifecycle: persisted data dir, initdb only once,
 * no orphan postmaster when its owner is SIGKILLed, and a bounded stop even
 * when Postgres is frozen.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startDataApiServer } from '../../scripts/local/data-api';
import { startPostgres } from '../../scripts/local/postgres';
import { isRunning, listProcesses } from '../support/proc';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = path.join(here, 'fixtures', 'start-postgres.ts');

let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sps-test-pg-lifecycle-'));
  await fs.chmod(dir, 0o755);
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await fs.rm(dir, { recursive: true, force: true });
});

const alive = isRunning;

async function gone(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !alive(pid);
}

/** Starts Postgres in a separate node process; resolves with its postmaster pid and port. */
function startInChild(dataDir: string): Promise<{ child: ChildProcess; pid: number; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ child, ...(JSON.parse(line) as { pid: number; port: number }) });
    });
    child.once('exit', (code) => reject(new Error(`fixture exited with ${code}: ${out}`)));
  });
}

async function query(port: number, sql: string) {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: 'local-dev-password', database: 'app' });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

/** Processes of a process group, with their command names. */
function processGroup(pgid: number): { pid: number; comm: string }[] {
  return listProcesses().filter((p) => p.pgrp === pgid);
}

test('a SIGKILLed owner takes its Postgres down with it', async () => {
  const dataDir = path.join(dir, 'killed');
  const { child, pid, port } = await startInChild(dataDir);
  await query(port, 'CREATE TABLE kept (v text); INSERT INTO kept VALUES (\'before the kill\')');
  child.kill('SIGKILL');
  expect(await gone(pid)).toBe(true);

  // Restart on the same data dir: no initdb, the data is still there.
  const again = await startPostgres({ dataDir });
  try {
    expect(again.initialised).toBe(false);
    const { rows } = await query(again.port, 'SELECT v FROM kept');
    expect(rows).toEqual([{ v: 'before the kill' }]);
  } finally {
    await again.stop();
  }
  expect(alive(again.pid)).toBe(false);
});

test('a postmaster left running on the data dir is stopped on the next start', async () => {
  const dataDir = path.join(dir, 'stale');
  const { child, pid } = await startInChild(dataDir);
  // Kill the owner and the watchdog (sh, its EOF-forwarding subshell and that subshell's cat):
  // the postmaster is orphaned. All of them are frozen (SIGSTOP) before any is killed: killed one
  // by one, a dying process lets another act (the owner closes the watchdog's stdin when the sh
  // exits; a cat at EOF lets its subshell SIGINT the postmaster), which is the stop this test
  // means to withhold.
  const ppid = listProcesses().find((p) => p.pid === pid)!.ppid;
  const doomed = [child.pid!, ...processGroup(ppid).filter((p) => p.comm === 'sh' || p.comm === 'cat').map((p) => p.pid)];
  for (const signal of ['SIGSTOP', 'SIGKILL'] as const) {
    for (const victim of doomed) {
      try {
        process.kill(victim, signal);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    }
  }
  await new Promise((r) => setTimeout(r, 300));
  expect(alive(pid)).toBe(true);

  const fresh = await startPostgres({ dataDir });
  try {
    expect(alive(pid)).toBe(false);
    expect(fresh.pid).not.toBe(pid);
    expect((await query(fresh.port, 'SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  } finally {
    await fresh.stop();
  }
});

test('a frozen Postgres (SIGSTOP) still stops promptly, with the Data API endpoint holding a transaction on it', async () => {
  const pgx = await startPostgres({ dataDir: path.join(dir, 'frozen') });
  const api = await startDataApiServer({ pg: pgx });
  const begin = await fetch(`${api.url}/BeginTransaction`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ resourceArn: 'arn:x', secretArn: 'arn:y' }),
  });
  expect(begin.status).toBe(200);
  const stat = readFileSync(`/proc/${pgx.pid}/stat`, 'utf8');
  const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  const frozen = processGroup(pgid).filter((p) => p.comm.startsWith('postgres'));
  for (const p of frozen) process.kill(p.pid, 'SIGSTOP');

  const started = Date.now();
  await api.close();
  await pgx.stop();
  expect(Date.now() - started).toBeLessThan(8000);
  expect(await gone(pgx.pid, 2000)).toBe(true);
});

test('as root, a private (mode 700) data folder such as `mktemp -d` works: the postgres user is let in', async () => {
  if (process.getuid?.() !== 0) return; // only root hands Postgres to the postgres user
  const privateDir = path.join(dir, 'private');
  await fs.mkdir(privateDir, { mode: 0o700 });
  const pgDir = await startPostgres({ dataDir: path.join(privateDir, 'postgres') });
  try {
    const r = await new pg.Client({ host: '127.0.0.1', port: pgDir.port, user: pgDir.user, password: pgDir.password, database: pgDir.database });
    await r.connect();
    expect((await r.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await r.end();
  } finally {
    await pgDir.stop();
  }
});
