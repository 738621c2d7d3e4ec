/**
 * Runs the rules over synthesized stacks and applies suppressions.
 * Every suppression is validated (known rule, reason of at least 10
 * characters) and listed in the report: nothing is silenced quietly.
 */
import type { FunctionDefinition } from '../../functions/registry-types';
import type { EnvironmentConfig } from '../config/schema';
import { StackModel, type TfResource } from './model';
import type { PackReport, ResultRow, Rule, Suppression } from './types';

export const MIN_REASON_LENGTH = 10;

export interface StackInput {
  /** Stack name (environment name for env stacks). */
  readonly name: string;
  /** Parsed synthesized Terraform JSON (`cdk.tf.json` or `Testing.synth` output). */
  readonly json: Record<string, unknown>;
  /** The environment config of this stack, when it is an environment. */
  readonly config?: EnvironmentConfig;
  /** Optional `terraform show -json` plan of the stack (see `StackModel.enrichWithPlan`). */
  readonly plan?: Parameters<StackModel['enrichWithPlan']>[0];
}

export interface RunOptions {
  readonly rules: readonly Rule[];
  readonly functions?: readonly FunctionDefinition[];
  /** Suppressions from `infra/policy/suppressions.ts` (or a test's own). */
  readonly suppressions?: readonly Suppression[];
  /**
   * Rule ids a suppression may name. A run of some rules only (the synth
   * guards) must still accept a construct's suppression of another rule.
   * @default - the ids of `rules`
   */
  readonly knownRuleIds?: readonly string[];
}

function globToRegExp(glob: string): RegExp {
  const esc = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\u0000').replace(/\*/g, '[^/]*');
  return new RegExp(`^${esc.replace(/\u0000/g, '.*')}$`);
}

/** Does a suppression's `resource` designate this resource? */
export function matchesResource(model: StackModel, pattern: string, resource: TfResource): boolean {
  const selector = /^([a-z0-9_]+)\[([a-z0-9_.]+)\s*=\s*"(.*)"\]$/.exec(pattern);
  if (selector) {
    const [, type, attr, expected] = selector;
    if (resource.type !== type) return false;
    const actual = model.resolveString(attr.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], resource.values));
    return actual === expected;
  }
  if (pattern === resource.address || pattern === resource.path) return true;
  if (!pattern.includes('*')) return false;
  const re = globToRegExp(pattern);
  return re.test(resource.address) || re.test(resource.path);
}

interface ActiveSuppression extends Suppression {
  readonly source: string;
  /** Declared on the resource itself (construct hook): always matches it. */
  readonly inline: boolean;
  used: boolean;
}

function validateSuppression(s: Partial<Suppression>, source: string, ruleIds: Set<string>): string[] {
  const errors: string[] = [];
  if (!s.rule || !ruleIds.has(s.rule)) {
    errors.push(`${source}: suppression names unknown rule ${JSON.stringify(s.rule)}; use one of the ids in docs/policy.md`);
  }
  if (!s.resource || typeof s.resource !== 'string') errors.push(`${source}: suppression of ${s.rule} names no resource`);
  const reason = typeof s.reason === 'string' ? s.reason.trim() : '';
  if (reason.length < MIN_REASON_LENGTH) {
    errors.push(
      `${source}: suppression of ${s.rule} on ${s.resource ?? '(construct)'} has a reason of ${reason.length} characters (received ${JSON.stringify(s.reason ?? '')}); explain why in at least ${MIN_REASON_LENGTH} characters`,
    );
  }
  return errors;
}

/** Runs every rule on every stack. Pure: no I/O. */
export function runPack(stacks: readonly StackInput[], options: RunOptions): PackReport {
  const ruleIds = new Set(options.knownRuleIds ?? options.rules.map((r) => r.id));
  const errors: string[] = [];
  const fileSuppressions: ActiveSuppression[] = [];
  (options.suppressions ?? []).forEach((s, i) => {
    const source = `suppressions[${i}]`;
    const problems = validateSuppression(s, source, ruleIds);
    errors.push(...problems);
    if (problems.length === 0) fileSuppressions.push({ ...s, source, inline: false, used: false });
  });

  const results: ResultRow[] = [];
  for (const stack of stacks) {
    const model = new StackModel(stack.name, stack.json);
    if (stack.plan) model.enrichWithPlan(stack.plan);
    const inline = new Map<string, ActiveSuppression[]>();
    for (const resource of model.resources) {
      resource.inlineSuppressions.forEach((raw, i) => {
        const s = (raw ?? {}) as Partial<Suppression>;
        const source = `${stack.name}:${resource.path} (construct suppression ${i})`;
        const problems = validateSuppression({ ...s, resource: resource.address }, source, ruleIds);
        errors.push(...problems);
        if (problems.length === 0) {
          const list = inline.get(resource.address) ?? [];
          list.push({ rule: s.rule!, resource: resource.address, reason: s.reason!, source, inline: true, used: false });
          inline.set(resource.address, list);
        }
      });
    }
    const ctx = { model, stack: stack.name, config: stack.config, functions: options.functions ?? [] };
    for (const rule of options.rules) {
      let checks;
      try {
        checks = rule.check(ctx);
      } catch (e) {
        errors.push(`${stack.name}: rule ${rule.id} crashed: ${(e as Error).stack ?? e}`);
        continue;
      }
      for (const c of checks) {
        const base = {
          stack: stack.name,
          rule: rule.id,
          mapsTo: rule.mapsTo,
          resource: c.resource.address,
          path: c.resource.path,
          message: c.message,
          hint: rule.fix,
        };
        const candidates = [
          ...(inline.get(c.resource.address) ?? []),
          ...fileSuppressions.filter((s) => !s.stacks || s.stacks.includes(stack.name)),
        ].filter((s) => s.rule === rule.id && (s.inline || matchesResource(model, s.resource, c.resource)));
        if (c.ok) {
          results.push({ ...base, verdict: 'pass' });
          continue;
        }
        const s = candidates[0];
        if (s) {
          s.used = true;
          results.push({ ...base, verdict: 'suppressed', suppression: { reason: s.reason, source: s.source } });
        } else {
          results.push({ ...base, verdict: 'fail' });
        }
      }
    }
  }
  const warnings = fileSuppressions
    .filter((s) => !s.used)
    .map((s) => `${s.source}: suppression of ${s.rule} on ${s.resource} matched no violation in ${stacks.map((s2) => s2.name).join(', ')}; remove it if it is stale`);
  const count = (v: string) => results.filter((r) => r.verdict === v).length;
  return {
    version: 1,
    stacks: stacks.map((s) => s.name),
    rules: options.rules.map(({ id, title, mapsTo, rationale, fix }) => ({ id, title, mapsTo, rationale, fix })),
    results,
    errors,
    warnings,
    summary: { pass: count('pass'), fail: count('fail'), suppressed: count('suppressed') },
  };
}

/** True when the report should fail the build. */
export function hasViolations(report: PackReport): boolean {
  return report.summary.fail > 0 || report.errors.length > 0;
}
