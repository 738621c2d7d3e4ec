/**
 * Messaging alone (a test key, a stand-in function): KMS-encrypted topic and
 * queues, a dead-letter queue per queue with the redrive and its allow policy,
 * TLS-only topic and queue policies, the queue accepting only its subscribed
 * topics, raw delivery created after the policies, SNS's use of the key for
 * these topics only, and the event source mapping; the Schedule construct.
 */
import { Testing } from 'cdktf';
import type { Construct } from 'constructs';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { Messaging, type MessagingProps } from '../../../infra/constructs/messaging';
import { Schedule } from '../../../infra/constructs/schedule';
import { addressOf, FakeArchives, policyDocumentOf, refTo, resourcesOf, synthScope, testFunction, testKey, type TfJson } from '../helpers';

Testing.setupJest();

let archives: FakeArchives;
beforeAll(() => {
  archives = new FakeArchives();
});

function build(scope: Construct, props: Partial<MessagingProps> = {}, trigger = true): Messaging {
  const messaging = new Messaging(scope, 'messaging', {
    namePrefix: 'sps-test',
    topics: { registrations: { subscriptions: ['confirmations'] } },
    queues: { confirmations: { visibilityTimeoutSeconds: 60, maxReceiveCount: 5 } },
    kmsKey: testKey(scope),
    ...props,
  });
  if (trigger) messaging.trigger('confirmations', testFunction(scope, archives, 'consumer'), { batchSize: 5, maximumConcurrency: 3 });
  return messaging;
}

const synth = (props: Partial<MessagingProps> = {}) => synthScope((scope) => build(scope, props));
const queueNamed = (json: TfJson, name: string) => resourcesOf(json, 'aws_sqs_queue').find(([, q]) => q.name === name)!;
const docOf = (json: TfJson, type: string, prefix: string) => policyDocumentOf(json, resourcesOf(json, type).find(([id]) => id.includes(prefix))![1].policy);

