/**
 * The bootstrap stack: applied once per AWS account by an administrator, with
 * local state, before CI exists (see docs/ci-cd.md, "Bootstrap from zero").
 * Not part of the environment stacks.
 */
import { join } from 'node:path';
import { REPO_ROOT } from '../paths';
import { Fn, LocalBackend, TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { AWS_PROVIDER_VERSION } from '../provider';
import { CiBootstrap, type CiBootstrapProps } from './ci-bootstrap';

export interface BootstrapStackProps extends CiBootstrapProps {
  /**
   * Local state file of the bootstrap stack (git-ignored; keep it safe).
   * @default - `terraform.bootstrap.tfstate` at the repository root
   */
  readonly statePath?: string;
}

export class BootstrapStack extends TerraformStack {
  readonly ci: CiBootstrap;

  constructor(scope: Construct, id: string, props: BootstrapStackProps) {
    super(scope, id);
    new AwsProvider(this, 'aws', {
      region: props.region,
      defaultTags: [{ tags: { project: props.project, environment: 'bootstrap', 'managed-by': 'cdktf' } }],
    });
    this.addOverride('terraform.required_providers.aws.version', AWS_PROVIDER_VERSION);
    new LocalBackend(this, { path: props.statePath ?? join(REPO_ROOT, 'terraform.bootstrap.tfstate') });
    this.ci = new CiBootstrap(this, 'ci', props);
    new TerraformOutput(this, 'state_bucket', { value: this.ci.stateBucket.bucket, description: 'Repository variable TF_STATE_BUCKET' });
    new TerraformOutput(this, 'state_kms_key_arn', { value: this.ci.stateKey.arn, description: 'Repository variable TF_STATE_KMS_KEY_ID' });
    new TerraformOutput(this, 'account_id', { value: Fn.element(Fn.split(':', this.ci.stateKey.arn), 4), description: 'Repository variable AWS_ACCOUNT_ID' });
    new TerraformOutput(this, 'ci_roles', {
      value: Object.fromEntries(Object.entries(this.ci.environments).map(([env, r]) => [env, { plan: r.planRole.arn, apply: r.applyRole.arn, boundary: r.boundary.arn }])),
      description: 'The plan and apply role and the permissions boundary of each environment',
    });
  }
}

/**
 * Settings from the environment (defaults are placeholders good for synth and
 * tests only; set the real values before `cdktf apply bootstrap`):
 * - `BOOTSTRAP_GITHUB_REPOSITORY` (owner/name)
 * - `BOOTSTRAP_STATE_BUCKET` (globally unique bucket name)
 * - `BOOTSTRAP_OIDC_PROVIDER_ARN` (reuse an existing GitHub OIDC provider)
 * - `BOOTSTRAP_ENVIRONMENTS` (comma-separated; default: every environment of
 *   infra/config that deploys to this region)
 */
export function bootstrapSettingsFromEnv(
  defaults: { project: string; region: string; environments: readonly string[] },
  env: NodeJS.ProcessEnv = process.env,
): BootstrapStackProps & { placeholders: string[] } {
  const placeholders: string[] = [];
  const pick = (name: string, fallback: string) => {
    const v = env[name];
    if (v) return v;
    placeholders.push(name);
    return fallback;
  };
  const names = env.BOOTSTRAP_ENVIRONMENTS ? env.BOOTSTRAP_ENVIRONMENTS.split(',').map((s) => s.trim()).filter(Boolean) : defaults.environments;
  return {
    project: defaults.project,
    region: env.BOOTSTRAP_REGION || defaults.region,
    githubRepository: pick('BOOTSTRAP_GITHUB_REPOSITORY', 'example-org/serverless-platform-stack'),
    stateBucketName: pick('BOOTSTRAP_STATE_BUCKET', `${defaults.project}-tfstate-example`),
    existingOidcProviderArn: env.BOOTSTRAP_OIDC_PROVIDER_ARN || undefined,
    environments: names.map((name) => ({ name })),
    placeholders,
  };
}
