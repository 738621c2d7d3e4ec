/**
 * `npm run bench:load`: the mixed workload (scripts/bench-load-lib.ts) against
 * the local runtime, then a read-back check that nothing was lost, and where
 * the CPU went.
 *
 *   npm run bench:load                               20 s, 16 connections
 *   npm run bench:load -- --duration 60 --connections 32
 *   npm run bench:load -- --no-profile                without the CPU profile
 *   npm run bench:load -- --json                      machine-readable result
 *
 * The runtime runs in its own process (this script with --serve) on a fresh
 * temporary data dir, under `node --cpu-prof` unless --no-profile: its main
 * thread (gateway, dynalite, the Data API endpoint) and each function sandbox
 * (a child process) write a V8 CPU profile, summarised here by module. CPU time
 * of Postgres (postmaster and backends) is read from /proc.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { physicalTableName } from '../functions/tables';
import { formatLoad, runLoad, verifyLoad, type LoadTarget } from './bench-load-lib';
import { loadUserCounts, signInLoadUsers } from './bench-load-users';
import { readUserPoolState } from './local/cognito';

// Local Node may be older than Lambda's; the SDK's notice about it is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const SELF = fileURLToPath(import.meta.url);
const REPO = path.resolve(path.dirname(SELF), '..');

const USAGE = `Usage: npm run bench:load [-- --duration <s>] [-- --connections <n>] [-- --attendees <n>] [-- --no-profile] [-- --json]

  --duration <s>      seconds of load (default 20)
  --connections <n>   concurrent connections (default 16)
  --attendees <n>     users signed in to register, each once per event (default 1.5 x duration x connections)
  --no-profile        do not run the runtime under --cpu-prof
  --json              print the result as JSON
`;

// ---------------------------------------------------------------------------
// --serve: the runtime process
// ---------------------------------------------------------------------------

async function serve(dataDir: string, profileDir: string | undefined): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { startLocalRuntime } = await import('./local/runtime');
  const runtime = await startLocalRuntime({
    port: 0,
    dataDir,
    prewarm: false,
    sandboxExecArgv: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : undefined,
  });
  const stop = async () => {
    await runtime.stop();
    process.exit(0); // --cpu-prof writes the profiles on exit
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  // Stop with the benchmark even if it dies.
  process.stdin.on('end', () => void stop()).resume();
  const { postgres, dynamo } = runtime;
  process.stdout.write(
    `${JSON.stringify({
      url: runtime.url,
      postgres: { host: postgres.host, port: postgres.port, user: postgres.user, password: postgres.password, database: postgres.database, pid: postgres.pid },
      dynamo: { endpoint: dynamo.endpoint },
    })}\n`,
  );
}

// ---------------------------------------------------------------------------
// CPU accounting
// ---------------------------------------------------------------------------

const TICKS = 100; // USER_HZ on Linux

function statFields(file: string): string[] | undefined {
  try {
    const text = readFileSync(file, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** CPU seconds of a process (user + system); with `children`, also of its reaped children. */
function cpuOf(pid: number, children = false): number {
  const f = statFields(`/proc/${pid}/stat`);
  if (!f) return 0;
  const [utime, stime, cutime, cstime] = [f[11], f[12], f[13], f[14]].map(Number) as [number, number, number, number];
  return (utime + stime + (children ? cutime + cstime : 0)) / TICKS;
}

/** CPU seconds of the postmaster and every backend (live ones, plus reaped ones via cutime). */
function postgresCpu(postmaster: number): number {
  let total = cpuOf(postmaster, true);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = statFields(`/proc/${entry}/stat`);
    if (f && Number(f[1]) === postmaster) total += cpuOf(Number(entry));
  }
  return total;
}

/** CPU seconds per thread of a process, grouped by thread name. */
function threadsCpu(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    const f = statFields(`/proc/${pid}/task/${tid}/stat`);
    let name = '?';
    try {
      name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
    } catch {
      /* gone */
    }
    if (!f) continue;
    if (tid === String(pid)) name = 'main (gateway, dynalite, Data API endpoint)';
    out[name] = (out[name] ?? 0) + (Number(f[11]) + Number(f[12])) / TICKS;
  }
  return out;
}

// ---------------------------------------------------------------------------
// CPU profiles
// ---------------------------------------------------------------------------

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Which part of the system a source URL belongs to. */
export function moduleOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return `${url.replace(/^node:(internal\/)?/, 'node:').replace(/\/[^/]*$/, '').split('/').slice(0, 2).join('/')}`;
  const rel = url.replace(/^file:\/\//, '').replace(`${REPO}/`, '');
  if (rel.startsWith('scripts/local/')) return `runtime ${rel}`;
  if (rel.startsWith('functions/')) return `handler ${rel.split('/').slice(0, 3).join('/')}`;
  return rel;
}

