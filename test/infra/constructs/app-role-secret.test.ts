/**
 * AppRoleSecret alone: an empty, KMS-encrypted secret the migration task fills.
 */
import { Testing } from 'cdktf';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { AppRoleSecret, type AppRoleSecretProps } from '../../../infra/constructs/app-role-secret';
import { refTo, synthScope, testKey } from '../helpers';

Testing.setupJest();

function synthSecret(props: Partial<AppRoleSecretProps> = {}) {
  return synthScope((scope) => {
    new AppRoleSecret(scope, 'secret', { name: 'sps-test/db/app_user', username: 'app_user', kmsKey: testKey(scope), ...props });
  });
}

describe('AppRoleSecret', () => {
  test('creates no secret version: the password is never in Terraform configuration, plan or state', () => {
    const { json } = synthSecret();
    expect(json.resource.aws_secretsmanager_secret).toBeDefined();
    expect(json.resource.aws_secretsmanager_secret_version).toBeUndefined();
  });

  test('encrypts the secret with the given key', () => {
    const { synth, json } = synthSecret();
    expect(synth).toHaveResourceWithProperties(SecretsmanagerSecret, { kms_key_id: refTo(json, 'aws_kms_key', 'arn') });
  });

  test('keeps a deleted secret restorable for 30 days by default', () => {
    expect(synthSecret().synth).toHaveResourceWithProperties(SecretsmanagerSecret, { recovery_window_in_days: 30 });
  });

  test('GIVEN recoveryWindowInDays 0 WHEN synthesized THEN a deleted secret is gone at once', () => {
    expect(synthSecret({ recoveryWindowInDays: 0 }).synth).toHaveResourceWithProperties(SecretsmanagerSecret, { recovery_window_in_days: 0 });
  });

  test('is named as given and says which role it is for and who writes it', () => {
    expect(synthSecret().synth).toHaveResourceWithProperties(SecretsmanagerSecret, {
      name: 'sps-test/db/app_user',
      description: 'Login of the database application role "app_user"; value written by the migration task, never by Terraform',
    });
  });
});
