/**
 * Handler performance benchmark (a benchmark, not a test):
 *
 *   npm run bench:handlers [-- --runs 15 --iterations 20000]
 *
 * Per function in the registry it prints:
 *   - bundle bytes, raw and gzip (bundled by infra/bundling/, as deployed);
 *   - import time of the bundle in a fresh `node` (median of --runs, >= 15),
 *     from a directory that holds exactly the function's zip contents at a
 *     short path, as Lambda unpacks it into /var/task (see `deployLike`);
 * and compares them with a baseline bundle that only imports and creates the
 * SDK clients the function uses, configured as functions/lib/data does
 * (DynamoDB DocumentClient; pg + RDS signer; RDS Data API client), bundled
 * alone with the same esbuild options. Each import of a bundle is paired with
 * an import of its baseline right before or after it, and the import ratio is
 * the median of those paired ratios (`importPairs`). Then it measures the per-invocation
 * overhead of the full middleware chain against a bare async handler, for a
 * GET and a small JSON POST.
 *
 * Targets (issue 13, stock middy): chain overhead <= 25 us (GET) and <= 45 us
 * (small POST); each bundle's gzip <= its SDK clients' + 30 KB; import time
 * <= 1.10 x its floor's (below). Wall and CPU time are both printed; targets are
 * judged on CPU time (user + system, so GC and compiler threads count), which
 * a shared, loaded machine distorts far less than wall time. Sizes are printed
 * raw and gzip; the size target is judged on gzip (what the deployed zip
 * carries). Exit code 1 when a target is missed.
 *
 * It also builds a "floor" per client kind: the clients plus only the
 * libraries issue 3 requires (middy core, its six official middlewares, zod)
 * with none of our code, and prints its size and import ratio: no
 * function can import faster than its floor.
 *
 * `--instructions` adds a second import measure that machine load does not
 * change: instructions executed to import each bundle, counted by valgrind's
 * callgrind (needs `valgrind` on PATH; ~10 s per import, two at a time), minus
 * those of an empty `node`; medians of 3. Printed for information, not judged.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { bundleFunctions, type FunctionBundle } from '../infra/bundling';
import { BUILD_DIR, REPO_ROOT } from '../infra/paths';
import { routes, tasks } from '../functions/registry';
import { SAMPLE_FUNCTION_ENV } from './bench/function-env';
import type { FunctionDefinition } from '../functions/registry-types';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const RUNS = Math.max(15, arg('runs', 15));
const ITERATIONS = Math.max(1000, arg('iterations', 20_000));

const BENCH_DIR = join(BUILD_DIR, 'bench-handlers');
const BASELINE_SRC = join(BENCH_DIR, 'baseline-src');

// ---------------------------------------------------------------------------
// Baselines: the SDK clients alone, created at init as our handlers do
// ---------------------------------------------------------------------------

type Client = 'dynamodb' | 'pg' | 'data-api';

const CLIENT_SOURCE: Record<Client, string> = {
  dynamodb: `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand, DeleteCommand } from '@aws-sdk/lib-dynamodb';
const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 3, requestHandler: { connectionTimeout: 2000, requestTimeout: 5000 } }), { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false } });
globalThis.__ddb = [ddb, GetCommand, PutCommand, QueryCommand, UpdateCommand, DeleteCommand];`,
  pg: `import pg from 'pg';
import { Signer } from '@aws-sdk/rds-signer';
const signer = new Signer({ hostname: 'proxy.example.com', port: 5432, username: 'app', region: 'us-east-1' });
const pool = new pg.Pool({ host: 'proxy.example.com', port: 5432, user: 'app', database: 'app', password: () => signer.getAuthToken(), ssl: { rejectUnauthorized: true }, max: 2, connectionTimeoutMillis: 3000, idleTimeoutMillis: 60000, maxLifetimeSeconds: 300, keepAlive: true });
pool.on('error', () => {});
globalThis.__pg = pool;`,
  'data-api': `import { RDSDataClient, ExecuteStatementCommand, BeginTransactionCommand, CommitTransactionCommand, RollbackTransactionCommand } from '@aws-sdk/client-rds-data';
globalThis.__rds = [new RDSDataClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 3000, requestTimeout: 10_000 } }), ExecuteStatementCommand, BeginTransactionCommand, CommitTransactionCommand, RollbackTransactionCommand];`,
};

function clientsOf(fn: FunctionDefinition): Client[] {
  const clients: Client[] = [];
  if (fn.data?.tables && Object.keys(fn.data.tables).length > 0) clients.push('dynamodb');
  if (fn.data?.sql === 'proxy') clients.push('pg');
  if (fn.data?.sql === 'data-api') clients.push('data-api');
  return clients;
}

/** The client kind of a function, e.g. `dynamodb+pg`: the key of its baseline and floor. */
const kindOf = (clients: readonly Client[]) => clients.join('+') || 'none';

