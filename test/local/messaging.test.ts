/**
 * The local SNS endpoint, SQS queues and event source mappings alone (no
 * database): SNS's refusals through the real @aws-sdk/client-sns, raw
 * delivery to subscribed queues, SQS's visibility timeout, receive counts,
 * redrive to the dead-letter queue, stale receipt handles, retention and
 * persistence; Lambda's checks on a new mapping and its handling of function
 * errors and partial batch responses.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Grant } from '../../infra/function-contract';
import type { InvokeOutcome } from '../../scripts/local/functions';
import { LocalIam } from '../../scripts/local/iam';
import { EventSourceMapping, LocalQueue, startLocalMessaging, type LocalMessaging } from '../../scripts/local/messaging';
import { ratePeriodMs } from '../../scripts/local/messaging/schedule';

const REGION = 'eu-west-1';
const TOPIC_ARN = `arn:aws:sns:${REGION}:000000000000:sps-dev-orders`;
const QUEUE_ARN = `arn:aws:sqs:${REGION}:000000000000:sps-dev-fulfil`;
const publishGrant: Grant = { sid: 'Publish', actions: ['sns:Publish'], resources: [TOPIC_ARN] };
const consumeGrant: Grant = { sid: 'Consume', actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], resources: [QUEUE_ARN] };

let iam: LocalIam;
let messaging: LocalMessaging;
const logs: string[] = [];

beforeAll(async () => {
  iam = new LocalIam();
  messaging = await startLocalMessaging({
    project: 'sps',
    environment: 'dev',
    region: REGION,
    accountId: '000000000000',
    topics: { orders: { subscriptions: ['fulfil'] } },
    queues: { fulfil: { visibilityTimeoutSeconds: 60, maxReceiveCount: 2 } },
    iam,
    kmsKeyArn: 'arn:aws:kms:eu-west-1:000000000000:key/local',
    log: (m) => logs.push(m),
  });
});

afterAll(() => messaging?.close());

beforeEach(async () => {
  await messaging.queue('fulfil').purge();
  await messaging.deadLetterQueue('fulfil').purge();
});

/** An SNS client with the credentials of a principal holding `grants`. */
function clientWith(grants: Grant[]): SNSClient {
  return new SNSClient({ region: REGION, endpoint: messaging.sns.url, credentials: iam.issue('publisher', grants), maxAttempts: 1 });
}

const publish = (client: SNSClient, Message: string, extra: Record<string, unknown> = {}) =>
  client.send(new PublishCommand({ TopicArn: TOPIC_ARN, Message, MessageAttributes: { type: { DataType: 'String', StringValue: 'order.placed' } }, ...extra }));

