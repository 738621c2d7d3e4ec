/**
 * Lints the GitHub Actions workflows offline: `npx tsx scripts/lint-workflows.ts [files...]`.
 *
 * 1. GitHub's own parser (@actions/workflow-parser, the one behind the Actions
 *    language service) validates every file against the workflow schema and
 *    parses every `${{ }}` expression (syntax and context names).
 * 2. Checks the parser leaves out: `needs` names existing jobs without cycles,
 *    `needs.<job>` expressions only name jobs the job depends on, local
 *    reusable workflows exist and get exactly their declared inputs.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { REPO_ROOT } from '../infra/paths';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { parse as parseYaml } from 'yaml';

export interface LintProblem {
  readonly file: string;
  readonly message: string;
}

type Job = { needs?: string | string[]; uses?: string; with?: Record<string, unknown>; steps?: unknown[]; [k: string]: unknown };
type Workflow = { on?: unknown; jobs?: Record<string, Job> };

const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

function expressionsOf(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') for (const m of value.matchAll(/\$\{\{([\s\S]*?)\}\}/g)) out.push(m[1]);
  else if (Array.isArray(value)) value.forEach((v) => expressionsOf(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => expressionsOf(v, out));
  return out;
}

function reusableInputs(root: string, uses: string): { inputs: Record<string, { required?: boolean }> } | string {
  const path = join(root, uses);
  if (!existsSync(path)) return `reusable workflow ${uses} does not exist`;
  const wf = parseYaml(readFileSync(path, 'utf8')) as { on?: { workflow_call?: { inputs?: Record<string, { required?: boolean }> } } };
  const call = wf.on && typeof wf.on === 'object' ? wf.on.workflow_call : undefined;
  if (!call) return `${uses} is not a reusable workflow (no on.workflow_call)`;
  return { inputs: call.inputs ?? {} };
}

/** Lints one workflow's text. `root` is the repository root (for local reusable workflows). */
export function lintWorkflow(name: string, content: string, root: string): LintProblem[] {
  const problems: LintProblem[] = [];
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  for (const e of parsed.context.errors.getErrors()) problems.push({ file: name, message: e.message });
  let wf: Workflow;
  try {
    wf = parseYaml(content) as Workflow;
  } catch (e) {
    return [...problems, { file: name, message: `YAML: ${(e as Error).message}` }];
  }
  const jobs = wf?.jobs ?? {};
  for (const [id, job] of Object.entries(jobs)) {
    const needs = list(job.needs);
    for (const n of needs) if (!(n in jobs)) problems.push({ file: name, message: `job "${id}" needs "${n}", which is not a job of this workflow` });
    for (const expr of expressionsOf({ ...job, needs: undefined })) {
      for (const m of expr.matchAll(/\bneeds\.([A-Za-z_][\w-]*)/g)) {
        if (!needs.includes(m[1])) problems.push({ file: name, message: `job "${id}" reads needs.${m[1]} but does not list "${m[1]}" in needs` });
      }
    }
    if (typeof job.uses === 'string' && job.uses.startsWith('./')) {
      const target = reusableInputs(root, job.uses);
      if (typeof target === 'string') problems.push({ file: name, message: `job "${id}": ${target}` });
      else {
        const given = Object.keys(job.with ?? {});
        for (const g of given) if (!(g in target.inputs)) problems.push({ file: name, message: `job "${id}" passes unknown input "${g}" to ${job.uses}` });
        for (const [input, spec] of Object.entries(target.inputs)) {
          if (spec?.required && !given.includes(input)) problems.push({ file: name, message: `job "${id}" does not pass required input "${input}" to ${job.uses}` });
        }
      }
    }
  }
  // Cycles in needs.
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]): void => {
    if (state.get(id) === 'done' || !(id in jobs)) return;
    if (state.get(id) === 'visiting') {
      problems.push({ file: name, message: `needs cycle: ${[...path, id].join(' -> ')}` });
      return;
    }
    state.set(id, 'visiting');
    for (const n of list(jobs[id].needs)) visit(n, [...path, id]);
    state.set(id, 'done');
  };
  Object.keys(jobs).forEach((id) => visit(id, []));
  return problems;
}

/** Lints every `.yml`/`.yaml` file of `.github/workflows` under `root`. */
export function lintWorkflows(root: string, files?: readonly string[]): LintProblem[] {
  const dir = join(root, '.github', 'workflows');
  const targets = files ?? readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(dir, f));
  return targets.flatMap((f) => lintWorkflow(relative(root, resolve(f)), readFileSync(f, 'utf8'), root));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = REPO_ROOT;
  const files = process.argv.slice(2);
  const problems = lintWorkflows(root, files.length ? files : undefined);
  for (const p of problems) console.log(`${p.file}: ${p.message}`);
  console.log(problems.length ? `${problems.length} problem(s)` : 'workflows: no problems');
  process.exitCode = problems.length ? 1 : 0;
}
