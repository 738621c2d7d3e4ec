/**
 * Synthesizes the app the way `cdktf synth` does (running the cdktf.json app
 * command with CDKTF_OUTDIR set) and loads every stack's `cdk.tf.json`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { environments } from '../config/environments';
import { loadConfig } from '../config';
import { REPO_ROOT } from '../paths';
import type { StackInput } from './engine';


/**
 * Runs an app entry (default: infra/main.ts) with the cdktf.json app runner
 * (scripts/app.mjs) into `outdir` (emptied first), as `cdktf synth` would,
 * with no telemetry. Returns outdir. The one synth used by the policy pack,
 * the diagram and the offline plan.
 */
export function synthApp(options: { entry?: string; outdir?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const outdir = options.outdir ?? mkdtempSync(join(tmpdir(), 'sps-synth-'));
  rmSync(outdir, { recursive: true, force: true });
  const entry = options.entry ?? 'infra/main.ts';
  try {
    // As cdktf.json's app command: hides cdktf 0.21's util.isArray deprecation warning (see scripts/app.mjs).
    execFileSync(process.execPath, ['--disable-warning=DEP0044', join(REPO_ROOT, 'scripts', 'app.mjs'), entry], {
      cwd: REPO_ROOT,
      env: { ...process.env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: '1', DISABLE_VERSION_CHECK: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stderr?: Buffer | string; stdout?: Buffer | string; message: string };
    throw new Error(`synth of ${entry} failed:\n${String(e.stderr || e.stdout || e.message)}`);
  }
  return outdir;
}

/**
 * Loads every stack of a synth output directory (`manifest.json`), attaching
 * the environment config to stacks named after an environment.
 */
export function loadSynthesizedStacks(outdir: string): StackInput[] {
  const manifestPath = join(outdir, 'manifest.json');
  if (!existsSync(manifestPath)) throw new Error(`${manifestPath} not found: run the synth first (npx cdktf synth)`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { stacks: Record<string, { synthesizedStackPath: string }> };
  return Object.entries(manifest.stacks).map(([name, s]) => ({
    name,
    json: JSON.parse(readFileSync(join(outdir, s.synthesizedStackPath), 'utf8')) as Record<string, unknown>,
    config: name in environments ? loadConfig(name) : undefined,
  }));
}
