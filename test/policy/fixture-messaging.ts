/**
 * The compliant fixture's topic, queue, dead-letter queue, subscription and
 * event source mapping (real provider classes), as infra/constructs/messaging.ts
 * builds them: every messaging rule has a resource to judge.
 */
import { Fn, type TerraformStack } from 'cdktf';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import type { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import type { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';

const denyWithoutTls = (action: string, resource: string) => ({
  effect: 'Deny',
  principals: [{ type: '*', identifiers: ['*'] }],
  actions: [action],
  resources: [resource],
  condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
});

export function addMessaging(stack: TerraformStack, key: KmsKey, fn: LambdaFunction): void {
  const topic = new SnsTopic(stack, 'topic', { name: 'sps-dev-registrations', kmsMasterKeyId: key.arn });
  const topicDoc = new DataAwsIamPolicyDocument(stack, 'topic-policy-doc', { statement: [denyWithoutTls('sns:Publish', topic.arn)] });
  new SnsTopicPolicy(stack, 'topic-policy', { arn: topic.arn, policy: topicDoc.json });

  const dlq = new SqsQueue(stack, 'dlq', { name: 'sps-dev-confirmations-dlq', kmsMasterKeyId: key.arn, messageRetentionSeconds: 1_209_600 });
  const queue = new SqsQueue(stack, 'queue', {
    name: 'sps-dev-confirmations',
    kmsMasterKeyId: key.arn,
    visibilityTimeoutSeconds: 30,
    redrivePolicy: Fn.jsonencode({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 5 }),
  });
  const queueDoc = new DataAwsIamPolicyDocument(stack, 'queue-policy-doc', {
    statement: [
      {
        sid: 'AllowTopic',
        principals: [{ type: 'Service', identifiers: ['sns.amazonaws.com'] }],
        actions: ['sqs:SendMessage'],
        resources: [queue.arn],
        condition: [{ test: 'ArnEquals', variable: 'aws:SourceArn', values: [topic.arn] }],
      },
      denyWithoutTls('sqs:*', queue.arn),
    ],
  });
  new SqsQueuePolicy(stack, 'queue-policy', { queueUrl: queue.url, policy: queueDoc.json });
  const dlqDoc = new DataAwsIamPolicyDocument(stack, 'dlq-policy-doc', { statement: [denyWithoutTls('sqs:*', dlq.arn)] });
  new SqsQueuePolicy(stack, 'dlq-policy', { queueUrl: dlq.url, policy: dlqDoc.json });

  new SnsTopicSubscription(stack, 'subscription', { topicArn: topic.arn, protocol: 'sqs', endpoint: queue.arn, rawMessageDelivery: true });
  new LambdaEventSourceMapping(stack, 'esm', { eventSourceArn: queue.arn, functionName: fn.arn, batchSize: 10, functionResponseTypes: ['ReportBatchItemFailures'] });
}
