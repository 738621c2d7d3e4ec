/**
 * SNS topics and SQS queues, defined once like functions/tables.ts: the
 * infrastructure (aws_sns_topic, aws_sqs_queue with its dead-letter queue,
 * subscriptions, policies), the local runtime (the local SNS endpoint and its
 * queues) and the tests all read this. A function declares what it publishes
 * (`data.publishes`) and which queue triggers it (`trigger.queue`) in
 * functions/registry.ts; the rules are in registry-schema.ts.
 */

export interface TopicDefinition {
  /** Queues of this file subscribed to the topic (raw message delivery). */
  readonly subscriptions: readonly string[];
}

export interface QueueDefinition {
  /**
   * How long a received message stays invisible before it is delivered
   * again, 0 to 43200 s. At least 6 x the timeout of the function it
   * triggers (AWS's guidance; Lambda itself refuses less than 1 x).
   */
  readonly visibilityTimeoutSeconds: number;
  /** Receives before a message moves to the dead-letter queue, 1 to 1000. */
  readonly maxReceiveCount: number;
  /** How long an unprocessed message is kept, 60 to 1209600 s. @default 345600 (4 days, SQS's default) */
  readonly retentionSeconds?: number;
  /** How long the dead-letter queue keeps a message, 60 to 1209600 s. @default 1209600 (14 days, the maximum) */
  readonly deadLetterRetentionSeconds?: number;
}

export const topics = {
  /** The registrations' lifecycle: `registration.created` (functions/lib/domain/outbox.ts). */
  registrations: { subscriptions: ['confirmations'] },
} as const satisfies Record<string, TopicDefinition>;

export const queues = {
  /**
   * Confirmation requests for the `confirmations` task: 60 s visibility for
   * its 10 s timeout; after 5 failed receives a message goes to the DLQ.
   */
  confirmations: { visibilityTimeoutSeconds: 60, maxReceiveCount: 5 },
} as const satisfies Record<string, QueueDefinition>;

export type TopicName = keyof typeof topics;
export type QueueName = keyof typeof queues;

/** SQS's defaults and limits, written once for the schema, infra and the local queues. */
export const QUEUE_LIMITS = {
  defaultRetentionSeconds: 345_600,
  defaultDeadLetterRetentionSeconds: 1_209_600,
  retentionSeconds: { min: 60, max: 1_209_600 },
  visibilityTimeoutSeconds: { min: 0, max: 43_200 },
  maxReceiveCount: { min: 1, max: 1000 },
} as const;

/** The environment variable that carries a topic's ARN to its publishers. */
export function topicEnvVar(name: string): string {
  return `TOPIC_${name.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}_ARN`;
}

/** Physical topic or queue name for a project and environment (`sps-dev-confirmations`). */
export function physicalMessagingName(project: string, environment: string, name: string): string {
  return `${project}-${environment}-${name}`;
}

/** The dead-letter queue of a queue. */
export const deadLetterQueueName = (queue: string): string => `${queue}-dlq`;