/** Writes `<prefix>-<kind>.mjs`: the clients' source, then `rest` (which exports `handler`). */
function clientSourceDefinition(prefix: string, clients: readonly Client[], rest: string): FunctionDefinition {
  const name = `${prefix}-${kindOf(clients)}`;
  const file = `${name}.mjs`;
  mkdirSync(BASELINE_SRC, { recursive: true });
  writeFileSync(join(BASELINE_SRC, file), `${clients.map((c) => CLIENT_SOURCE[c]).join('\n')}\n${rest}`);
  return { name, handler: file };
}

const BASELINE_HANDLER = "export const handler = async () => ({ statusCode: 200, body: '{}' });\n";

// The floor: the same clients plus only what issue 3 requires a handler to be
// built on, with none of our code: middy core, the six official middlewares it
// names (configured as functions/lib/http configures them), and zod/mini with
// the smallest route schema (a uuid path parameter), all created at init as our
// handlers do. No function can import faster than its floor, so the floor's
// ratio shows how much of a function's ratio the required libraries take
// before our framework adds anything. Printed for information, not judged.
const httpModule = (file: string) => JSON.stringify(join(REPO_ROOT, 'functions', 'lib', 'http', file));
const FLOOR_SOURCE = `import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpEventNormalizer from '@middy/http-event-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpCors from '@middy/http-cors';
import httpSecurityHeaders from '@middy/http-security-headers';
import httpErrorHandler from '@middy/http-error-handler';
import * as z from 'zod/mini';
import { SECURITY_HEADERS } from ${httpModule('security-headers.ts')};
import { CORS_ALLOW_HEADERS, CORS_MAX_AGE_SECONDS } from ${httpModule('cors.ts')};
const Path = z.object({ id: z.uuid() });
const origins = (process.env.CORS_ORIGINS ?? '').split(',');
export const handler = middy(async (event) => ({ statusCode: 200, body: JSON.stringify(z.parse(Path, event.pathParameters)) }))
  .use(httpHeaderNormalizer())
  .use(httpCors({ origins, methods: 'GET,OPTIONS', headers: CORS_ALLOW_HEADERS, maxAge: CORS_MAX_AGE_SECONDS }))
  .use(httpSecurityHeaders(SECURITY_HEADERS))
  .use(httpErrorHandler({ logger: false }))
  .use(httpEventNormalizer())
  .use(httpJsonBodyParser());
`;

// ---------------------------------------------------------------------------
// Import time in a fresh node
// ---------------------------------------------------------------------------

/**
 * Copies a bundle's files (what its zip holds) to `<tmp>/sps-bench-<pid>/<name>/`
 * and returns the entry there. Lambda imports from /var/task/; importing
 * from the build tree instead (`.build/bench-handlers/functions/builds/<pid>-<n>/`,
 * ~60 characters deeper) inflates the per-file cost of ES module loading
 * (Node resolves and normalises every chunk's path in JavaScript: measured,
 * the longer paths got node's `normalizeString` compiled by TurboFan during
 * posts-get's import), and so penalises bundles by their file count.
 */
const DEPLOY_ROOT = join(os.tmpdir(), `sps-bench-${process.pid}`);
function deployLike(b: FunctionBundle): string {
  const dir = join(DEPLOY_ROOT, b.name);
  for (const f of b.files) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    copyFileSync(join(b.outdir, f), join(dir, f));
  }
  return join(dir, b.entryFile.slice(b.outdir.length + 1));
}

const ENV = { ...process.env, ...SAMPLE_FUNCTION_ENV };

