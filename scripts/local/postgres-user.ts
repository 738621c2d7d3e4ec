/**
 * Postgres refuses to run as root, so as root it runs as the `postgres`
 * system user, who must be able to reach its binaries and its data dir: every
 * folder on the way needs the execute ("enter") bit for that user. A checkout
 * in a private folder (root's home, any folder with mode 700, as in many
 * containers and CI runners) gives neither. Then the binaries are run from a
 * copy, and the data dir lives, outside the checkout, in a root-owned staging
 * folder (`LOCAL_POSTGRES_ROOT_DIR`, default /var/tmp/serverless-platform-stack):
 *
 * - `postgres-<version>-<hash>/`: the package's `native/` folder, keyed by
 *   the package version and the executables' content, copied into a
 *   per-process folder and renamed into place (parallel starts never see a
 *   half-made copy);
 * - `data-<hash of the data dir's path>/`: the cluster; the data dir in the
 *   checkout becomes a symlink to it. Without that link (`npm run dev --
 *   --reset` removed it) the next start wipes it and runs initdb afresh.
 *
 * Folders the user made are never chmod'ed, except the runtime's own data
 * folder (e.g. a `mktemp -d` given as LOCAL_DATA_DIR), which gets o+x.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { isRunning } from '../../infra/build-support.mjs';

const execFileAsync = promisify(execFile);

export interface Binaries {
  initdb: string;
  postgres: string;
}

/** The user Postgres runs as: empty when this process is not root (it runs as us). */
export interface RunAs {
  uid?: number;
  gid?: number;
}

/** Where the binaries and data dirs are staged for the `postgres` user when the checkout is private. */
export function stagingRoot(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.LOCAL_POSTGRES_ROOT_DIR || '/var/tmp/serverless-platform-stack');
}

const WHAT_TO_DO = 'run as a non-root user, or clone into a folder the "postgres" user can enter';

/** As root, the `postgres` system user (created when missing); else nobody (Postgres runs as us). */
export async function runAs(): Promise<RunAs> {
  if (process.getuid?.() !== 0) return {};
  const ids = async () => {
    const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
      execFileAsync('id', ['-u', 'postgres']),
      execFileAsync('id', ['-g', 'postgres']),
    ]);
    return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
  };
  try {
    return await ids();
  } catch {
    try {
      await execFileAsync('groupadd', ['--system', 'postgres']).catch(() => undefined);
      await execFileAsync('useradd', ['--system', '-g', 'postgres', '--no-create-home', 'postgres']);
      return await ids();
    } catch (err) {
      throw new Error(
        `Postgres refuses to run as root and there is no "postgres" user to run it as (useradd failed: ${firstLine(err)}); create one (\`useradd --system postgres\`) or run as a non-root user`,
      );
    }
  }
}

/** The first folder from `dir` up to `/` that the user `ids` cannot enter, if any. */
export async function firstBlocked(dir: string, ids: RunAs): Promise<string | undefined> {
  if (ids.uid === undefined) return undefined;
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const st = await fs.stat(d);
    const bit = st.uid === ids.uid ? 0o100 : st.gid === ids.gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) return d;
    if (d === path.dirname(d)) return undefined;
  }
}

/** The package's binaries when the `postgres` user can reach them, else a staged copy. */
export async function reachableBinaries(bin: Binaries, ids: RunAs): Promise<Binaries> {
  const blocked = await firstBlocked(path.dirname(bin.postgres), ids);
  if (!blocked) return bin;
  staged ??= stageBinaries(bin, blocked).catch((err: unknown) => {
    staged = undefined;
    throw err;
  });
  return staged;
}
let staged: Promise<Binaries> | undefined;

