/**
 * DataKey alone: a rotating symmetric key, its alias, and the decrypt grant
 * scoped to one service.
 */
import { Testing } from 'cdktf';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { DataKey, type DataKeyProps } from '../../../infra/constructs/kms-key';
import { policyDocument } from '../../../infra/iam';
import { onlyResource, refTo, synthScope } from '../helpers';

Testing.setupJest();

function synthKey(props: Partial<DataKeyProps> = {}) {
  return synthScope((scope) => new DataKey(scope, 'key', { alias: 'sps-test-data', ...props }));
}

describe('DataKey', () => {
  test('rotates the key by default', () => {
    expect(synthKey().synth).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true });
  });

  test('GIVEN enableKeyRotation false WHEN synthesized THEN rotation is off', () => {
    expect(synthKey({ enableKeyRotation: false }).synth).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: false });
  });

  test('waits 30 days before deleting the key by default', () => {
    expect(synthKey().synth).toHaveResourceWithProperties(KmsKey, { deletion_window_in_days: 30 });
  });

  test('GIVEN deletionWindowInDays 7 WHEN synthesized THEN the key is deleted after 7 days', () => {
    expect(synthKey({ deletionWindowInDays: 7 }).synth).toHaveResourceWithProperties(KmsKey, { deletion_window_in_days: 7 });
  });

  test('is a symmetric encrypt/decrypt key', () => {
    expect(synthKey().synth).toHaveResourceWithProperties(KmsKey, { key_usage: 'ENCRYPT_DECRYPT', customer_master_key_spec: 'SYMMETRIC_DEFAULT' });
  });

  test('has no key policy of its own: every use is granted by IAM', () => {
    expect(onlyResource(synthKey().json, 'aws_kms_key').policy).toBeUndefined();
  });

  test('describes itself after the alias by default', () => {
    expect(synthKey().synth).toHaveResourceWithProperties(KmsKey, { description: 'Encrypts sps-test-data data at rest' });
  });

  test('GIVEN a description WHEN synthesized THEN the key carries it', () => {
    expect(synthKey({ description: 'Test data' }).synth).toHaveResourceWithProperties(KmsKey, { description: 'Test data' });
  });

  test('names the alias alias/<alias> and points it at the key', () => {
    const { synth, json } = synthKey();
    expect(synth).toHaveResourceWithProperties(KmsAlias, {
      name: 'alias/sps-test-data',
      target_key_id: refTo(json, 'aws_kms_key', 'key_id'),
    });
  });

  test('grantDecryptVia allows kms:Decrypt on this key only, and only through the named service', () => {
    const { json } = synthScope((scope) => {
      const key = new DataKey(scope, 'key', { alias: 'sps-test-data' });
      policyDocument(scope, 'doc', [key.grantDecryptVia('rds-data', 'eu-west-1')]);
    });
    expect(json.data!.aws_iam_policy_document!.doc!.statement).toEqual([
      {
        sid: 'DecryptViaRdsData',
        effect: 'Allow',
        actions: ['kms:Decrypt'],
        resources: [refTo(json, 'aws_kms_key', 'arn')],
        condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: ['rds-data.eu-west-1.amazonaws.com'] }],
      },
    ]);
  });
});
