/**
 * Faults on the asynchronous path, against the local runtime with its real
 * sandboxes, local SNS, durable queues and event source mapping: the task
 * fails twice then succeeds (one confirmation); the task always fails (the
 * message lands in the dead-letter queue, the registration stays pending,
 * nothing else breaks); a message published twice (one confirmation);
 * cancel withdraws; the registering function is killed between its commit
 * and its publish, the runtime is restarted, and the confirmation arrives.
 *
 * Short timings, same semantics: the task's timeout is 1 s, the queue's
 * visibility timeout 6 s (the registry's 6x rule), maxReceiveCount 3, and
 * the schedule runs every second.
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { routes as registryRoutes, tasks as registryTasks } from '../../../functions/registry';
import type { RouteDefinition, TaskDefinition } from '../../../functions/registry-types';
import { createPgDatabase } from '../../../functions/lib/data/proxy';
import { sqlParam, type Database } from '../../../functions/lib/data/sql';
import { register, unregister } from '../../../functions/lib/domain/events';
import { publishOutboxEntry, type Publisher } from '../../../functions/lib/domain/outbox';
import { startLocalRuntime, type LocalRuntime } from '../../../scripts/local/runtime';
import { tempDir } from '../../support/temp';
import { faultFile } from './fixtures/flaky-confirmations';

const fixtures = path.join(import.meta.dirname, 'fixtures');
const crashRoute: RouteDefinition = {
  name: 'crash',
  method: 'POST',
  path: '/crash/{id}',
  handler: path.join(fixtures, 'crash-after-commit.ts'),
  data: { sql: 'proxy', publishes: ['registrations'] },
  public: 'Fixture: a registering function that dies after its commit',
};
const tasks: TaskDefinition[] = (registryTasks as readonly TaskDefinition[]).map((t) =>
  t.name === 'confirmations'
    ? { ...t, handler: path.join(fixtures, 'flaky-confirmations.ts'), timeoutSeconds: 1, trigger: { queue: 'confirmations', batchSize: 1, maximumConcurrency: 2 } }
    : t,
);
const health = (registryRoutes as readonly RouteDefinition[]).find((r) => r.name === 'health')!;

const dataDir = tempDir('confirmations');
const faults: Record<string, number> = {};
const logs: string[] = [];
/** What the functions wrote (their JSON log lines). */
const functionLogs: string[] = [];
let runtime: LocalRuntime | undefined;
let db: Database;
let eventId: string;

const start = () =>
  startLocalRuntime({
    port: 0,
    dataDir,
    routes: [health, crashRoute],
    tasks,
    queues: { confirmations: { visibilityTimeoutSeconds: 6, maxReceiveCount: 3 } },
    scheduleEveryMs: 1000,
    log: (m) => logs.push(m),
    functionLogs: (text) => functionLogs.push(text),
  });

const connect = (r: LocalRuntime) => createPgDatabase({ ...r.postgres, ssl: false });

beforeAll(async () => {
  writeFileSync(faultFile(process.pid), '{}');
  runtime = await start();
  db = connect(runtime);
  const { rows } = await db.query<{ id: string }>("INSERT INTO events (name, capacity, starts_at) VALUES ('Fault Conf', 100, now() + interval '30 days') RETURNING id");
  eventId = rows[0]!.id;
}, 120_000);

afterAll(async () => {
  await db?.close();
  await runtime?.stop();
  rmSync(faultFile(process.pid), { force: true });
}, 60_000);

/** Publishes as a function with the `registrations` grant, through the local SNS endpoint. */
function publisher(r: LocalRuntime): Publisher & { client: SNSClient } {
  const client = new SNSClient({ region: r.cloud.config.region, endpoint: r.cloud.messaging.sns.url, credentials: r.credentials('crash') });
  const arn = r.functionEnvironment.crash!.TOPIC_REGISTRATIONS_ARN!;
  const send: Publisher = async (m) => (await client.send(new PublishCommand({ TopicArn: arn, Message: JSON.stringify(m.body), MessageAttributes: { type: { DataType: 'String', StringValue: m.type } } }))).MessageId!;
  return Object.assign(send, { client });
}

const user = (n: string) => ({ sub: `sub-${n}`, email: `${n}@example.com`, groups: [], tokenUse: 'id' });
const organizer = { sub: 'sub-org', email: 'org@example.com', groups: ['organizers'], tokenUse: 'id' };

/** Registers `n` and publishes its message as registrations-create does; the faults are set first. */
async function registerAndPublish(n: string, failFirst = 0): Promise<{ registrationId: string; outboxId: string }> {
  const { registration, announcement } = await register(db, eventId, { name: n }, user(n));
  faults[registration.id] = failFirst;
  writeFileSync(faultFile(process.pid), JSON.stringify(faults));
  expect(await publishOutboxEntry(db, announcement.id, publisher(runtime!))).toBe(true);
  return { registrationId: registration.id, outboxId: announcement.id };
}

