/**
 * "fails when …" for the messaging declarations: `data.publishes`,
 * `trigger` and functions/messaging.ts are checked by the registry's rules
 * (functions/registry-schema.ts), each problem naming the field, the value
 * received and the fix.
 */
import type { QueueDefinition, TopicDefinition } from '../../functions/messaging';
import { topics as appTopics, queues as appQueues } from '../../functions/messaging';
import { routes, tasks } from '../../functions/registry';
import { tables } from '../../functions/tables';
import type { RouteDefinition, TaskDefinition } from '../../functions/registry-types';
import { duplicateProblems, entryProblems, messagingProblems, scheduleProblem } from '../../functions/registry-schema';

const topics: Record<string, TopicDefinition> = { registrations: { subscriptions: ['confirmations'] } };
const queues: Record<string, QueueDefinition> = { confirmations: { visibilityTimeoutSeconds: 60, maxReceiveCount: 5 } };
const check = (fn: RouteDefinition | TaskDefinition) => entryProblems(fn, { tableNames: [], topics, queues });
const route: RouteDefinition = { name: 'r', method: 'POST', path: '/r', handler: 'r.ts', public: 'Fixture route for the schema' };
const task = (trigger: unknown, extra: Partial<TaskDefinition> = {}): TaskDefinition => ({ name: 't', handler: 't.ts', trigger: trigger as never, ...extra });

test("the app's own registry and messaging pass", () => {
  for (const fn of [...routes, ...tasks]) expect(entryProblems(fn, { tableNames: Object.keys(tables) })).toEqual([]);
  expect(duplicateProblems([...routes, ...tasks])).toEqual([]);
  expect(messagingProblems(appTopics, appQueues)).toEqual([]);
});

test.each<[string, RouteDefinition | TaskDefinition, string]>([
  ['publishes an unknown topic', { ...route, data: { publishes: ['orders' as never] } }, 'routes["r"].data.publishes: unknown topic "orders"; use one of "registrations" or define it in functions/messaging.ts'],
  ['publishes is not a list', { ...route, data: { publishes: 'registrations' as never } }, 'routes["r"].data.publishes: use a non-empty list of topic names such as ["registrations"], or leave it out (received "registrations")'],
  ['a route has a trigger', { ...route, trigger: { queue: 'confirmations' } } as RouteDefinition, 'routes["r"].trigger: only tasks take a trigger; routes are invoked by the API'],
  ['a trigger names both a queue and a schedule', task({ queue: 'confirmations', schedule: 'rate(1 minute)' }), 'tasks["t"].trigger: use { queue: "<queue>" } or { schedule: "rate(1 minute)" }, exactly one of them'],
  ['a trigger names an unknown queue', task({ queue: 'orders' }), 'tasks["t"].trigger.queue: unknown queue "orders"; use one of "confirmations" or define it in functions/messaging.ts'],
  ['a batch is over 10', task({ queue: 'confirmations', batchSize: 11 }), 'tasks["t"].trigger.batchSize: use a whole number from 1 to 10 (received 11)'],
  ['maximum concurrency is under Lambda\'s 2', task({ queue: 'confirmations', maximumConcurrency: 1 }), "tasks[\"t\"].trigger.maximumConcurrency: use a whole number from 2 to 1000, Lambda's range for SQS (received 1)"],
  ['the visibility timeout is under 6x the task timeout', task({ queue: 'confirmations' }, { timeoutSeconds: 11 }), 'tasks["t"].trigger.queue: queue "confirmations" has a visibility timeout of 60 s, under 6 x the task\'s 11 s timeout'],
  ['a schedule uses a plural unit for 1', task({ schedule: 'rate(1 minutes)' }), 'tasks["t"].trigger.schedule: write "rate(1 minute)": EventBridge wants the singular unit for 1 and the plural otherwise (received "rate(1 minutes)")'],
  ['a schedule is not an EventBridge expression', task({ schedule: 'every minute' }), 'tasks["t"].trigger.schedule: use "rate(<n> <unit>)" (minute(s), hour(s), day(s)) or "cron(<6 fields>)", e.g. "rate(1 minute)" (received "every minute")'],
])('fails when %s', (_what, fn, message) => {
  expect(check(fn).join('\n')).toContain(message);
});

test('schedules: rate with the right unit, or a six-field cron', () => {
  expect(scheduleProblem('rate(5 minutes)')).toBeUndefined();
  expect(scheduleProblem('rate(1 day)')).toBeUndefined();
  expect(scheduleProblem('cron(0/5 * * * ? *)')).toBeUndefined();
  expect(scheduleProblem('rate(5 minute)')).toContain('write "rate(5 minutes)"');
  expect(scheduleProblem('cron(* * * * *)')).toBeDefined();
});

test('fails when two tasks consume one queue (each would get a share of the messages, not each message)', () => {
  const a = task({ queue: 'confirmations' });
  expect(duplicateProblems([a, { ...a, name: 'u' }])).toEqual([
    'tasks["u"].trigger.queue: queue "confirmations" already triggers "t"; give each consumer its own queue (subscribe both to the topic)',
  ]);
});

test('fails when functions/messaging.ts subscribes an unknown queue or leaves SQS ranges', () => {
  expect(messagingProblems({ t: { subscriptions: ['nope'] } }, { 'q-dlq': { visibilityTimeoutSeconds: 50_000, maxReceiveCount: 0, retentionSeconds: 30 } })).toEqual([
    'topics["t"].subscriptions: unknown queue "nope"; use one of "q-dlq" or define it in functions/messaging.ts',
    'queues["q-dlq"].visibilityTimeoutSeconds: use a whole number from 0 to 43200 s (received 50000)',
    'queues["q-dlq"].maxReceiveCount: use a whole number from 1 to 1000 (received 0)',
    'queues["q-dlq"].retentionSeconds: use a whole number from 60 to 1209600 s (received 30)',
    'queues["q-dlq"]: names ending in "-dlq" are kept for dead-letter queues (every queue gets one); rename it',
  ]);
});
