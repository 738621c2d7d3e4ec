/**
 * The local topics and queues of functions/messaging.ts: every queue with its
 * dead-letter queue (kept under `<dataDir>/messaging/`), every topic with its
 * subscribed queues, behind one local SNS endpoint. Names and ARNs are the
 * dev stack's (`sps-dev-confirmations`, account 000000000000).
 */
import path from 'node:path';
import { deadLetterQueueName, physicalMessagingName, QUEUE_LIMITS, type QueueDefinition, type TopicDefinition } from '../../../functions/messaging';
import type { ContractMessaging } from '../../../infra/function-contract';
import type { LocalIam } from '../iam';
import { LocalQueue } from './queue';
import { startSnsEndpoint, type SnsEndpoint } from './sns';

export { EventSourceMapping, EventSourceMappingError } from './event-source';
export { LocalQueue } from './queue';
export { startSchedule } from './schedule';

export interface LocalMessagingOptions {
  readonly project: string;
  readonly environment: string;
  readonly region: string;
  readonly accountId: string;
  readonly topics: Readonly<Record<string, TopicDefinition>>;
  readonly queues: Readonly<Record<string, QueueDefinition>>;
  readonly iam: LocalIam;
  /** Where the queues keep their messages. @default - in memory */
  readonly dataDir?: string;
  readonly log?: (message: string) => void;
  /** The key ARN put in the functions' grants (KMS is not emulated). */
  readonly kmsKeyArn: string;
}

export interface LocalMessaging {
  readonly sns: SnsEndpoint;
  /** A queue by its name in functions/messaging.ts. */
  queue(name: string): LocalQueue;
  /** The dead-letter queue of a queue. */
  deadLetterQueue(name: string): LocalQueue;
  /** ARNs for the functions' contract (infra/function-contract.ts). */
  readonly contract: ContractMessaging;
  close(): Promise<void>;
}

export async function startLocalMessaging(o: LocalMessagingOptions): Promise<LocalMessaging> {
  const physical = (name: string) => physicalMessagingName(o.project, o.environment, name);
  const arn = (service: 'sns' | 'sqs', name: string) => `arn:aws:${service}:${o.region}:${o.accountId}:${physical(name)}`;
  const dir = o.dataDir && path.join(o.dataDir, 'messaging');
  const log = (m: string) => o.log?.(m.startsWith('SNS') ? m : `SQS ${m}`);
  const queues = new Map<string, LocalQueue>();
  const deadLetters = new Map<string, LocalQueue>();
  for (const [name, def] of Object.entries(o.queues)) {
    const dlqName = deadLetterQueueName(name);
    const deadLetterQueue = new LocalQueue({
      name: physical(dlqName),
      arn: arn('sqs', dlqName),
      visibilityTimeoutSeconds: 30,
      retentionSeconds: def.deadLetterRetentionSeconds ?? QUEUE_LIMITS.defaultDeadLetterRetentionSeconds,
      dir,
      log,
    });
    deadLetters.set(name, deadLetterQueue);
    queues.set(
      name,
      new LocalQueue({
        name: physical(name),
        arn: arn('sqs', name),
        visibilityTimeoutSeconds: def.visibilityTimeoutSeconds,
        retentionSeconds: def.retentionSeconds ?? QUEUE_LIMITS.defaultRetentionSeconds,
        redrive: { deadLetterQueue, maxReceiveCount: def.maxReceiveCount },
        dir,
        log,
      }),
    );
  }
  const topics = Object.entries(o.topics).map(([name, def]) => ({
    name: physical(name),
    arn: arn('sns', name),
    subscriptions: def.subscriptions.map((q) => queues.get(q)!),
  }));
  const sns = await startSnsEndpoint(topics, o.iam, log);
  const get = (map: Map<string, LocalQueue>, name: string) => {
    const q = map.get(name);
    if (!q) throw new Error(`unknown queue "${name}"; queues: ${[...map.keys()].join(', ') || 'none'} (functions/messaging.ts)`);
    return q;
  };
  return {
    sns,
    queue: (name) => get(queues, name),
    deadLetterQueue: (name) => get(deadLetters, name),
    contract: {
      kmsKeyArn: o.kmsKeyArn,
      topics: Object.fromEntries(Object.keys(o.topics).map((name) => [name, { arn: arn('sns', name) }])),
      queues: Object.fromEntries(Object.keys(o.queues).map((name) => [name, { arn: arn('sqs', name) }])),
    },
    close: () => sns.close(),
  };
}
