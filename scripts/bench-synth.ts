/**
 * `npm run bench:synth`: wall time and peak memory of
 *   A) a full synth of every stack (infra/main.ts: config, bundling of every
 *      function from a cold build dir, all stacks, assets written), and
 *   B) loading @cdktf/provider-aws's barrel index (what deep imports avoid),
 * each in a fresh child process, alternated, side by side in the same run.
 * Targets (issue 2): A's wall time <= 0.6 x B's, and A's peak RSS < 300 MB.
 *
 * Options: --runs N (default 5), --warm (keep the build dir between synth runs,
 * so runs after the first reuse the cached bundles, as a developer's repeated
 * `cdktf synth` does; the default is a fresh, empty build dir per run: every
 * function is bundled by esbuild every time).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../infra/paths';

const PROBE = join(REPO_ROOT, 'scripts', 'bench', 'rss-probe.mjs');
const TIME_TARGET = 0.6;
const RSS_TARGET_MB = 300;

interface Sample {
  readonly ms: number;
  readonly rssMb: number;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function measure(args: string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), 'sps-bench-rss-'));
  const rssFile = join(dir, 'rss');
  const start = performance.now();
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', PROBE, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env, BENCH_RSS_FILE: rssFile, CHECKPOINT_DISABLE: '1', NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (c) => (c === 0 ? resolve(0) : reject(new Error(`${args.join(' ')} exited ${c}:\n${stderr}`))));
  });
  const ms = performance.now() - start;
  const rss = Math.max(...readFileSync(rssFile, 'utf8').trim().split('\n').map((l) => Number(l.split(' ')[1])));
  rmSync(dir, { recursive: true, force: true });
  void code;
  return { ms, rssMb: rss / 1024 / 1024 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function main(): Promise<void> {
  const runs = arg('--runs', 5);
  const warm = process.argv.includes('--warm');
  const work = mkdtempSync(join(tmpdir(), 'sps-bench-synth-'));
  const synth: Sample[] = [];
  const barrel: Sample[] = [];
  try {
    // One untimed round of each: tsx's transform cache and the OS file cache
    // are warm in a developer's loop; a first-ever run is not what we compare.
    const synthEnv = (i: number): NodeJS.ProcessEnv => ({
      CDKTF_OUTDIR: join(work, `out-${i}`),
      SPS_BUILD_DIR: join(work, warm ? 'build' : `build-${i}`),
    });
    // What `cdktf synth` runs (cdktf.json's app command).
    const synthArgs = [join(REPO_ROOT, 'scripts', 'app.mjs'), join(REPO_ROOT, 'infra', 'main.ts')];
    const barrelArgs = ['--input-type=module', '-e', "await import('@cdktf/provider-aws')"];
    await measure(synthArgs, synthEnv(-1));
    await measure(barrelArgs, {});
    for (let i = 0; i < runs; i++) {
      synth.push(await measure(synthArgs, synthEnv(i)));
      barrel.push(await measure(barrelArgs, {}));
      rmSync(join(work, `out-${i}`), { recursive: true, force: true });
      process.stdout.write('.');
    }
    process.stdout.write('\n');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const row = (label: string, xs: Sample[]): string =>
    `${label.padEnd(44)} ${median(xs.map((x) => x.ms)).toFixed(0).padStart(7)} ms ${median(xs.map((x) => x.rssMb)).toFixed(0).padStart(6)} MB   (min ${Math.min(...xs.map((x) => x.ms)).toFixed(0)} ms, max ${Math.max(...xs.map((x) => x.ms)).toFixed(0)} ms, peak ${Math.max(...xs.map((x) => x.rssMb)).toFixed(0)} MB)`;
  console.log(`\nmedian of ${runs} runs each, fresh child processes, alternated:`);
  console.log(row(warm ? 'A) full synth, every stack, bundles cached' : 'A) full synth, every stack, bundling included', synth));
  console.log(row('B) load @cdktf/provider-aws barrel index', barrel));
  // Each synth run is paired with the barrel run right after it, so both see
  // the same machine load; the median of the per-pair ratios is the estimate
  // the target is checked against (ratios of medians/minimums shown too).
  const paired = median(synth.map((a, i) => a.ms / barrel[i]!.ms));
  const ofMedians = median(synth.map((x) => x.ms)) / median(barrel.map((x) => x.ms));
  const ofMinimums = Math.min(...synth.map((x) => x.ms)) / Math.min(...barrel.map((x) => x.ms));
  const peak = Math.max(...synth.map((x) => x.rssMb));
  const timeOk = paired <= TIME_TARGET;
  const rssOk = peak < RSS_TARGET_MB;
  console.log(
    `\ntime: A/B = ${paired.toFixed(2)} (median of per-pair ratios; target <= ${TIME_TARGET}) ${timeOk ? 'PASS' : 'FAIL'}` +
      `  [ratio of medians ${ofMedians.toFixed(2)}, of minimums ${ofMinimums.toFixed(2)}]`,
  );
  console.log(`peak memory of A: ${peak.toFixed(0)} MB (target < ${RSS_TARGET_MB} MB) ${rssOk ? 'PASS' : 'FAIL'}`);
  console.log(`machine load (1 min average): ${loadavg()[0]!.toFixed(2)} on ${cpus().length} CPUs; the synth is multi-process (esbuild), so a busy machine slows it more than the single-threaded barrel load`);
  if (!timeOk || !rssOk) process.exitCode = 1;
}

main().catch((err: Error) => {
  console.error(`bench:synth failed: ${err.message}`);
  process.exit(1);
});
