/**
 * The bootstrap stack is valid Terraform: synthesized, then `terraform init`
 * from the provider mirror, `validate` and `plan` offline (dummy credentials),
 * and the plan creates what docs/ci-cd.md promises.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthApp } from '../../infra/policy/synth';
import { planOffline, prepareOfflineStack } from '../../scripts/plan-offline-lib';

test('bootstrap stack validates and plans offline with the real AWS provider', async () => {
  const outdir = synthApp({ entry: 'infra/bootstrap/main.ts' });
  const work = prepareOfflineStack(outdir, 'bootstrap', mkdtempSync(join(tmpdir(), 'sps-bootstrap-plan-')));
  const { plan } = await planOffline('bootstrap', work);
  const created = (plan.resource_changes ?? [])
    .filter((c: { change: { actions: string[] } }) => c.change.actions.includes('create'))
    .map((c: { type: string }) => c.type)
    .sort();
  // Per environment (dev, prod): a boundary, a plan role and an apply role, each role with its policy.
  expect(created).toEqual([
    'aws_iam_openid_connect_provider',
    ...Array(2).fill('aws_iam_policy'),
    ...Array(4).fill('aws_iam_role'),
    ...Array(4).fill('aws_iam_role_policy'),
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