/**
 * Self time in ms per module, counting only samples inside `window` (µs on
 * the monotonic clock V8's profiler and process.hrtime share).
 */
function selfTimeByModule(profile: Profile, window: [number, number], byFunction?: Map<string, number>): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const out = new Map<string, number>();
  let ts = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    ts += profile.timeDeltas[i] ?? 0;
    if (ts < window[0] || ts > window[1]) continue;
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    const key = moduleOf(node.callFrame.url, node.callFrame.functionName);
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    out.set(key, (out.get(key) ?? 0) + ms);
    if (byFunction && !key.startsWith('(')) {
      const file = node.callFrame.url.split('/').slice(-2).join('/');
      const fn = `${node.callFrame.functionName || '(anonymous)'} ${file}:${node.callFrame.lineNumber + 1} (${key})`;
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
    }
  }
  return out;
}

interface ProfileSummary {
  readonly main: [string, number][];
  readonly workers: [string, number][];
  /** Hottest functions in the sandboxes. */
  readonly workerFunctions: [string, number][];
  readonly mainBusyMs: number;
  readonly workersBusyMs: number;
  readonly files: number;
}

async function summariseProfiles(dir: string, window: [number, number], runtimePid: number): Promise<ProfileSummary | undefined> {
  const files = (await fs.readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.cpuprofile'));
  if (!files.length) return undefined;
  const main = new Map<string, number>();
  const workers = new Map<string, number>();
  const workerFunctions = new Map<string, number>();
  for (const file of files) {
    const profile = JSON.parse(await fs.readFile(path.join(dir, file), 'utf8')) as Profile;
    // CPU.<date>.<time>.<pid>.<threadId>.<seq>.cpuprofile: the runtime's main thread, else a sandbox process.
    const [pid, threadId] = file.split('.').slice(3, 5).map(Number);
    const isMain = pid === runtimePid && threadId === 0;
    const into = isMain ? main : workers;
    for (const [k, v] of selfTimeByModule(profile, window, isMain ? undefined : workerFunctions)) into.set(k, (into.get(k) ?? 0) + v);
  }
  const sorted = (m: Map<string, number>) => [...m].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]);
  const busy = (m: Map<string, number>) => [...m].filter(([k]) => k !== '(idle)').reduce((s, [, v]) => s + v, 0);
  return { main: sorted(main), workers: sorted(workers), workerFunctions: sorted(workerFunctions).slice(0, 10), mainBusyMs: busy(main), workersBusyMs: busy(workers), files: files.length };
}

function formatProfile(p: ProfileSummary): string {
  const table = (rows: [string, number][], busy: number) =>
    rows
      .slice(0, 14)
      .map(([k, v]) => `    ${(v / 1000).toFixed(2).padStart(7)} s  ${((100 * v) / Math.max(busy, 1)).toFixed(1).padStart(5)}%  ${k}`)
      .join('\n');
  return [
    `CPU profile during the load (V8 self time by module, ${p.files} profiles):`,
    `  runtime main thread (busy ${(p.mainBusyMs / 1000).toFixed(2)} s):`,
    table(p.main, p.mainBusyMs),
    `  function sandboxes, all processes (busy ${(p.workersBusyMs / 1000).toFixed(2)} s):`,
    table(p.workers, p.workersBusyMs),
    '  hottest functions in the sandboxes:',
    table(p.workerFunctions, p.workersBusyMs),
  ].join('\n');
}

