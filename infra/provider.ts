/**
 * The AWS provider (pinned through @cdktf/provider-aws 20.1.0 = hashicorp/aws
 * 5.100.0), default tags, and the state backend chosen by environment variables.
 */
import { join } from 'node:path';
import { LocalBackend, S3Backend, type TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import type { EnvironmentConfig } from './config';
import { REPO_ROOT } from './paths';

/** Terraform versions the stacks accept. */
export const TERRAFORM_VERSION_CONSTRAINT = '>= 1.10.0';

/** Exact provider version written to `required_providers`. */
export const AWS_PROVIDER_VERSION = '5.100.0';

/**
 * Remote state settings, read from the environment:
 * - `TF_STATE_BUCKET`: S3 bucket (turns the S3 backend on)
 * - `TF_STATE_REGION`: bucket region (default: the environment's region)
 * - `TF_STATE_KEY_PREFIX`: key prefix (default: the project name); key = `<prefix>/<env>.tfstate`
 * - `TF_STATE_KMS_KEY_ID`: optional KMS key for state encryption (default: SSE-S3)
 */
export interface StateBackendSettings {
  readonly bucket?: string;
  readonly region?: string;
  readonly keyPrefix?: string;
  readonly kmsKeyId?: string;
}

export function stateBackendFromEnv(env: NodeJS.ProcessEnv = process.env): StateBackendSettings {
  return {
    bucket: env.TF_STATE_BUCKET || undefined,
    region: env.TF_STATE_REGION || undefined,
    keyPrefix: env.TF_STATE_KEY_PREFIX || undefined,
    kmsKeyId: env.TF_STATE_KMS_KEY_ID || undefined,
  };
}

/** The tags every resource of an environment carries. */
function defaultTags(config: EnvironmentConfig) {
  return [{ tags: { ...config.tags, project: config.project, environment: config.name, 'managed-by': 'cdktf' } }];
}

export function configureProvider(stack: TerraformStack, config: EnvironmentConfig): AwsProvider {
  const provider = new AwsProvider(stack, 'aws', { region: config.region, defaultTags: defaultTags(config) });
  // Exact pin (cdktf writes "5.100.0" from the prebuilt provider; make it explicit).
  stack.addOverride('terraform.required_providers.aws.version', AWS_PROVIDER_VERSION);
  // S3-native state locking (`use_lockfile`) needs Terraform 1.10.
  stack.addOverride('terraform.required_version', TERRAFORM_VERSION_CONSTRAINT);
  return provider;
}

/**
 * A second AWS provider in us-east-1 (alias `us_east_1`), for what CloudFront
 * keeps there: the delivery of a distribution's access logs (CloudWatch Logs
 * delivery source, destination and log group; CloudFront Developer Guide,
 * "Configure standard logging (v2)"). Same tags as the stack's provider.
 */
export function configureUsEast1Provider(stack: TerraformStack, config: EnvironmentConfig): AwsProvider {
  return new AwsProvider(stack, 'aws-us-east-1', { alias: 'us_east_1', region: 'us-east-1', defaultTags: defaultTags(config) });
}

/** S3 state with native S3 locking when `TF_STATE_BUCKET` is set, else local state. */
export function configureBackend(stack: TerraformStack, config: EnvironmentConfig, settings: StateBackendSettings): void {
  if (settings.bucket) {
    const backend = new S3Backend(stack, {
      bucket: settings.bucket,
      key: `${settings.keyPrefix ?? config.project}/${config.name}.tfstate`,
      region: settings.region ?? config.region,
      encrypt: true,
      kmsKeyId: settings.kmsKeyId,
    });
    // cdktf 0.21's S3Backend has no field for S3-native locking (Terraform >= 1.10).
    backend.addOverride('use_lockfile', true);
  } else {
    new LocalBackend(stack, { path: join(REPO_ROOT, `terraform.${config.name}.tfstate`) });
  }
}
