/**
 * Types of the policy pack: rules, their results, suppressions, reports.
 */
import type { FunctionDefinition } from '../../functions/registry-types';
import type { EnvironmentConfig } from '../config/schema';
import type { StackModel, TfResource } from './model';

/** What a rule sees: one synthesized stack, plus its environment config when it has one. */
export interface RuleContext {
  readonly model: StackModel;
  /** Stack name (the environment for env stacks, `bootstrap` for the bootstrap stack). */
  readonly stack: string;
  /** The environment's validated config; undefined for stacks that are not an environment. */
  readonly config?: EnvironmentConfig;
  /** Every function of the registry (routes and tasks). */
  readonly functions: readonly FunctionDefinition[];
}

/** One rule's verdict on one resource. */
export interface CheckResult {
  readonly resource: TfResource;
  readonly ok: boolean;
  /** What was found (for a failure: what is wrong, with the value received). */
  readonly message: string;
}

export interface Rule {
  /** Our id, e.g. `SPS-LAMBDA-1`. */
  readonly id: string;
  /** Short statement of what compliant means. */
  readonly title: string;
  /** The cdk-nag / checkov / AWS Config ids this rule corresponds to. */
  readonly mapsTo: readonly string[];
  /** One line: why it matters. */
  readonly rationale: string;
  /** One line: how to fix a violation. */
  readonly fix: string;
  /** Resource types the rule looks at (documentation and the report's "not applicable"). */
  readonly resourceTypes: readonly string[];
  readonly check: (ctx: RuleContext) => CheckResult[];
}

/**
 * A suppression: one rule, one resource, a reason of at least 10 characters.
 * `resource` matches a resource's Terraform address (`aws_apigatewayv2_route.x`),
 * its construct path (`dev/api/route-health`), or a selector on a literal
 * attribute: `aws_apigatewayv2_route[route_key="GET /health"]`.
 * `*` in an address or path matches any characters except `/`.
 */
export interface Suppression {
  readonly rule: string;
  readonly resource: string;
  readonly reason: string;
  /** Stacks it applies to. @default - every stack */
  readonly stacks?: readonly string[];
}

export type Verdict = 'pass' | 'fail' | 'suppressed';

export interface ResultRow {
  readonly stack: string;
  readonly rule: string;
  readonly mapsTo: readonly string[];
  readonly resource: string;
  readonly path: string;
  readonly verdict: Verdict;
  readonly message: string;
  readonly hint: string;
  /** For `suppressed`: the reason and where the suppression was declared. */
  readonly suppression?: { readonly reason: string; readonly source: string };
}

export interface PackReport {
  readonly version: 1;
  readonly stacks: readonly string[];
  readonly rules: readonly { id: string; title: string; mapsTo: readonly string[]; rationale: string; fix: string }[];
  readonly results: readonly ResultRow[];
  /** Invalid suppressions (short reason, unknown rule) and unreadable inputs: each fails the run. */
  readonly errors: readonly string[];
  /** Suppressions that matched nothing (stale): reported, not fatal. */
  readonly warnings: readonly string[];
  readonly summary: { readonly pass: number; readonly fail: number; readonly suppressed: number };
}