// ---------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i === -1) return fallback;
  const value = Number(args[i + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}: give a positive number (received "${args[i + 1]}")`);
  return value;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--serve') return serve(args[1]!, args[2]);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  const duration = option(args, '--duration', 20);
  const connections = option(args, '--connections', 16);
  const attendees = args.includes('--attendees') ? option(args, '--attendees', 0) : undefined;
  const profile = !args.includes('--no-profile');
  const asJson = args.includes('--json');
  const say = (m: string) => (asJson ? undefined : console.log(m));

  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'sps-bench-load-'));
  await fs.chmod(work, 0o755); // as root, Postgres runs as `postgres` and must reach its data dir
  const dataDir = path.join(work, 'data');
  const profileDir = path.join(work, 'profiles');
  const child = spawn(
    process.execPath,
    [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), '--import', 'tsx', SELF, '--serve', dataDir, ...(profile ? [profileDir] : [])],
    { cwd: REPO, stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const info = await new Promise<{ url: string; postgres: LoadTarget['postgres'] & { pid: number }; dynamo: { endpoint: string } }>((resolve, reject) => {
      let buf = '';
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => {
        buf += chunk;
        // Function logs (JSON lines) follow on stdout; the first line that is our info wins.
        for (const line of buf.split('\n')) {
          if (line.startsWith('{"url"')) {
            resolve(JSON.parse(line));
            child.stdout!.removeAllListeners('data');
            child.stdout!.resume(); // keep draining function logs
            return;
          }
        }
      });
      child.once('exit', (code) => reject(new Error(`runtime exited (${code}) before ready`)));
    });
    const pool = await readUserPoolState(dataDir);
    if (!pool) throw new Error(`the runtime wrote no user pool state in ${dataDir}`);
    const target: LoadTarget = {
      url: info.url,
      postgres: info.postgres,
      dynamo: { endpoint: info.dynamo.endpoint, postsTable: physicalTableName('sps', 'dev', 'posts') },
      userPool: { state: pool, dataDir },
    };
    // The workload's users, signed in through the user pool before anything is measured.
    say(`runtime ${info.url} (pid ${child.pid}, postgres pid ${info.postgres.pid}); signing users in…`);
    const users = await signInLoadUsers(target.userPool, loadUserCounts({ durationSeconds: duration, connections, attendees }));
    say(`${users.authors.length} authors, an organizer and ${users.attendees.length} attendees signed in (${users.signInSeconds.toFixed(1)} s); warming up…`);
    // Warm-up: every sandbox started and JIT-warm before measuring.
    await runLoad(target, { durationSeconds: 3, connections: 4, seedPosts: 5, registrationEvents: 1, users });

    const cpu0 = { runtime: cpuOf(child.pid!), threads: threadsCpu(child.pid!), postgres: postgresCpu(info.postgres.pid), bench: process.cpuUsage() };
    const t0 = Date.now();
    const window0 = Number(process.hrtime.bigint() / 1000n);
    say(`load: ${connections} connections for ${duration} s…`);
    const result = await runLoad(target, { durationSeconds: duration, connections, users });
    const wall = (Date.now() - t0) / 1000;
    const window: [number, number] = [window0, Number(process.hrtime.bigint() / 1000n)];
    const threads1 = threadsCpu(child.pid!);
    const cpu = {
      wallSeconds: wall,
      runtime: cpuOf(child.pid!) - cpu0.runtime,
      postgres: postgresCpu(info.postgres.pid) - cpu0.postgres,
      loadGenerator: (() => {
        const u = process.cpuUsage(cpu0.bench);
        return (u.user + u.system) / 1e6;
      })(),
      runtimeThreads: Object.fromEntries(Object.entries(threads1).map(([k, v]) => [k, v - (cpu0.threads[k] ?? 0)]).filter(([, v]) => (v as number) > 0.05)),
    };
    const verification = await verifyLoad(target, result.ledger);

    child.kill('SIGTERM');
    await exited;
    const summary = profile ? await summariseProfiles(profileDir, window, child.pid!) : undefined;

    if (asJson) {
      const { ledger: _ledger, ...figures } = result;
      void _ledger;
      console.log(JSON.stringify({ ...figures, verification: { ...verification, postsMissing: verification.postsMissing.length, postsStale: verification.postsStale.length }, cpu, profile: summary }, null, 2));
    } else {
      console.log(formatLoad(result, verification));
      const pct = (s: number) => `${((100 * s) / wall).toFixed(0)}% of one core`;
      console.log(
        [
          `CPU during the load (${wall.toFixed(1)} s wall, ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)}):`,
          `  runtime process  ${cpu.runtime.toFixed(1)} s (${pct(cpu.runtime)})`,
          ...Object.entries(cpu.runtimeThreads)
            .sort((a, b) => (b[1] as number) - (a[1] as number))
            .map(([k, v]) => `    ${k.padEnd(44)} ${(v as number).toFixed(1)} s`),
          `  postgres         ${cpu.postgres.toFixed(1)} s (${pct(cpu.postgres)})`,
          `  load generator   ${cpu.loadGenerator.toFixed(1)} s (${pct(cpu.loadGenerator)})`,
        ].join('\n'),
      );
      if (summary) console.log(formatProfile(summary));
    }
    if (verification.problems.length || result.unexpected || result.errors) process.exitCode = 1;
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await fs.rm(work, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(`bench:load failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