const confirmations = async (registrationId: string) =>
  (await db.query<{ code: string }>('SELECT code FROM confirmations WHERE registration_id = :id', { id: sqlParam.uuid(registrationId) })).rows;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${logs.slice(-30).join('\n')}\n${functionLogs.join('').split('\n').filter((l) => l.includes('"error"')).slice(-5).join('\n')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const dlqBodies = () => runtime!.cloud.messaging.deadLetterQueue('confirmations').list().map((m) => JSON.parse(m.body) as { registrationId: string });

test('the task fails twice, then succeeds: exactly one confirmation; always failing lands in the DLQ and breaks nothing else', async () => {
  const flaky = await registerAndPublish('flaky', 2);
  const doomed = await registerAndPublish('doomed', 99);
  const fine = await registerAndPublish('fine');

  await waitFor('the healthy registration', async () => (await confirmations(fine.registrationId)).length === 1);
  await waitFor('the flaky registration', async () => (await confirmations(flaky.registrationId)).length === 1);
  expect(logs.filter((l) => l.includes(`injected failure for ${flaky.registrationId}`))).toHaveLength(2);
  expect(logs.some((l) => l.includes(`injected failure for ${flaky.registrationId} (receive #2)`))).toBe(true);

  await waitFor('the dead-letter queue', async () => dlqBodies().some((b) => b.registrationId === doomed.registrationId));
  expect(logs.some((l) => /confirmations: message .* moved to sps-dev-confirmations-dlq after 3 receives/.test(l))).toBe(true);
  expect(await confirmations(doomed.registrationId)).toEqual([]);
  expect(runtime!.cloud.messaging.queue('confirmations').list()).toEqual([]);
  // Nothing else broke: the API answers, the other registrations kept their one confirmation.
  expect((await fetch(`${runtime!.url}/health`)).status).toBe(200);
  expect(await confirmations(flaky.registrationId)).toHaveLength(1);
  expect(await confirmations(fine.registrationId)).toHaveLength(1);
}, 90_000);

test('a message published twice issues one confirmation; cancelling withdraws it for good', async () => {
  const twice = await registerAndPublish('twice');
  const send = publisher(runtime!);
  await send({ topic: 'registrations', type: 'registration.created', body: { registrationId: twice.registrationId, eventId, messageId: twice.outboxId, type: 'registration.created', occurredAt: new Date().toISOString() } });
  // Both copies are queued once the publishes have returned; an empty queue means both were consumed.
  await waitFor('both deliveries', async () => runtime!.cloud.messaging.queue('confirmations').list().length === 0);
  expect(await confirmations(twice.registrationId)).toHaveLength(1);
  expect(functionLogs.join('').match(/"outcome":"duplicate"/g)?.length).toBeGreaterThanOrEqual(1);

  await unregister(db, eventId, twice.registrationId, organizer);
  expect(await confirmations(twice.registrationId)).toEqual([]);
  await send({ topic: 'registrations', type: 'registration.created', body: { registrationId: twice.registrationId, eventId, messageId: twice.outboxId, type: 'registration.created', occurredAt: new Date().toISOString() } });
  await waitFor('the late copy to be consumed', async () => runtime!.cloud.messaging.queue('confirmations').list().length === 0);
  expect(await confirmations(twice.registrationId)).toEqual([]);
}, 60_000);

test('the registering function is killed between commit and publish; after a restart the confirmation still arrives', async () => {
  const crashed = await fetch(`${runtime!.url}/crash/${eventId}`, { method: 'POST' });
  expect(crashed.status).toBe(500); // the function's process died: API Gateway's 500
  const { rows } = await db.query<{ id: string; published: boolean }>(
    "SELECT r.id, o.published_at IS NOT NULL AS published FROM registrations r JOIN outbox o ON o.payload->>'registrationId' = r.id::text WHERE r.user_sub = 'sub-crash'",
  );
  expect(rows).toEqual([{ id: expect.any(String), published: false }]);
  const registrationId = rows[0]!.id;

  // The whole runtime goes down before anything published the message ...
  await db.close();
  await runtime!.stop();
  // ... and comes back on the same data: the outbox-sweep task finds the row once it is 30 s old.
  runtime = await start();
  db = connect(runtime);
  await waitFor('the confirmation of the crashed registration', async () => (await confirmations(registrationId)).length === 1, 60_000);
  expect(logs.some((l) => l.includes('sps-dev-registrations: message') && l.includes('from outbox-sweep'))).toBe(true);
}, 120_000);
