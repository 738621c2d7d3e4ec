/**
 * The topics and queues of functions/messaging.ts: per queue a dead-letter
 * queue and the redrive to it; per topic its subscriptions (raw message
 * delivery); all encrypted with our KMS key, every queue and topic refusing
 * requests without TLS, each queue accepting messages only from the topics
 * subscribed to it; and the Lambda event source mappings of the tasks the
 * queues trigger.
 *
 *   dead-letter queues → queues (redrive) → queue policies → topics → key
 *   policy for SNS → subscriptions; then `trigger(queue, fn)` per consumer
 */
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import { SqsQueueRedriveAllowPolicy } from '@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy';
import { deadLetterQueueName, QUEUE_LIMITS, type QueueDefinition, type TopicDefinition } from '../../functions/messaging';
import type { RouteDefinition, TaskDefinition } from '../../functions/registry-types';
import type { ServiceFunction } from './function';
import type { DataKey } from './kms-key';

export interface MessagingProps {
  /** Resource name prefix, e.g. `sps-dev`. */
  readonly namePrefix: string;
  readonly topics: Readonly<Record<string, TopicDefinition>>;
  readonly queues: Readonly<Record<string, QueueDefinition>>;
  /** Encrypts every topic and queue; SNS is allowed to use it for these topics only. */
  readonly kmsKey: DataKey;
  /**
   * Seconds SQS reuses a data key before calling KMS again, 60 to 86400:
   * fewer KMS requests (each costs) for a slightly longer key exposure.
   * @default 300 (SQS's default)
   */
  readonly dataKeyReuseSeconds?: number;
}

/** How a queue invokes its task (the registry entry's `trigger`). */
export interface QueueTriggerProps {
  /** @default 10 */
  readonly batchSize?: number;
  /** @default 2 */
  readonly maximumConcurrency?: number;
}

export class Messaging extends Construct {
  readonly topics: Record<string, SnsTopic> = {};
  readonly topicPolicies: Record<string, SnsTopicPolicy> = {};
  readonly queues: Record<string, SqsQueue> = {};
  readonly deadLetterQueues: Record<string, SqsQueue> = {};
  readonly queuePolicies: SqsQueuePolicy[] = [];
  readonly subscriptions: SnsTopicSubscription[] = [];
  readonly eventSourceMappings: Record<string, LambdaEventSourceMapping> = {};
  /** The resource policy documents of the topics and queues, with their statements so far (`restrictPrincipals` adds to them). */
  private readonly documents: Record<string, { doc: DataAwsIamPolicyDocument; statements: DataAwsIamPolicyDocumentStatement[] }> = {};

  constructor(scope: Construct, id: string, private readonly props: MessagingProps) {
    super(scope, id);
    for (const [name, def] of Object.entries(props.queues)) this.createQueue(name, def);
    for (const name of Object.keys(props.topics)) this.createTopic(name);
    this.allowQueueWrites();
    this.allowSnsToUseKey();
    this.subscribeQueues();
  }

  private physical(name: string): string {
    return `${this.props.namePrefix}-${name}`;
  }

  private encrypted() {
    return { kmsMasterKeyId: this.props.kmsKey.arn, kmsDataKeyReusePeriodSeconds: this.props.dataKeyReuseSeconds ?? 300 };
  }

  /** The queue, and its dead-letter queue, which only this queue may redrive into. */
  private createQueue(name: string, def: QueueDefinition): void {
    const dlqName = deadLetterQueueName(name);
    const dlq = new SqsQueue(this, `queue-${dlqName}`, {
      name: this.physical(dlqName),
      messageRetentionSeconds: def.deadLetterRetentionSeconds ?? QUEUE_LIMITS.defaultDeadLetterRetentionSeconds,
      ...this.encrypted(),
    });
    const queue = new SqsQueue(this, `queue-${name}`, {
      name: this.physical(name),
      visibilityTimeoutSeconds: def.visibilityTimeoutSeconds,
      messageRetentionSeconds: def.retentionSeconds ?? QUEUE_LIMITS.defaultRetentionSeconds,
      // SQS moves a message to the DLQ once it was received maxReceiveCount times without being deleted.
      redrivePolicy: Fn.jsonencode({ deadLetterTargetArn: dlq.arn, maxReceiveCount: def.maxReceiveCount }),
      ...this.encrypted(),
    });
    new SqsQueueRedriveAllowPolicy(this, `redrive-allow-${dlqName}`, {
      queueUrl: dlq.url,
      redriveAllowPolicy: Fn.jsonencode({ redrivePermission: 'byQueue', sourceQueueArns: [queue.arn] }),
    });
    this.queues[name] = queue;
    this.deadLetterQueues[name] = dlq;
  }