// Wall time and CPU time (user + system, all threads) of the import, in ms.
const IMPORT_PROBE = `const c = process.cpuUsage(); const t = process.hrtime.bigint(); await import(process.argv[1]); const w = Number(process.hrtime.bigint() - t) / 1e6; const u = process.cpuUsage(c); process.stdout.write(w + ' ' + (u.user + u.system) / 1000);`;

function importMs(file: string): [number, number] {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', IMPORT_PROBE, file], { env: ENV, encoding: 'utf8' });
  const [wall, cpu] = out.split(' ').map(Number) as [number, number];
  return [wall, cpu];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface ImportStats {
  /** Medians of each file's samples (a baseline's: all of them), in ms. */
  readonly times: Map<string, { wall: number; cpu: number }>;
  /** Per target: medians of the baseline samples paired with it, in ms. */
  readonly baseTimes: Map<string, { wall: number; cpu: number }>;
  /** Per target: median of (target / its baseline), each ratio from one adjacent pair of imports. */
  readonly ratios: Map<string, { wall: number; cpu: number }>;
}

/**
 * Imports each target right next to its baseline, RUNS times: every round
 * visits the pairs in a different (seeded, so repeatable) order and swaps
 * which of the two goes first, and each round gives one ratio per pair. The
 * ratio printed is the median of those paired ratios. Why: on this shared VM
 * the machine's speed drifts over seconds, and a ratio of two medians taken
 * ~1 s apart in every round carries that drift. Measured (CPU time): with one
 * fixed order per round, the five posts functions (the same code but for their
 * route) spread over 0.31-0.32 of ratio within one run (1.11-1.42, 1.22-1.54);
 * paired, over 0.08-0.12 (three runs).
 */
function importPairs(pairs: readonly (readonly [target: string, base: string])[]): ImportStats {
  const samples = new Map<string, { wall: number[]; cpu: number[] }>();
  const baseSamples = new Map<string, { wall: number[]; cpu: number[] }>();
  const paired = new Map<string, { wall: number[]; cpu: number[] }>();
  const push = (m: typeof samples, f: string, wall: number, cpu: number) => {
    const s = m.get(f) ?? { wall: [], cpu: [] };
    s.wall.push(wall);
    s.cpu.push(cpu);
    m.set(f, s);
  };
  for (const f of new Set(pairs.flat())) importMs(f); // warm the file cache
  let seed = 1;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647; // MINSTD: a fixed, repeatable order
  for (let r = 0; r < RUNS; r++) {
    const order = pairs.map((p) => [random(), p] as const).sort((a, b) => a[0] - b[0]).map(([, p]) => p);
    for (const [target, base] of order) {
      const baseFirst = r % 2 === 0;
      const early = importMs(baseFirst ? base : target);
      const late = importMs(baseFirst ? target : base);
      const [t, bs] = baseFirst ? [late, early] : [early, late];
      push(samples, target, t[0], t[1]);
      push(samples, base, bs[0], bs[1]);
      push(baseSamples, target, bs[0], bs[1]);
      push(paired, target, t[0] / bs[0], t[1] / bs[1]);
    }
  }
  const medians = (m: typeof samples) => new Map([...m].map(([f, xs]) => [f, { wall: median(xs.wall), cpu: median(xs.cpu) }]));
  return { times: medians(samples), baseTimes: medians(baseSamples), ratios: medians(paired) };
}

// ---------------------------------------------------------------------------
// Import instructions (valgrind --tool=callgrind), optional
// ---------------------------------------------------------------------------

const execFileAsync = promisify(execFile);

async function instructions(file: string | undefined): Promise<number> {
  const code = file ? `await import(${JSON.stringify(pathToFileURL(file).href)})` : 'await 0';
  const { stderr } = await execFileAsync(
    'valgrind',
    ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, '--input-type=module', '-e', code],
    { env: ENV, maxBuffer: 16 * 1024 * 1024 },
  );
  const m = /Collected : (\d+)/.exec(stderr);
  if (!m) throw new Error(`callgrind printed no instruction count for ${file ?? 'an empty node'}`);
  return Number(m[1]);
}

/** Median instructions of importing each file, minus an empty node's; two valgrind runs at a time. */
async function importInstructions(files: string[]): Promise<Map<string, number>> {
  const jobs: (string | undefined)[] = [];
  for (let r = 0; r < 3; r++) jobs.push(undefined, ...files);
  const results = new Map<string | undefined, number[]>();
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const file = jobs[next++];
      const n = await instructions(file);
      results.set(file, [...(results.get(file) ?? []), n]);
    }
  };
  await Promise.all([worker(), worker()]);
  const empty = median(results.get(undefined)!);
  return new Map(files.map((f) => [f, median(results.get(f)!) - empty]));
}

