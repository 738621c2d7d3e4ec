/**
 * `npm run bench:dev`: how long `npm run dev` takes from process start to its
 * ready lines (the API's and the web app's), cold (first start: initdb, table creation, migrations) and warm
 * (data already there), plus the first request to /health (a sandbox cold
 * start). Target: warm start under 5 s.
 *
 *   npm run bench:dev -- [--runs 5]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../infra/paths';

const WARM_TARGET_MS = 5000;

interface Sample {
  readyMs: number;
  firstHealthMs: number;
  steps: string;
}

async function startOnce(dataDir: string): Promise<Sample> {
  const t0 = performance.now();
  const child = spawn(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/dev.ts', '--quiet'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PORT: '0', WEB_PORT: '0', LOCAL_DATA_DIR: dataDir },
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      // Ready when both the API and the web app (the last line) are.
      const m = /^Local API listening on (\S+)$/m.exec(out);
      if (m && /^Web app on \S+$/m.test(out)) resolve(m[1]!);
    });
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => reject(new Error(`dev exited with ${code}:\n${out}`)));
  });
  const readyMs = performance.now() - t0;
  const h0 = performance.now();
  const health = await fetch(`${url}/health`);
  const firstHealthMs = performance.now() - h0;
  if (health.status !== 200) throw new Error(`/health answered ${health.status}`);
  const steps = /started in \d+ms \((.*)\)$/m.exec(out)?.[1] ?? '';
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  return { readyMs, firstHealthMs, steps };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${Math.round(x)} ms`;

async function main(): Promise<void> {
  const i = process.argv.indexOf('--runs');
  const runs = i > 0 ? Number(process.argv[i + 1]) : 5;
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-dev-'));
  await fs.chmod(dataDir, 0o755);
  try {
    const cold = await startOnce(dataDir);
    console.log(`cold (initdb + tables + migrations): ready ${ms(cold.readyMs)}, first /health ${ms(cold.firstHealthMs)}  [${cold.steps}]`);
    const warm: Sample[] = [];
    for (let r = 0; r < runs; r++) {
      const s = await startOnce(dataDir);
      warm.push(s);
      console.log(`warm #${r + 1}: ready ${ms(s.readyMs)}, first /health ${ms(s.firstHealthMs)}  [${s.steps}]`);
    }
    const m = median(warm.map((s) => s.readyMs));
    console.log(`warm median: ready ${ms(m)} (target < ${WARM_TARGET_MS} ms: ${m < WARM_TARGET_MS ? 'met' : 'NOT met'}), first /health ${ms(median(warm.map((s) => s.firstHealthMs)))}`);
  } finally {
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
