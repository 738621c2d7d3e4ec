/**
 * A CloudFront distribution's access logs, with standard logging (v2) to
 * CloudWatch Logs: a log group with retention, the resource policy that lets
 * the log delivery service write to it, and the delivery source →
 * destination pair. CloudFront is global and its delivery sources live in
 * us-east-1, so all of it is created there (`provider`).
 *
 * Why v2 to CloudWatch Logs (CloudFront Developer Guide, "Configure standard
 * logging (v2)" and "Configure standard logging (legacy)"; CloudWatch Logs
 * User Guide, "Logs sent to CloudWatch Logs" [V2 permissions]):
 * - legacy logging writes to S3 for free, but only into a bucket with ACLs
 *   enabled (BucketOwnerPreferred, FULL_CONTROL for the awslogsdelivery
 *   account), which we refuse (SPS-S3-5, CKV2_AWS_65);
 * - v2 to S3 works with ACLs disabled, but needs a second bucket with its own
 *   policy, encryption, versioning and lifecycle, for a saving of cents at a
 *   front end's log volume;
 * - v2 to CloudWatch Logs keeps the logs where every other log of the stack
 *   is, with a retention like theirs (SPS-LOGS-1) and Logs Insights queries;
 *   it is billed as vended logs (CloudWatch pricing, "Logs" tab).
 */
import { Construct } from 'constructs';
import { Fn, type TerraformProvider } from 'cdktf';
import { CloudwatchLogDelivery } from '@cdktf/provider-aws/lib/cloudwatch-log-delivery';
import { CloudwatchLogDeliveryDestination } from '@cdktf/provider-aws/lib/cloudwatch-log-delivery-destination';
import { CloudwatchLogDeliverySource } from '@cdktf/provider-aws/lib/cloudwatch-log-delivery-source';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchLogResourcePolicy } from '@cdktf/provider-aws/lib/cloudwatch-log-resource-policy';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { arnPart } from '../iam';

export interface WebAccessLogsProps {
  /** Prefix of every name, e.g. `sps-dev`. */
  readonly namePrefix: string;
  /** ARN of the distribution whose requests are logged. */
  readonly distributionArn: string;
  /** An AWS provider in us-east-1. */
  readonly provider: TerraformProvider;
  /** Days the log group keeps the logs (a CloudWatch retention period). */
  readonly retentionDays: number;
  /** @default "json" (one JSON object per request, parsed by Logs Insights) */
  readonly outputFormat?: 'json' | 'plain' | 'w3c';
}

export class WebAccessLogs extends Construct {
  readonly logGroup: CloudwatchLogGroup;
  readonly resourcePolicy: CloudwatchLogResourcePolicy;
  readonly source: CloudwatchLogDeliverySource;
  readonly destination: CloudwatchLogDeliveryDestination;
  readonly delivery: CloudwatchLogDelivery;

  constructor(scope: Construct, id: string, props: WebAccessLogsProps) {
    super(scope, id);
    const provider = props.provider;
    const name = `${props.namePrefix}-web`;
    this.logGroup = new CloudwatchLogGroup(this, 'log-group', {
      provider,
      name: `/aws/cloudfront/${props.namePrefix}/access`,
      retentionInDays: props.retentionDays,
    });
    this.resourcePolicy = this.allowLogDelivery(provider, `${name}-access-logs`);
    this.source = new CloudwatchLogDeliverySource(this, 'source', {
      provider,
      name,
      logType: 'ACCESS_LOGS',
      resourceArn: props.distributionArn,
    });
    this.destination = new CloudwatchLogDeliveryDestination(this, 'destination', {
      provider,
      name,
      outputFormat: props.outputFormat ?? 'json',
      deliveryDestinationConfiguration: [{ destinationResourceArn: this.logGroup.arn }],
    });
    this.delivery = new CloudwatchLogDelivery(this, 'delivery', {
      provider,
      deliverySourceName: this.source.name,
      deliveryDestinationArn: this.destination.arn,
      dependsOn: [this.resourcePolicy],
    });
  }

  /**
   * The log group's resource policy, as the one CloudWatch Logs would create
   * on its own when the delivery is made ("Logs sent to CloudWatch Logs",
   * log group resource policy), but on this log group only and managed here:
   * the delivery service may create streams and put events, for deliveries
   * of this account in us-east-1.
   */
  private allowLogDelivery(provider: TerraformProvider, policyName: string): CloudwatchLogResourcePolicy {
    const account = arnPart(this.logGroup.arn, 'account');
    const partition = arnPart(this.logGroup.arn, 'partition');
    const doc = new DataAwsIamPolicyDocument(this, 'delivery-policy-doc', {
      statement: [
        {
          sid: 'AWSLogDeliveryWrite',
          effect: 'Allow',
          principals: [{ type: 'Service', identifiers: ['delivery.logs.amazonaws.com'] }],
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [`${this.logGroup.arn}:log-stream:*`],
          condition: [
            { test: 'StringEquals', variable: 'aws:SourceAccount', values: [account] },
            { test: 'ArnLike', variable: 'aws:SourceArn', values: [Fn.join('', ['arn:', partition, ':logs:us-east-1:', account, ':*'])] },
          ],
        },
      ],
    });
    return new CloudwatchLogResourcePolicy(this, 'delivery-policy', {
      provider,
      policyName,
      policyDocument: doc.json,
    });
  }
}