describe('Messaging', () => {
  test('the topic is encrypted with our key', () => {
    const { synth: s, json } = synth();
    expect(s).toHaveResourceWithProperties({ tfResourceType: 'aws_sns_topic' }, { name: 'sps-test-registrations', kms_master_key_id: refTo(json, 'aws_kms_key', 'arn') });
  });

  test('each queue and its dead-letter queue are encrypted with our key', () => {
    const { json } = synth();
    for (const name of ['sps-test-confirmations', 'sps-test-confirmations-dlq']) {
      expect(queueNamed(json, name)[1]).toMatchObject({ kms_master_key_id: refTo(json, 'aws_kms_key', 'arn'), kms_data_key_reuse_period_seconds: 300 });
    }
  });

  test('the queue keeps its visibility timeout and redrives to its DLQ after maxReceiveCount receives', () => {
    const { json } = synth();
    const [dlqId] = queueNamed(json, 'sps-test-confirmations-dlq');
    const [, queue] = queueNamed(json, 'sps-test-confirmations');
    expect(queue.visibility_timeout_seconds).toBe(60);
    expect(queue.message_retention_seconds).toBe(345_600);
    expect(queue.redrive_policy).toBe(`\${jsonencode({"deadLetterTargetArn" = aws_sqs_queue.${dlqId}.arn, "maxReceiveCount" = 5})}`);
    expect(queueNamed(json, 'sps-test-confirmations-dlq')[1].message_retention_seconds).toBe(1_209_600);
  });

  test('only its queue may redrive into the DLQ', () => {
    const { json } = synth();
    const [queueId] = queueNamed(json, 'sps-test-confirmations');
    const [allow] = resourcesOf(json, 'aws_sqs_queue_redrive_allow_policy');
    expect(allow![1].redrive_allow_policy).toBe(`\${jsonencode({"redrivePermission" = "byQueue", "sourceQueueArns" = [aws_sqs_queue.${queueId}.arn]})}`);
  });

  test('the queue accepts sqs:SendMessage from SNS for its subscribed topic only, and denies requests without TLS', () => {
    const { json } = synth();
    const doc = docOf(json, 'aws_sqs_queue_policy', 'confirmations-policy');
    const [allow, deny] = doc.statement;
    expect(allow).toMatchObject({
      effect: 'Allow',
      principals: [{ type: 'Service', identifiers: ['sns.amazonaws.com'] }],
      actions: ['sqs:SendMessage'],
      condition: [{ test: 'ArnEquals', variable: 'aws:SourceArn', values: [refTo(json, 'aws_sns_topic', 'arn')] }],
    });
    expect(deny).toMatchObject({ effect: 'Deny', actions: ['sqs:*'], condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }] });
    expect(docOf(json, 'aws_sqs_queue_policy', 'dlq-policy').statement).toEqual([expect.objectContaining({ effect: 'Deny', actions: ['sqs:*'] })]);
  });

  test('the topic denies publishing without TLS', () => {
    const { json } = synth();
    expect(docOf(json, 'aws_sns_topic_policy', 'registrations').statement).toEqual([
      expect.objectContaining({ effect: 'Deny', actions: ['sns:Publish'], principals: [{ type: '*', identifiers: ['*'] }] }),
    ]);
  });

  test('lets SNS use the key for these topics only, keeping the account default statement', () => {
    const { json } = synth();
    const [, policy] = resourcesOf(json, 'aws_kms_key_policy')[0]!;
    expect(policy.key_id).toBe(refTo(json, 'aws_kms_key', 'key_id'));
    const statements = policyDocumentOf(json, policy.policy).statement;
    expect(statements.map((s: { sid: string }) => s.sid)).toEqual(['EnableIamUserPermissions', 'SnsEncryptsForOurTopics']);
    expect(statements[1]).toMatchObject({
      principals: [{ type: 'Service', identifiers: ['sns.amazonaws.com'] }],
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      condition: [{ test: 'ArnEquals', variable: 'aws:SourceArn', values: [refTo(json, 'aws_sns_topic', 'arn')] }],
    });
  });

  test('subscribes the queue with raw message delivery, after the queue policies and the key policy', () => {
    const { synth: s, json } = synth();
    expect(s).toHaveResourceWithProperties(SnsTopicSubscription, {
      protocol: 'sqs',
      raw_message_delivery: true,
      topic_arn: refTo(json, 'aws_sns_topic', 'arn'),
      endpoint: `\${aws_sqs_queue.${queueNamed(json, 'sps-test-confirmations')[0]}.arn}`,
    });
    const [, sub] = resourcesOf(json, 'aws_sns_topic_subscription')[0]!;
    expect(sub.depends_on).toEqual(expect.arrayContaining([addressOf(json, 'aws_kms_key_policy'), ...resourcesOf(json, 'aws_sqs_queue_policy').map(([id]) => `aws_sqs_queue_policy.${id}`)]));
  });

  test('the consumer gets an event source mapping with partial batch responses, its batch size and maximum concurrency', () => {
    const { synth: s, json } = synth();
    expect(s).toHaveResourceWithProperties(LambdaEventSourceMapping, {
      event_source_arn: `\${aws_sqs_queue.${queueNamed(json, 'sps-test-confirmations')[0]}.arn}`,
      function_name: refTo(json, 'aws_lambda_function', 'arn'),
      batch_size: 5,
      function_response_types: ['ReportBatchItemFailures'],
      scaling_config: { maximum_concurrency: 3 },
      enabled: true,
    });
  });

  test('GIVEN no topics WHEN synthesized THEN the key keeps its default policy (no aws_kms_key_policy)', () => {
    const { json } = synthScope((scope) => build(scope, { topics: {} }, false));
    expect(resourcesOf(json, 'aws_kms_key_policy')).toEqual([]);
    expect(resourcesOf(json, 'aws_sqs_queue')).toHaveLength(2);
  });

  test('fails when a topic subscribes an unknown queue, or a trigger names one', () => {
    expect(() => synthScope((scope) => build(scope, { topics: { t: { subscriptions: ['nope'] } } }, false))).toThrow('topics["t"].subscriptions: unknown queue "nope"');
    expect(() =>
      synthScope((scope) => build(scope, {}, false).trigger('nope', testFunction(scope, archives, 'other'))),
    ).toThrow('trigger.queue: unknown queue "nope"');
  });
});

describe('Schedule', () => {
  test('an EventBridge rule on the expression invokes the function, through a permission scoped to the rule', () => {
    const { synth: s, json } = synthScope((scope) => new Schedule(scope, 'schedule', { name: 'sps-test-sweep', expression: 'rate(1 minute)', fn: testFunction(scope, archives, 'sweep') }));
    expect(s).toHaveResourceWithProperties(CloudwatchEventRule, { name: 'sps-test-sweep', schedule_expression: 'rate(1 minute)', state: 'ENABLED' });
    expect(s).toHaveResourceWithProperties(LambdaPermission, {
      action: 'lambda:InvokeFunction',
      principal: 'events.amazonaws.com',
      source_arn: refTo(json, 'aws_cloudwatch_event_rule', 'arn'),
    });
    const [, target] = resourcesOf(json, 'aws_cloudwatch_event_target')[0]!;
    expect(target).toMatchObject({ arn: refTo(json, 'aws_lambda_function', 'arn'), depends_on: [addressOf(json, 'aws_lambda_permission')] });
  });
});

test('queues are plain provider resources (escape hatch): one per queue and DLQ', () => {
  const { synth: s } = synth();
  expect(s).toHaveResource(SqsQueue);
});