describe('local SNS endpoint (AWS is the spec)', () => {
  test('GIVEN the sns:Publish grant WHEN publishing THEN the subscribed queue gets the raw message and its attributes', async () => {
    const out = await publish(clientWith([publishGrant]), '{"order":1}');
    expect(out.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    const [m] = await messaging.queue('fulfil').receive(10);
    expect(m).toMatchObject({ body: '{"order":1}', messageAttributes: { type: { DataType: 'String', StringValue: 'order.placed' } } });
    expect(m!.attributes.SenderId).toBe('AIDAIT2UOQQY3AUEKVGXU');
  });

  test('refuses a publisher without the grant: 403 AuthorizationError, nothing queued', async () => {
    const err = await publish(clientWith([]), 'x').catch((e: Error & { $metadata: { httpStatusCode: number } }) => e);
    expect(err).toMatchObject({ name: 'AuthorizationErrorException', $metadata: { httpStatusCode: 403 } });
    expect((err as Error).message).toContain('is not authorized to perform: SNS:Publish on resource: ' + TOPIC_ARN);
    expect(messaging.queue('fulfil').list()).toEqual([]);
  });

  test('refuses a grant on another topic (least privilege is per topic)', async () => {
    const other = { ...publishGrant, resources: [`${TOPIC_ARN}-other`] };
    await expect(publish(clientWith([other]), 'x')).rejects.toMatchObject({ name: 'AuthorizationErrorException' });
  });

  test('refuses a message over 262,144 bytes with its attributes: 400 InvalidParameter "Message too long"', async () => {
    const client = clientWith([publishGrant]);
    // 'type' + 'String' + 'order.placed' = 22 bytes of attributes.
    const fits = 'x'.repeat(262_144 - 22);
    await expect(publish(client, fits)).resolves.toMatchObject({ MessageId: expect.any(String) });
    await expect(publish(client, `${fits}y`)).rejects.toMatchObject({ name: 'InvalidParameterException', message: 'Invalid parameter: Message too long' });
    // Bytes, not characters: 65,536 four-byte characters are 262,144 bytes.
    await expect(client.send(new PublishCommand({ TopicArn: TOPIC_ARN, Message: '😀'.repeat(65_537) }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  test('refuses an empty message and more than 10 message attributes', async () => {
    const client = clientWith([publishGrant]);
    await expect(client.send(new PublishCommand({ TopicArn: TOPIC_ARN, Message: '' }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
    const attributes = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: 'v' }]));
    await expect(publish(client, 'x', { MessageAttributes: attributes })).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
  });

  test('an unknown topic is 404 NotFound for a principal allowed to publish to it', async () => {
    const ghost = `arn:aws:sns:${REGION}:000000000000:sps-dev-ghost`;
    const client = clientWith([{ sid: 'Ghost', actions: ['sns:Publish'], resources: [ghost] }]);
    await expect(client.send(new PublishCommand({ TopicArn: ghost, Message: 'x' }))).rejects.toMatchObject({ name: 'NotFoundException', message: 'Topic does not exist' });
  });
});

describe('local SQS queue semantics', () => {
  let clock = 1_000_000;
  const now = () => clock;
  let dir: string;
  const queues = (persist = false) => {
    const dlq = new LocalQueue({ name: 'q-dlq', arn: 'arn:dlq', visibilityTimeoutSeconds: 30, retentionSeconds: 1_209_600, now, dir: persist ? dir : undefined });
    const q = new LocalQueue({ name: 'q', arn: 'arn:q', visibilityTimeoutSeconds: 10, retentionSeconds: 3600, redrive: { deadLetterQueue: dlq, maxReceiveCount: 2 }, now, dir: persist ? dir : undefined });
    return { q, dlq };
  };
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'sps-queue-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('a received message is invisible for the visibility timeout, then delivered again with a higher receive count', async () => {
    const { q } = queues();
    await q.send('hello');
    const [first] = await q.receive(10);
    expect(first!.attributes.ApproximateReceiveCount).toBe('1');
    expect(await q.receive(10)).toEqual([]);
    clock += 9_999;
    expect(await q.receive(10)).toEqual([]);
    clock += 1;
    const [again] = await q.receive(10);
    expect([again!.messageId, again!.attributes.ApproximateReceiveCount]).toEqual([first!.messageId, '2']);
  });

  test('after maxReceiveCount receives the next receive moves the message to the dead-letter queue', async () => {
    const { q, dlq } = queues();
    await q.send('poison');
    for (let i = 0; i < 2; i++) {
      expect(await q.receive(10)).toHaveLength(1);
      clock += 10_000;
    }
    expect(await q.receive(10)).toEqual([]);
    expect(q.list()).toEqual([]);
    expect(dlq.list().map((m) => [m.body, m.receiveCount])).toEqual([['poison', 2]]);
  });

  test('only the latest receipt handle deletes a message', async () => {
    const { q } = queues();
    await q.send('m');
    const [first] = await q.receive(1);
    clock += 10_000;
    const [second] = await q.receive(1);
    expect(await q.delete(first!.receiptHandle)).toBe(false);
    expect(await q.delete(second!.receiptHandle)).toBe(true);
    expect(q.list()).toEqual([]);
  });

  test('messages older than the retention period are dropped', async () => {
    const { q } = queues();
    await q.send('old');
    clock += 3_600_000;
    expect(await q.receive(10)).toEqual([]);
    expect(q.list()).toEqual([]);
  });

  test('messages (and their receive counts) survive a restart', async () => {
    const before = queues(true);
    await before.q.send('durable');
    await before.q.receive(1);
    const after = queues(true);
    expect(after.q.list().map((m) => [m.body, m.receiveCount])).toEqual([['durable', 1]]);
  });
});

describe('local event source mapping (Lambda for SQS)', () => {
  const outcome = (payload: unknown): InvokeOutcome => ({ kind: 'result', payload: JSON.stringify(payload), durationMs: 1 });
  const mapping = (queue: LocalQueue, invoke: (event: { Records: { messageId: string; body: string }[] }) => Promise<InvokeOutcome>, extra: Partial<ConstructorParameters<typeof EventSourceMapping>[0]> = {}) =>
    new EventSourceMapping({ queue, functionName: 'sps-dev-fulfil', functionTimeoutSeconds: 10, region: REGION, invoke: invoke as never, batchSize: 10, log: (m) => logs.push(m), ...extra });

  test('refuses a queue whose visibility timeout is under the function timeout, with Lambda\'s text', () => {
    expect(() => mapping(messaging.queue('fulfil'), async () => outcome(null), { functionTimeoutSeconds: 61 })).toThrow(
      'Queue visibility timeout: 60 seconds is less than Function timeout: 61 seconds',
    );
  });

  test('refuses a role without sqs:ReceiveMessage on the queue', () => {
    const key = iam.issue('consumer', [{ ...consumeGrant, actions: ['sqs:DeleteMessage', 'sqs:GetQueueAttributes'] }]).accessKeyId;
    expect(() => mapping(messaging.queue('fulfil'), async () => outcome(null), { role: { iam, accessKeyId: key } })).toThrow(
      'The provided execution role does not have permissions to call ReceiveMessage on SQS',
    );
    const ok = iam.issue('consumer', [consumeGrant]).accessKeyId;
    expect(() => mapping(messaging.queue('fulfil'), async () => outcome(null), { role: { iam, accessKeyId: ok } })).not.toThrow();
  });

  test('deletes what succeeded; the batchItemFailures come back later, a function error keeps the whole batch', async () => {
    const queue = messaging.queue('fulfil');
    await Promise.all(['a', 'b', 'c'].map((body) => queue.send(body)));
    const seen: string[][] = [];
    let call = 0;
    const esm = mapping(queue, async (event) => {
      seen.push(event.Records.map((r) => r.body).sort());
      call++;
      if (call === 1) return outcome({ batchItemFailures: [{ itemIdentifier: event.Records.find((r) => r.body === 'b')!.messageId }] });
      return { kind: 'error', error: { name: 'Error', message: 'boom' }, durationMs: 1 };
    }).start();
    await esm.idle();
    esm.stop();
    expect(seen).toEqual([['a', 'b', 'c']]);
    expect(queue.list().map((m) => [m.body, m.receiveCount])).toEqual([['b', 1]]);
    expect(logs.join('\n')).toContain('processed 2 of 3 message(s)');
  });

  test('a batchItemFailures list naming a message not in the batch fails the whole batch', async () => {
    const queue = messaging.queue('fulfil');
    await queue.send('a');
    const esm = mapping(queue, async () => outcome({ batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] })).start();
    await esm.idle();
    esm.stop();
    expect(queue.list()).toHaveLength(1);
  });

  test('never runs more than maximumConcurrency batches at once', async () => {
    const queue = messaging.queue('fulfil');
    await Promise.all(Array.from({ length: 6 }, (_, i) => queue.send(String(i))));
    let running = 0;
    let peak = 0;
    const esm = mapping(
      queue,
      async () => {
        peak = Math.max(peak, ++running);
        await new Promise((r) => setTimeout(r, 20));
        running--;
        return outcome(null);
      },
      { batchSize: 1, maximumConcurrency: 2 },
    ).start();
    while (queue.list().length > 0) await new Promise((r) => setTimeout(r, 10));
    esm.stop();
    expect(peak).toBe(2);
  });
});

test('schedules: rate(...) periods; cron is not run locally', () => {
  expect(ratePeriodMs('rate(1 minute)')).toBe(60_000);
  expect(ratePeriodMs('rate(2 hours)')).toBe(7_200_000);
  expect(ratePeriodMs('cron(0 12 * * ? *)')).toBeUndefined();
});
