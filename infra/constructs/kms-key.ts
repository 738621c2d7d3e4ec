/**
 * The customer-managed KMS key that encrypts Aurora storage, the RDS-managed
 * master secret and the DynamoDB tables. Rotation on by default.
 */
import { Construct } from 'constructs';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import type { PolicyStatement } from '../iam';

export interface DataKeyProps {
  /** Alias without the `alias/` prefix, e.g. `sps-dev-data`. */
  readonly alias: string;
  /** @default "Encrypts <alias> data at rest" */
  readonly description?: string;
  /** Yearly automatic rotation. @default true */
  readonly enableKeyRotation?: boolean;
  /** Waiting period before deletion, 7 to 30 days. @default 30 */
  readonly deletionWindowInDays?: number;
}

export class DataKey extends Construct {
  readonly key: KmsKey;
  readonly alias: KmsAlias;

  constructor(scope: Construct, id: string, props: DataKeyProps) {
    super(scope, id);
    // No explicit key policy: AWS's default policy delegates access to IAM in
    // this account, so every use is granted by a scoped IAM policy (see grants below).
    this.key = new KmsKey(this, 'key', {
      description: props.description ?? `Encrypts ${props.alias} data at rest`,
      enableKeyRotation: props.enableKeyRotation ?? true,
      deletionWindowInDays: props.deletionWindowInDays ?? 30,
      keyUsage: 'ENCRYPT_DECRYPT',
      customerMasterKeySpec: 'SYMMETRIC_DEFAULT',
    });
    this.alias = new KmsAlias(this, 'alias', { name: `alias/${props.alias}`, targetKeyId: this.key.keyId });
  }

  get arn(): string {
    return this.key.arn;
  }

  /**
   * `kms:Decrypt` on this key only, and only when called through `service`
   * (e.g. Secrets Manager decrypting a secret for the grantee).
   */
  grantDecryptVia(service: string, region: string): PolicyStatement {
    return {
      sid: `DecryptVia${service.replace(/(^|[^A-Za-z0-9]+)([a-z])/g, (_m, _sep: string, c: string) => c.toUpperCase()).replace(/[^A-Za-z0-9]/g, '')}`,
      actions: ['kms:Decrypt'],
      resources: [this.key.arn],
      conditions: [{ test: 'StringEquals', variable: 'kms:ViaService', values: [`${service}.${region}.amazonaws.com`] }],
    };
  }
}