  /** A topic encrypted with our key, refusing publishers without TLS. */
  private createTopic(name: string): void {
    const topic = new SnsTopic(this, `topic-${name}`, { name: this.physical(name), kmsMasterKeyId: this.props.kmsKey.arn });
    const statements = [denyInsecureTransport('sns:Publish', topic.arn)];
    const policy = new DataAwsIamPolicyDocument(this, `topic-${name}-policy-doc`, { statement: statements });
    this.documents[`topic:${name}`] = { doc: policy, statements };
    this.topicPolicies[name] = new SnsTopicPolicy(this, `topic-${name}-policy`, { arn: topic.arn, policy: policy.json });
    this.topics[name] = topic;
  }

  /** The topics subscribed to a queue. */
  private topicsOf(queue: string): SnsTopic[] {
    return Object.entries(this.props.topics)
      .filter(([, def]) => def.subscriptions.includes(queue))
      .map(([name]) => this.topics[name]!);
  }

  /**
   * Each queue takes `sqs:SendMessage` from SNS for its subscribed topics
   * only (`aws:SourceArn`, SNS developer guide, "Subscribing an Amazon SQS
   * queue to an Amazon SNS topic"); the queue and its DLQ refuse every
   * request without TLS. The consumer's grants are IAM policies on its role.
   */
  private allowQueueWrites(): void {
    for (const name of Object.keys(this.props.queues)) {
      const queue = this.queues[name]!;
      const dlq = this.deadLetterQueues[name]!;
      const sources = this.topicsOf(name).map((t) => t.arn);
      const statements: DataAwsIamPolicyDocumentStatement[] = [
          ...(sources.length
            ? [{
                sid: 'AllowSubscribedTopics',
                effect: 'Allow',
                principals: [{ type: 'Service', identifiers: ['sns.amazonaws.com'] }],
                actions: ['sqs:SendMessage'],
                resources: [queue.arn],
                condition: [{ test: 'ArnEquals', variable: 'aws:SourceArn', values: sources }],
              }]
            : []),
          denyInsecureTransport('sqs:*', queue.arn),
      ];
      const doc = new DataAwsIamPolicyDocument(this, `queue-${name}-policy-doc`, { statement: statements });
      this.documents[`queue:${name}`] = { doc, statements };
      const dlqDoc = new DataAwsIamPolicyDocument(this, `queue-${name}-dlq-policy-doc`, { statement: [denyInsecureTransport('sqs:*', dlq.arn)] });
      this.queuePolicies.push(
        new SqsQueuePolicy(this, `queue-${name}-policy`, { queueUrl: queue.url, policy: doc.json }),
        new SqsQueuePolicy(this, `queue-${name}-dlq-policy`, { queueUrl: dlq.url, policy: dlqDoc.json }),
      );
    }
  }

  /**
   * SNS encrypts each message with a data key of the topic's key, and SNS
   * (not the publisher) writes to the encrypted queues: it needs
   * kms:GenerateDataKey and kms:Decrypt in the key policy, for these topics
   * only (SQS developer guide, sqs-key-management: "Enable compatibility
   * between AWS services such as Amazon SNS ... and encrypted queues").
   */
  private allowSnsToUseKey(): void {
    const topics = Object.values(this.topics);
    if (topics.length === 0) return;
    this.props.kmsKey.allowService({
      sid: 'SnsEncryptsForOurTopics',
      service: 'sns.amazonaws.com',
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      sourceArns: topics.map((t) => t.arn),
    });
  }

  /**
   * Raw message delivery: the queue receives the published message itself
   * (and its attributes as SQS message attributes), not SNS's JSON envelope;
   * consumers parse one format, and the 256 KB limit applies to our payload.
   * Created after the queue policy and the key policy, so the first message
   * is never refused.
   */
  private subscribeQueues(): void {
    for (const [topicName, def] of Object.entries(this.props.topics)) {
      for (const queueName of def.subscriptions) {
        const queue = this.queues[queueName];
        if (!queue) throw new Error(`topics["${topicName}"].subscriptions: unknown queue "${queueName}" (functions/messaging.ts)`);
        this.subscriptions.push(
          new SnsTopicSubscription(this, `subscription-${topicName}-${queueName}`, {
            topicArn: this.topics[topicName]!.arn,
            protocol: 'sqs',
            endpoint: queue.arn,
            rawMessageDelivery: true,
            dependsOn: [...this.queuePolicies, ...(this.props.kmsKey.keyPolicy ? [this.props.kmsKey.keyPolicy] : [])],
          }),
        );
      }
    }
  }