// ---------------------------------------------------------------------------
// Chain overhead, in process
// ---------------------------------------------------------------------------

interface Pair {
  bare: number;
  chain: number;
  bareCpu: number;
  chainCpu: number;
}

async function chainOverhead(): Promise<{ get: Pair; post: Pair }> {
  process.env.CORS_ORIGINS = 'https://app.example.com';
  const { httpHandler, reply } = await import('../functions/lib/http');
  const { setLogSink } = await import('../functions/lib/log');
  const { PostId, PostInput } = await import('../functions/lib/domain/posts');
  const { httpEvent, lambdaContext } = await import('../test/functions/events');
  // Logs are serialised as in production, but not written (the bench would flood stdout).
  let logged = 0;
  setLogSink((r) => {
    logged += JSON.stringify(r).length;
  });

  const post = { id: '6f1c3a52-3f7e-4c55-9d4b-5b0e8a0f6e11', title: 'Hello', body: 'World', author: 'Ann' };
  const getTemplate = httpEvent('GET', `/posts/${post.id}`, { pathParameters: { id: post.id }, headers: { origin: 'https://app.example.com' } });
  const postTemplate = httpEvent('POST', '/posts', { json: { title: 'Hello', body: 'World', author: 'Ann' }, headers: { origin: 'https://app.example.com' } });
  const context = lambdaContext(10_000);
  const clone = (e: typeof getTemplate) => ({ ...e, headers: { ...e.headers }, pathParameters: e.pathParameters && { ...e.pathParameters } });

  const bareGet = async (event: typeof getTemplate) => ({
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...post, id: event.pathParameters!.id }),
    isBase64Encoded: false,
  });
  const barePost = async (event: typeof getTemplate) => ({
    statusCode: 201,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: post.id, ...(JSON.parse(event.body!) as object) }),
    isBase64Encoded: false,
  });
  const chainGet = httpHandler({ path: PostId }, ({ path }) => ({ ...post, id: path.id }));
  const chainPost = httpHandler({ body: PostInput }, ({ body }) => reply(201, { id: post.id, ...body }));

  type Fn = (e: typeof getTemplate, c: typeof context) => Promise<{ statusCode: number }>;
  // Rounds alternate bare and chain so machine noise hits both; per-invocation
  // wall time and CPU time (user + system of this process, GC included).
  const pair = async (bare: Fn, chain: Fn, template: typeof getTemplate, expected: number) => {
    const wall = { bare: [] as number[], chain: [] as number[] };
    const cpu = { bare: [] as number[], chain: [] as number[] };
    for (const fn of [bare, chain]) for (let i = 0; i < 2000; i++) await fn(clone(template), context);
    for (let round = 0; round < 11; round++) {
      for (const [kind, fn] of [['bare', bare], ['chain', chain]] as const) {
        const c = process.cpuUsage();
        const start = process.hrtime.bigint();
        for (let i = 0; i < ITERATIONS; i++) {
          const r = await fn(clone(template), context);
          if (r.statusCode !== expected) throw new Error(`unexpected status ${r.statusCode}`);
        }
        wall[kind].push(Number(process.hrtime.bigint() - start) / 1000 / ITERATIONS);
        const u = process.cpuUsage(c);
        cpu[kind].push((u.user + u.system) / ITERATIONS);
      }
    }
    return { bare: median(wall.bare), chain: median(wall.chain), bareCpu: median(cpu.bare), chainCpu: median(cpu.chain) };
  };
  const get = await pair(bareGet, chainGet as never, getTemplate, 200);
  const postR = await pair(barePost, chainPost as never, postTemplate, 201);
  setLogSink(undefined);
  void logged;
  return { get, post: postR };
}

// ---------------------------------------------------------------------------

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);

