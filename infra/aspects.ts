/**
 * Secure defaults as a cdktf Aspect (the cdktf home for cdk-nag-style
 * checks): after every construct and escape-hatch change is applied, the
 * stack's Terraform JSON goes through the policy pack rules that guard a
 * secure default, and each violation becomes an error annotation on the
 * construct that owns the resource, so synth fails with its path, the rule
 * and the fix. The rules live once, in infra/policy; this file only picks
 * which of them stop a synth (the rest stop CI: `npm run policy`). A guard is
 * waived only on the construct itself (`suppressPolicy`), with a reason.
 */
import { Annotations, TerraformStack, type IAspect } from 'cdktf';
import type { IConstruct } from 'constructs';
import type { FunctionDefinition } from '../functions/registry-types';
import type { EnvironmentConfig } from './config/schema';
import { runPack } from './policy/engine';
import { allRules } from './policy/rules';

/**
 * Rules whose violation fails `cdktf synth` itself (docs/policy.md says why
 * these). Left to CI on purpose: SPS-API-3 (public reasons come from the
 * registry's suppressions; an entry with neither auth nor a valid reason
 * already fails synth in the config checks), the prod-only protections
 * (SPS-AURORA-8, SPS-DDB-3, SPS-COGNITO-2, SPS-COGNITO-5: a destroy turns
 * them off first) and SPS-COGNITO-6 (a cost decision the config validates).
 */
export const SYNTH_GUARDS: readonly string[] = [
  'SPS-LAMBDA-1', // in the VPC, private subnets
  'SPS-LOGS-1', // log retention
  'SPS-SG-2', // no ingress from anywhere
  'SPS-AURORA-1', // encrypted storage
  'SPS-AURORA-2', // not public
  'SPS-AURORA-3', // IAM database authentication
  'SPS-AURORA-9', // no master password in state
  'SPS-PROXY-1', // TLS required
  'SPS-PROXY-2', // IAM auth required
  'SPS-PROXY-3', // no debug logging
  'SPS-DDB-1', // point-in-time recovery
  'SPS-DDB-2', // KMS encryption
  'SPS-API-4', // CORS in the functions, not in API Gateway
  'SPS-COGNITO-1', // password policy
  'SPS-COGNITO-3', // browser client: no secret, SRP, no password/admin/implicit flows
  'SPS-COGNITO-4', // no user existence errors
  'SPS-COGNITO-7', // email verified before it is used
  'SPS-S3-3', // buckets block public access
  'SPS-S3-6', // the web bucket is read by its distribution only
  'SPS-CF-1', // viewers on HTTPS only
  'SPS-CF-3', // S3 origins through OAC
  'SPS-SNS-1', // topics encrypted with our key
  'SPS-SQS-1', // queues encrypted with our key
  'SPS-SQS-2', // every queue has a dead-letter queue
];

export interface SecureDefaultsProps {
  readonly config: EnvironmentConfig;
  readonly functions: readonly FunctionDefinition[];
}

export class SecureDefaults implements IAspect {
  constructor(private readonly props: SecureDefaultsProps) {}

  visit(node: IConstruct): void {
    if (!(node instanceof TerraformStack)) return;
    const rules = allRules.filter((r) => SYNTH_GUARDS.includes(r.id));
    const report = runPack([{ name: node.node.id, json: node.toTerraform() as Record<string, unknown>, config: this.props.config }], {
      rules,
      functions: this.props.functions,
      knownRuleIds: allRules.map((r) => r.id),
    });
    const byPath = new Map(node.node.findAll().map((c) => [c.node.path, c]));
    for (const row of report.results.filter((r) => r.verdict === 'fail')) {
      const owner = byPath.get(row.path) ?? node;
      Annotations.of(owner).addError(`${row.rule}: ${row.message}. Fix: ${row.hint}`);
    }
    for (const error of report.errors) Annotations.of(node).addError(error);
  }
}