  /**
   * Defence in depth behind the roles' least-privilege grants: each topic
   * refuses `sns:Publish` to every principal but its publishers' roles, each
   * queue refuses receiving, deleting and hiding messages to every principal
   * but its consumer's role (Lambda's pollers use the function's execution
   * role, so the event source mapping is that principal). An account admin
   * with `sns:*` cannot publish fake registrations either. `aws:PrincipalArn`
   * is the role's ARN for its sessions (IAM User Guide, global condition keys);
   * AWS's own example of this queue policy for an event source mapping:
   * https://repost.aws/knowledge-center/sqs-access-policy-least-privilege.
   * The dead-letter queues stay readable by operators.
   */
  restrictPrincipals(functions: readonly (RouteDefinition | TaskDefinition)[], roleArnOf: (name: string) => string): void {
    const byName = (pairs: [string, string][]) => pairs.reduce<Record<string, string[]>>((out, [name, arn]) => ((out[name] ??= []).push(arn), out), {});
    const publishers = byName(functions.flatMap((fn) => (fn.data?.publishes ?? []).map((t): [string, string] => [t, roleArnOf(fn.name)])));
    const consumers = byName(functions.flatMap((fn): [string, string][] => ('trigger' in fn && fn.trigger && 'queue' in fn.trigger ? [[fn.trigger.queue, roleArnOf(fn.name)]] : [])));
    const onlyThese = (sid: string, actions: string[], resource: string, roleArns: readonly string[]): DataAwsIamPolicyDocumentStatement => ({
      sid,
      effect: 'Deny',
      principals: [{ type: '*', identifiers: ['*'] }],
      actions,
      resources: [resource],
      // Nobody declared: nobody may.
      condition: roleArns.length ? [{ test: 'ArnNotEquals', variable: 'aws:PrincipalArn', values: [...roleArns] }] : undefined,
    });
    for (const [name, topic] of Object.entries(this.topics)) {
      this.extend(`topic:${name}`, onlyThese('OnlyDeclaredPublishers', ['sns:Publish'], topic.arn, publishers[name] ?? []));
    }
    for (const [name, queue] of Object.entries(this.queues)) {
      this.extend(`queue:${name}`, onlyThese('OnlyItsConsumer', [...CONSUME_ACTIONS], queue.arn, consumers[name] ?? []));
    }
  }

  private extend(key: string, statement: DataAwsIamPolicyDocumentStatement): void {
    const entry = this.documents[key]!;
    entry.statements.push(statement);
    entry.doc.putStatement(entry.statements);
  }

  /**
   * The queue invokes `fn` (a Lambda event source mapping): batches of up to
   * `batchSize`, at most `maximumConcurrency` at once, and partial batch
   * responses (ReportBatchItemFailures: only the messages the function lists
   * come back). The function's role carries the consumer grants; the mapping
   * refers to the function, which is created after its role policy.
   */
  trigger(queueName: string, fn: ServiceFunction, options: QueueTriggerProps = {}): LambdaEventSourceMapping {
    const queue = this.queues[queueName];
    if (!queue) throw new Error(`trigger.queue: unknown queue "${queueName}" (functions/messaging.ts)`);
    const mapping = new LambdaEventSourceMapping(this, `trigger-${queueName}`, {
      eventSourceArn: queue.arn,
      functionName: fn.lambda.arn,
      batchSize: options.batchSize ?? 10,
      functionResponseTypes: ['ReportBatchItemFailures'],
      scalingConfig: { maximumConcurrency: options.maximumConcurrency ?? 2 },
      enabled: true,
    });
    this.eventSourceMappings[queueName] = mapping;
    return mapping;
  }
}

/** What a consumer does to a queue's messages (the event source mapping's calls). */
const CONSUME_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'];

/** Deny `action` on `resource` to anyone calling without TLS (`aws:SecureTransport` false). */
function denyInsecureTransport(action: string, resource: string) {
  return {
    sid: 'DenyInsecureTransport',
    effect: 'Deny',
    principals: [{ type: '*', identifiers: ['*'] }],
    actions: [action],
    resources: [resource],
    condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
  };
}