async function stageBinaries(bin: Binaries, blocked: string): Promise<Binaries> {
  const root = await ownedRoot(blocked);
  const native = path.dirname(path.dirname(bin.postgres));
  const { version } = JSON.parse(await fs.readFile(path.join(native, '..', 'package.json'), 'utf8')) as { version: string };
  const hash = createHash('sha256');
  for (const file of [bin.initdb, bin.postgres]) hash.update(await fs.readFile(file));
  const dir = path.join(root, `postgres-${version}-${hash.digest('hex').slice(0, 12)}`);
  const copy = (d: string): Binaries => ({ initdb: path.join(d, 'native', 'bin', 'initdb'), postgres: path.join(d, 'native', 'bin', 'postgres') });
  if (existsSync(copy(dir).postgres)) return copy(dir);

  await removeDeadStagings(root);
  const tmp = await fs.mkdtemp(path.join(root, `.staging-${process.pid}-`));
  try {
    await fs.cp(native, path.join(tmp, 'native'), { recursive: true, verbatimSymlinks: true });
    await fs.chmod(tmp, 0o755);
    await fs.rename(tmp, dir);
  } catch (err) {
    // Another process staged the same binaries first: use theirs.
    if (!['ENOTEMPTY', 'EEXIST'].includes((err as NodeJS.ErrnoException).code ?? '') || !existsSync(copy(dir).postgres)) {
      throw new Error(`Postgres runs as the "postgres" user, who cannot enter ${blocked}, and its binaries could not be staged in ${root}: ${firstLine(err)}; set LOCAL_POSTGRES_ROOT_DIR to a folder root can write, or ${WHAT_TO_DO}`);
    }
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
  return copy(dir);
}

/** Staging folders of processes that died while copying. */
async function removeDeadStagings(root: string): Promise<void> {
  for (const name of await fs.readdir(root)) {
    const pid = Number(/^\.staging-(\d+)-/.exec(name)?.[1]);
    if (pid && pid !== process.pid && !isRunning(pid)) await fs.rm(path.join(root, name), { recursive: true, force: true });
  }
}

/**
 * The folder Postgres is given as its data dir: `dataDir` itself when the
 * `postgres` user can reach it, else `<staging root>/data-<hash>` with
 * `dataDir` a symlink to it.
 */
export async function reachableDataDir(dataDir: string, ids: RunAs, stopPostmaster: (dataDir: string) => Promise<unknown>): Promise<string> {
  dataDir = path.resolve(dataDir);
  if (ids.uid === undefined) return dataDir;
  const parent = path.dirname(dataDir);
  await fs.mkdir(parent, { recursive: true });
  const own = await fs.stat(parent);
  if ((own.mode & 0o001) === 0) await fs.chmod(parent, (own.mode & 0o7777) | 0o001);

  const link = await fs.readlink(dataDir).catch(() => undefined);
  if (link !== undefined) {
    // A data dir linked elsewhere (by us or by the user) that the postgres user can reach is used as it is.
    const real = await fs.realpath(dataDir).catch(() => undefined);
    if (real && !(await firstBlocked(path.dirname(real), ids))) return real;
  }
  const blocked = await firstBlocked(path.dirname(parent), ids);
  if (!blocked) return dataDir;

  const root = await ownedRoot(blocked);
  const target = path.join(root, `data-${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`);
  if (link === target) return target;
  if (link === undefined && existsSync(path.join(dataDir, 'PG_VERSION'))) {
    throw new Error(`Postgres runs as the "postgres" user, who cannot enter ${blocked}, so the cluster in ${dataDir} cannot be used; remove it (\`npm run dev -- --reset\`) to start a fresh one in ${root}, or ${WHAT_TO_DO}`);
  }
  // No link to it: whatever is there belongs to a data dir since removed (`--reset`).
  await stopPostmaster(target);
  await fs.rm(target, { recursive: true, force: true });
  await fs.rm(dataDir, { recursive: true, force: true });
  await fs.symlink(target, dataDir);
  return target;
}

/**
 * The staging root: created by root with mode 755, and refused when anyone
 * else could have made or changed it (in /var/tmp, any user can create names).
 */
async function ownedRoot(blocked: string): Promise<string> {
  const root = stagingRoot();
  const refuse = (why: string) =>
    new Error(`Postgres runs as the "postgres" user, who cannot enter ${blocked}; it would run from ${root}, but ${why}; set LOCAL_POSTGRES_ROOT_DIR to another folder, or ${WHAT_TO_DO}`);
  try {
    await fs.mkdir(root, { recursive: true, mode: 0o755 });
  } catch (err) {
    throw refuse(`that folder cannot be created (${firstLine(err)})`);
  }
  const st = await fs.lstat(root);
  if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0) {
    throw refuse('that folder is not a directory owned by root and writable only by root');
  }
  if ((st.mode & 0o555) !== 0o555) await fs.chmod(root, 0o755);
  const above = await firstBlocked(path.dirname(root), { uid: -1, gid: -1 });
  if (above) throw refuse(`${above} is closed to other users`);
  return root;
}

function firstLine(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  return (e.stderr || e.message || String(err)).trim().split('\n')[0]!;
}
