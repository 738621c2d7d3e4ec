/**
 * The customer-managed KMS key that encrypts Aurora storage, the RDS-managed
 * master secret, the DynamoDB tables, the SNS topics and SQS queues. Rotation
 * on by default.
 */
import { Construct } from 'constructs';
import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { KmsKeyPolicy } from '@cdktf/provider-aws/lib/kms-key-policy';
import { arnPart, type PolicyStatement } from '../iam';

/** An AWS service that uses the key itself, for one resource (its `aws:SourceArn`). */
export interface ServiceKeyUse {
  /** Statement id (letters and digits). */
  readonly sid: string;
  /** Service principal, e.g. `sns.amazonaws.com`. */
  readonly service: string;
  /** Exact KMS actions, e.g. `kms:GenerateDataKey`, `kms:Decrypt`. */
  readonly actions: string[];
  /** The resources on whose behalf the service may use the key (confused-deputy guard). */
  readonly sourceArns: string[];
}

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
  /** The key policy, once a service is allowed to use the key (`allowService`). */
  keyPolicy?: KmsKeyPolicy;
  private readonly serviceStatements: DataAwsIamPolicyDocumentStatement[] = [];
  private policyDocument?: DataAwsIamPolicyDocument;

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
   * Lets an AWS service use the key for the named resources only. IAM cannot
   * grant a service principal, so this takes a key policy: AWS's default
   * statement (the account's IAM decides, as before) plus one statement per
   * service use, conditioned on `aws:SourceArn`. E.g. SNS delivering to an
   * encrypted queue needs kms:GenerateDataKey and kms:Decrypt on the queue's
   * key in its key policy (SQS developer guide, "Enable compatibility between
   * an Amazon SQS queue with SSE and an Amazon SNS topic").
   *
   * A separate aws_kms_key_policy (not the key's `policy`): the statements
   * name resources encrypted with this key, which would otherwise be a cycle.
   */
  allowService(use: ServiceKeyUse): void {
    this.serviceStatements.push({
      sid: use.sid,
      effect: 'Allow',
      principals: [{ type: 'Service', identifiers: [use.service] }],
      actions: use.actions,
      resources: ['*'], // in a key policy "*" is this key
      condition: [{ test: 'ArnEquals', variable: 'aws:SourceArn', values: use.sourceArns }],
    });
    this.policyDocument ??= this.createKeyPolicy();
    this.policyDocument.putStatement([this.defaultStatement(), ...this.serviceStatements]);
  }

  private createKeyPolicy(): DataAwsIamPolicyDocument {
    const doc = new DataAwsIamPolicyDocument(this, 'policy-doc', { statement: [this.defaultStatement()] });
    this.keyPolicy = new KmsKeyPolicy(this, 'policy', { keyId: this.key.keyId, policy: doc.json });
    return doc;
  }

  /**
   * AWS's default key policy statement, kept as is: the account (its IAM
   * policies) controls the key, so the IAM grants of the functions and the
   * proxy keep working and nobody is locked out. Its `kms:*` is AWS's own
   * text; our IAM policies never use a wildcard action.
   */
  private defaultStatement(): DataAwsIamPolicyDocumentStatement {
    const arn = this.key.arn;
    return {
      sid: 'EnableIamUserPermissions',
      effect: 'Allow',
      principals: [{ type: 'AWS', identifiers: [`arn:${arnPart(arn, 'partition')}:iam::${arnPart(arn, 'account')}:root`] }],
      actions: ['kms:*'],
      resources: ['*'],
    };
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