async function main(): Promise<void> {
  let failures = 0;
  if (args.includes('--overhead-only')) return void (await reportOverhead());
  const functions = [...routes, ...tasks] as readonly FunctionDefinition[];
  const started = Date.now();
  const bundles = bundleFunctions(functions, { outRoot: join(BENCH_DIR, 'functions') });
  const kinds = new Map(functions.map((fn) => [kindOf(clientsOf(fn)), clientsOf(fn)]));
  // Each baseline is the clients' OWN bundle: built alone (same esbuild options
  // as the functions), not code-split against the other baselines, which would
  // add chunk boundaries and other clients' shared code to it.
  // Floors (see FLOOR_SOURCE), one per client kind, are built alone the same way.
  const builtAlone = (prefix: string, rest: string) =>
    new Map([...kinds].map(([kind, clients]) => [kind, bundleFunctions([clientSourceDefinition(prefix, clients, rest)], { functionsDir: BASELINE_SRC, outRoot: join(BENCH_DIR, `${prefix}s`) })[0]!]));
  const baselineByKind = builtAlone('baseline', BASELINE_HANDLER);
  const floorByKind = builtAlone('floor', FLOOR_SOURCE);
  const baselines = [...baselineByKind.values()];
  const floors = [...floorByKind.values()];
  const baselineOf = (fn: FunctionDefinition) => baselineByKind.get(kindOf(clientsOf(fn)))!;
  const bundleOf = (fn: FunctionDefinition) => bundles.find((b) => b.name === fn.name)!;
  console.log(`bundled ${bundles.length} functions + ${baselines.length} SDK baselines + ${floors.length} floors in ${Date.now() - started} ms (infra/bundling/, minified ESM, node22)`);

  console.log(`measuring import time in fresh node processes (${RUNS} rounds; each bundle imported next to its baseline, ratios are medians of the paired ratios), from ${DEPLOY_ROOT}/<name>/...`);
  rmSync(DEPLOY_ROOT, { recursive: true, force: true });
  process.on('exit', () => rmSync(DEPLOY_ROOT, { recursive: true, force: true }));
  const deployed = new Map([...bundles, ...baselines, ...floors].map((b) => [b.entryFile, deployLike(b)]));
  const entryOf = (b: FunctionBundle) => deployed.get(b.entryFile)!;
  const { times: imports, baseTimes, ratios } = importPairs([
    ...functions.map((fn) => [entryOf(bundleOf(fn)), entryOf(baselineOf(fn))] as const),
    ...[...kinds.keys()].map((kind) => [entryOf(floorByKind.get(kind)!), entryOf(baselineByKind.get(kind)!)] as const),
  ]);

  // Gzip of every JavaScript file the function loads (entry + its chunks).
  // (Once per bundle: every row and the baseline lines read it.)
  const gzipBytes = new Map<FunctionBundle, number>();
  const gz = (b: FunctionBundle) => {
    if (!gzipBytes.has(b)) {
      gzipBytes.set(b, b.files.filter((f) => f.endsWith('.mjs')).reduce((n, f) => n + gzipSync(readFileSync(join(b.outdir, f)), { level: 9 }).length, 0));
    }
    return gzipBytes.get(b)!;
  };
  console.log('');
  console.log(
    `${pad('function', 22)}${lpad('raw', 10)}${lpad('gzip', 10)}${lpad('SDK raw', 10)}${lpad('SDK gzip', 10)}${lpad('+raw', 9)}${lpad('+gzip', 9)}${lpad('import ms', 11)}${lpad('SDK ms', 9)}${lpad('ratio', 8)}${lpad('cpu rt', 8)}  targets (gzip: +30 KB; import: <= 1.10x floor)`,
  );
  for (const fn of functions) {
    const b = bundleOf(fn);
    const base = baselineOf(fn);
    const extra = b.bytes - base.bytes;
    const gzipExtra = gz(b) - gz(base);
    const { wall: ms } = imports.get(entryOf(b))!;
    const { wall: baseMs } = baseTimes.get(entryOf(b))!;
    const { wall: ratio, cpu: cpuRatio } = ratios.get(entryOf(b))!;
    const floorCpu = ratios.get(entryOf(floorByKind.get(kindOf(clientsOf(fn)))!))!.cpu;
    const gzipOk = gzipExtra <= 30 * 1024;
    const cpuOk = cpuRatio <= 1.1 * floorCpu;
    if (!gzipOk || !cpuOk) failures++;
    console.log(
      `${pad(fn.name, 22)}${lpad(kb(b.bytes), 10)}${lpad(kb(gz(b)), 10)}${lpad(kb(base.bytes), 10)}${lpad(kb(gz(base)), 10)}${lpad(kb(extra), 9)}${lpad(kb(gzipExtra), 9)}${lpad(ms.toFixed(1), 11)}${lpad(baseMs.toFixed(1), 9)}${lpad(ratio.toFixed(2), 8)}${lpad(cpuRatio.toFixed(2), 8)}  size ${gzipOk ? 'ok' : 'MISSED'}, import ${(cpuRatio / floorCpu).toFixed(2)}x floor ${cpuOk ? 'ok' : 'MISSED'}`,
    );
  }
  console.log('');
  for (const [kind, base] of baselineByKind) {
    console.log(`SDK baseline ${pad(kind, 18)} raw ${lpad(kb(base.bytes), 9)}  gzip ${lpad(kb(gz(base)), 9)}  import ${imports.get(entryOf(base))!.wall.toFixed(1)} ms (cpu ${imports.get(entryOf(base))!.cpu.toFixed(1)} ms)`);
  }
  console.log('');
  console.log('floor: the same clients + only the required libraries (middy core, its six official middlewares, zod/mini with a uuid path schema), none of our code:');
  for (const [kind, base] of baselineByKind) {
    const floor = floorByKind.get(kind)!;
    const f = imports.get(entryOf(floor))!;
    const r = ratios.get(entryOf(floor))!;
    console.log(
      `floor ${pad(kind, 18)} +raw ${lpad(kb(floor.bytes - base.bytes), 8)}  +gzip ${lpad(kb(gz(floor) - gz(base)), 8)}  import ${f.wall.toFixed(1)} ms (cpu ${f.cpu.toFixed(1)} ms)  ratio ${r.wall.toFixed(2)}  cpu rt ${r.cpu.toFixed(2)}`,
    );
  }

  if (args.includes('--instructions')) {
    console.log('\ncounting import instructions with valgrind --tool=callgrind (median of 3, minus an empty node)...');
    const counts = await importInstructions([...bundles.map(entryOf), ...baselines.map(entryOf), ...floors.map(entryOf)]);
    for (const fn of functions) {
      const b = bundleOf(fn);
      const base = baselineOf(fn);
      const n = counts.get(entryOf(b))!;
      const baseN = counts.get(entryOf(base))!;
      const floorN = counts.get(entryOf(floorByKind.get(kindOf(clientsOf(fn)))!))!;
      console.log(`${pad(fn.name, 22)} ${lpad((n / 1e6).toFixed(1), 7)} M instructions   SDK ${lpad((baseN / 1e6).toFixed(1), 7)} M   ratio ${(n / baseN).toFixed(2)}   floor ${lpad((floorN / 1e6).toFixed(1), 7)} M (ratio ${(floorN / baseN).toFixed(2)})`);
    }
  }

  console.log('');
  failures += await reportOverhead();
  console.log('');
  console.log(failures === 0 ? 'all targets met' : `${failures} target group(s) missed`);
  process.exitCode = failures === 0 ? 0 : 1;
}

async function reportOverhead(): Promise<number> {
  console.log(`chain overhead (median of 11 rounds x ${ITERATIONS} invocations, in process; machine load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs):`);
  const o = await chainOverhead();
  const line = (label: string, p: Pair, target: number) => {
    const wall = p.chain - p.bare;
    const cpu = p.chainCpu - p.bareCpu;
    console.log(
      `  ${label}: wall bare ${p.bare.toFixed(2)} / chain ${p.chain.toFixed(2)} us -> overhead ${wall.toFixed(2)} us (${wall <= target ? 'ok' : 'MISSED'}); cpu bare ${p.bareCpu.toFixed(2)} / chain ${p.chainCpu.toFixed(2)} us -> overhead ${cpu.toFixed(2)} us (${cpu <= target ? 'ok' : 'MISSED'}); target <= ${target}`,
    );
    // Evaluated on CPU time: on a shared, loaded machine wall time also counts waiting for a core.
    return cpu <= target;
  };
  const getOk = line('GET  /posts/{id}', o.get, 25);
  const postOk = line('POST /posts     ', o.post, 45);
  if (args.includes('--overhead-only')) process.exitCode = getOk && postOk ? 0 : 1;
  return getOk && postOk ? 0 : 1;
}

await main();
