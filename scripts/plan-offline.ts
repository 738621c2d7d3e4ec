/**
 * `npm run plan:offline [-- <stack> ...]`: synthesizes the app and plans every
 * stack (or the ones named) with the real Terraform and AWS provider, with no
 * AWS account and no network (dummy credentials, provider from a local mirror:
 * see `pluginMirror`). Prints resource counts per type and stack, each
 * stack's "Plan: N to add, N to change, N to destroy" (data sources apart,
 * scripts/plan-summary.ts), and writes each plan as JSON to
 * .build/plan-offline/<stack>.plan.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BUILD_DIR } from '../infra/paths';
import { countByType, planOffline, pluginMirror, prepareOfflineStack, synthApp, type OfflinePlan } from './plan-offline-lib';
import { planLine } from './plan-summary';

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const mirror = pluginMirror();
  if (!mirror) console.log('no local provider mirror (TF_PLUGIN_MIRROR, Terraform\'s implied mirrors, /opt/tf-plugins): terraform init downloads hashicorp/aws 5.100.0');
  const root = join(BUILD_DIR, 'plan-offline');
  const outdir = join(root, 'cdktf.out');
  mkdirSync(root, { recursive: true });

  let t = performance.now();
  const stacks = await synthApp(outdir);
  console.log(`synth: ${stacks.length} stack(s) [${stacks.join(', ')}] in ${Math.round(performance.now() - t)} ms`);
  const unknown = wanted.filter((s) => !stacks.includes(s));
  if (unknown.length) throw new Error(`unknown stack(s) ${unknown.join(', ')}; choose from ${stacks.join(', ')}`);
  const selected = wanted.length ? wanted : stacks;

  t = performance.now();
  const plans: OfflinePlan[] = await Promise.all(
    selected.map((stack) => planOffline(stack, prepareOfflineStack(outdir, stack, join(root, stack)), mirror)),
  );
  console.log(`plan: ${selected.length} stack(s) in ${Math.round(performance.now() - t)} ms (in parallel)\n`);

  const counts = plans.map((p) => countByType(p.plan));
  const types = [...new Set(counts.flatMap((c) => Object.keys(c)))].sort();
  const width = Math.max(13, ...types.map((ty) => ty.length));
  console.log(['resource type'.padEnd(width), ...selected.map((s) => s.padStart(6))].join('  '));
  for (const ty of types) console.log([ty.padEnd(width), ...counts.map((c) => String(c[ty] ?? 0).padStart(6))].join('  '));
  const resources = (c: Record<string, number>) => Object.entries(c).reduce((sum, [ty, n]) => sum + (ty.startsWith('data.') ? 0 : n), 0);
  console.log(['resources (no data.*)'.padEnd(width), ...counts.map((c) => String(resources(c)).padStart(6))].join('  '));
  console.log('');
  for (const p of plans) {
    const file = join(root, `${p.stack}.plan.json`);
    writeFileSync(file, JSON.stringify(p.plan, null, 2));
    const tm = p.timings;
    console.log(`${p.stack}: ${planLine(p.plan)}`);
    console.log(
      `${' '.repeat(p.stack.length)}  init ${tm.init} ms, validate ${tm.validate} ms, plan ${tm.plan} ms, show ${tm.show} ms -> ${relative(process.cwd(), file)}`,
    );
  }
}

main().catch((err: Error) => {
  console.error(`plan:offline failed: ${err.message}`);
  process.exit(1);
});
