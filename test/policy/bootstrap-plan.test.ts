/**
 * The bootstrap stack is valid Terraform: synthesized, then `terraform init`
 * from the provider mirror, `validate` and `plan` offline (dummy credentials),
 * and the plan creates what docs/ci-cd.md promises.
 */
import { join } from 'node:path';
import { loadAllConfigs, loadConfig } from '../../infra/config';
import { synthApp } from '../../infra/policy/synth';
import { planOffline, prepareOfflineStack } from '../../scripts/plan-offline-lib';
import { tempDir } from '../support/temp';

test('bootstrap stack validates and plans offline with the real AWS provider', async () => {
  const work = tempDir('bootstrap-plan');
  const outdir = synthApp({ entry: 'infra/bootstrap/main.ts', outdir: join(work, 'cdktf.out') });
  const { plan } = await planOffline('bootstrap', prepareOfflineStack(outdir, 'bootstrap', join(work, 'bootstrap')));
  const created = (plan.resource_changes ?? [])
    .filter((c: { change: { actions: string[] } }) => c.change.actions.includes('create'))
    .map((c: { type: string }) => c.type)
    .sort();
  // Per environment of the dev environment's project and region (infra/bootstrap/main.ts): a
  // boundary, a plan role and an apply role, each role with its policy.
  const dev = loadConfig('dev');
  const n = loadAllConfigs().filter((c) => c.project === dev.project && c.region === dev.region).length;
  // Each role's statements are managed policies sized to IAM's limit (splitIntoPolicies), each attached once.
  const policies = created.filter((t: string) => t === 'aws_iam_policy').length;
  expect(policies).toBeGreaterThanOrEqual(3 * n);
  expect(created).toEqual([
    'aws_iam_openid_connect_provider',
    ...Array(policies).fill('aws_iam_policy'),
    ...Array(2 * n).fill('aws_iam_role'),
    ...Array(policies - n).fill('aws_iam_role_policy_attachment'),
    'aws_kms_alias',
    'aws_kms_key',
    'aws_s3_bucket',
    'aws_s3_bucket_ownership_controls',
    'aws_s3_bucket_policy',
    'aws_s3_bucket_public_access_block',
    'aws_s3_bucket_server_side_encryption_configuration',
    'aws_s3_bucket_versioning',
  ]);
}, 180_000);
