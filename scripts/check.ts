/**
 * `npm run check`: synthesizes every environment stack and runs the policy
 * pack on it. Prints a table, writes reports/policy.json, exits 1 on any
 * unsuppressed violation or invalid suppression.
 *
 * Options:
 *   --outdir <dir>   use an existing synth output (manifest.json) instead of synthesizing
 *   --app <entry>    app entry to synthesize (default infra/main.ts; e.g. infra/bootstrap/main.ts)
 *   --stack <name>   only this stack (repeatable)
 *   --plan <file>    enrich a stack with its `terraform show -json` plan (repeatable);
 *                    the stack is `<stack>=` before the path, else the file name `<stack>.plan.json`
 *                    (what `npm run plan:offline` writes to .build/plan-offline/)
 *   --json <file>    JSON report path (default reports/policy.json)
 *   --verbose        list passing resources too
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { routes, tasks } from '../functions/registry';
import { hasViolations, runPack } from '../infra/policy/engine';
import { formatJson, formatTable } from '../infra/policy/report';
import { allRules } from '../infra/policy/rules';
import { suppressions } from '../infra/policy/suppressions';
import { REPO_ROOT } from '../infra/paths';
import { loadSynthesizedStacks, synthApp } from '../infra/policy/synth';

function parseArgs(argv: string[]) {
  const opts = { outdir: undefined as string | undefined, apps: [] as string[], stacks: [] as string[], plans: [] as string[], json: 'reports/policy.json', verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--outdir') opts.outdir = next();
    else if (a === '--app') opts.apps.push(next());
    else if (a === '--stack') opts.stacks.push(next());
    else if (a === '--plan') opts.plans.push(next());
    else if (a === '--json') opts.json = next();
    else if (a === '--verbose' || a === '-v') opts.verbose = true;
    else throw new Error(`unknown option ${a}; see the header of scripts/check.ts`);
  }
  return opts;
}

function main(): number {
  const opts = parseArgs(process.argv.slice(2));
  const outdirs = opts.outdir ? [opts.outdir] : (opts.apps.length ? opts.apps : ['infra/main.ts', 'infra/bootstrap/main.ts']).map((entry) => synthApp({ entry }));
  let stacks = outdirs.flatMap((d) => loadSynthesizedStacks(d));
  if (opts.stacks.length) stacks = stacks.filter((s) => opts.stacks.includes(s.name));
  for (const spec of opts.plans) {
    const [name, file] = spec.includes('=') ? (spec.split('=', 2) as [string, string]) : [basename(spec).replace(/\.plan\.json$|\.json$/, ''), spec];
    const i = stacks.findIndex((s) => s.name === name);
    if (i < 0) throw new Error(`--plan ${spec}: no stack named "${name}" (stacks: ${stacks.map((s) => s.name).join(', ')})`);
    stacks[i] = { ...stacks[i], plan: JSON.parse(readFileSync(resolve(file), 'utf8')) };
    console.log(`plan: ${name} enriched from ${file}`);
  }
  const report = runPack(stacks, { rules: allRules, functions: [...routes, ...tasks], suppressions });
  console.log(formatTable(report, { verbose: opts.verbose }));
  const jsonPath = resolve(REPO_ROOT, opts.json);
  mkdirSync(dirname(jsonPath), { recursive: true });
  writeFileSync(jsonPath, formatJson(report));
  console.log(`JSON report: ${jsonPath}`);
  return hasViolations(report) ? 1 : 0;
}

try {
  process.exitCode = main();
} catch (e) {
  console.error(`check: ${(e as Error).message}`);
  process.exitCode = 2;
}
