/**
 * Asynchronous confirmations in-process (functions/testing.ts): a
 * registration commits its `registration.created` message to the outbox and
 * publishes it through the local SNS endpoint to the `confirmations` queue;
 * `deliver` runs the `confirmations` task on it as its event source mapping
 * does. Status `pending` then `confirmed` with a code and a badge; duplicates
 * are harmless; cancelling withdraws; nothing is lost when the publish fails.
 */
import { createPgDatabase } from '../../../functions/lib/data/proxy';
import { sqlParam, type Database } from '../../../functions/lib/data/sql';
import { renderBadge } from '../../../functions/lib/domain/confirmations';
import { publishOutboxEntry, sweepOutbox } from '../../../functions/lib/domain/outbox';
import { publish } from '../../../functions/lib/messaging/publish';
import type { LogRecord } from '../../../functions/lib/log';
import { startLocalServices, type InvokeInit, type LocalServices, type TestUser } from '../../../functions/testing';
import { captureLogs } from '../../functions/events';

const FUNCTIONS = ['events-create', 'registrations-create', 'registrations-delete', 'me-registrations', 'me-registrations-get', 'confirmations', 'outbox-sweep'];
const organizer: TestUser = { sub: 'sub-olga', email: 'olga@example.com', groups: ['organizers'] };
let n = 0;
const attendee = (name = 'Ada'): TestUser & { name: string } => ({ sub: `sub-${++n}`, email: `a${n}@example.com`, name });

let local: LocalServices;
/** The master user, to look at and age outbox rows. */
let master: Database;
const logs = captureLogs();

beforeAll(async () => {
  local = await startLocalServices({ functions: FUNCTIONS });
  const pg = local.cloud.postgres;
  master = createPgDatabase({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database, ssl: false });
}, 120_000);

afterAll(async () => {
  logs.restore();
  await master?.close();
  await local?.stop();
}, 60_000);

beforeEach(() => local.cloud.messaging.queue('confirmations').purge());

const call = (name: string, init: InvokeInit) => local.invoke(name, init);
const queue = () => local.cloud.messaging.queue('confirmations');

async function newEvent(name = 'DevConf <2027>'): Promise<string> {
  const r = await call('events-create', { json: { name, capacity: 10, startsAt: '2027-05-01T09:00:00Z' }, user: organizer });
  return JSON.parse(r.body).id as string;
}

async function registerFor(eventId: string, user = attendee()) {
  const r = await call('registrations-create', { pathParameters: { id: eventId }, json: { name: user.name }, user });
  expect(r.statusCode).toBe(201);
  return { user, registration: JSON.parse(r.body) as { id: string; status: string } };
}

const mine = async (user: TestUser) => JSON.parse((await call('me-registrations', { user })).body).items as Record<string, unknown>[];
const detail = async (user: TestUser, id: string) => call('me-registrations-get', { pathParameters: { id }, user });
const confirmationsOf = async (id: string) =>
  (await master.query<{ code: string }>('SELECT code FROM confirmations WHERE registration_id = :id', { id: sqlParam.uuid(id) })).rows;
const outcomes = () => logs.records.filter((r: LogRecord) => r.msg === 'message').map((r) => r.outcome);

test('a registration is pending, then confirmed with a code and a badge once the task has run', async () => {
  const eventId = await newEvent();
  const { user, registration } = await registerFor(eventId, attendee('Ada <Lovelace> & "Co"'));
  expect(registration.status).toBe('pending');

  // Published right after the commit: the outbox row is marked, the queue holds the message.
  const outbox = await master.query<{ publishedAt: string | null }>(`SELECT published_at AS "publishedAt" FROM outbox WHERE payload->>'registrationId' = :id`, { id: registration.id });
  expect(outbox.rows).toEqual([{ publishedAt: expect.any(String) }]);
  expect(queue().list().map((m) => JSON.parse(m.body))).toEqual([
    { registrationId: registration.id, eventId, messageId: expect.any(String), type: 'registration.created', occurredAt: expect.any(String) },
  ]);
  expect(await mine(user)).toEqual([expect.objectContaining({ id: registration.id, status: 'pending' })]);
  expect((await mine(user))[0]).not.toHaveProperty('confirmationCode');

  await local.deliver('confirmations');
  expect(queue().list()).toEqual([]);
  const [listed] = await mine(user);
  expect(listed).toMatchObject({ id: registration.id, status: 'confirmed', confirmationCode: expect.stringMatching(/^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/) });

  const page = await detail(user, registration.id);
  expect(page.statusCode).toBe(200);
  const body = JSON.parse(page.body);
  expect(body).toMatchObject({ status: 'confirmed', confirmationCode: listed!.confirmationCode, eventName: 'DevConf <2027>', confirmedAt: expect.any(String) });
  // Every text in the badge is escaped: the name and event cannot inject markup.
  expect(body.badgeSvg).toContain('Ada &lt;Lovelace&gt; &amp; &quot;Co&quot;');
  expect(body.badgeSvg).toContain('DevConf &lt;2027&gt;');
  expect(body.badgeSvg).toContain(String(listed!.confirmationCode));
  expect(body.badgeSvg).not.toMatch(/<script|href=|on[a-z]+=/i);
});

test("GET /me/registrations/{id} is the caller's only: 404 for someone else's registration and for an unknown id", async () => {
  const { registration } = await registerFor(await newEvent());
  expect((await detail(attendee(), registration.id)).statusCode).toBe(404);
  expect((await detail(organizer, registration.id)).statusCode).toBe(404);
  expect((await detail(organizer, 'not-a-uuid')).statusCode).toBe(404);
});

test('a message delivered twice issues one confirmation (the second is a harmless duplicate)', async () => {
  const { user, registration } = await registerFor(await newEvent());
  const [message] = queue().list();
  await queue().send(message!.body, message!.attributes);
  await local.deliver('confirmations');
  const [first] = await confirmationsOf(registration.id);
  expect(await confirmationsOf(registration.id)).toHaveLength(1);
  // Once more, later: still the same confirmation.
  await queue().send(message!.body, message!.attributes);
  await local.deliver('confirmations');
  expect(await confirmationsOf(registration.id)).toEqual([first]);
  expect((await mine(user))[0]).toMatchObject({ confirmationCode: first!.code });
  expect(outcomes().slice(-3)).toEqual(expect.arrayContaining(['issued', 'duplicate']));
});

test('cancelling withdraws the confirmation, and a late copy of the message does not bring it back', async () => {
  const eventId = await newEvent();
  const { user, registration } = await registerFor(eventId);
  const [message] = queue().list();
  await local.deliver('confirmations');
  expect(await confirmationsOf(registration.id)).toHaveLength(1);

  const cancel = await call('registrations-delete', { pathParameters: { id: eventId, registrationId: registration.id }, user });
  expect(cancel.statusCode).toBe(204);
  expect(await confirmationsOf(registration.id)).toEqual([]);
  expect((await detail(user, registration.id)).statusCode).toBe(404);

  await queue().send(message!.body, message!.attributes);
  await local.deliver('confirmations');
  expect(await confirmationsOf(registration.id)).toEqual([]);
  expect(outcomes().at(-1)).toBe('cancelled');
});

test('a confirmation arriving after the cancel is dropped', async () => {
  const eventId = await newEvent();
  const { user, registration } = await registerFor(eventId);
  await call('registrations-delete', { pathParameters: { id: eventId, registrationId: registration.id }, user });
  await local.deliver('confirmations');
  expect(await confirmationsOf(registration.id)).toEqual([]);
  expect(queue().list()).toEqual([]);
});

test('an invalid message is reported as a batch item failure and stays queued; the others are processed', async () => {
  const { registration } = await registerFor(await newEvent());
  await queue().send('{"not":"a registration"}');
  await local.deliver('confirmations');
  expect(await confirmationsOf(registration.id)).toHaveLength(1);
  expect(queue().list().map((m) => [m.body, m.receiveCount])).toEqual([['{"not":"a registration"}', 1]]);
});

test('nothing is lost when the publish fails after the commit: the sweeper publishes the row', async () => {
  const eventId = await newEvent();
  const { user } = await registerFor(eventId);
  await local.deliver('confirmations');
  // A second registration whose publish fails (SNS down): committed, its message stays in the outbox.
  const other = attendee('Grace');
  const db = master;
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO registrations (event_id, name, email, user_sub) VALUES (:eventId, 'Grace', :email, :sub) RETURNING id`,
    { eventId: sqlParam.uuid(eventId), email: other.email!, sub: other.sub },
  );
  const outboxId = (await db.query<{ id: string }>(
    `INSERT INTO outbox (topic, type, payload) VALUES ('registrations', 'registration.created', :payload) RETURNING id`,
    { payload: sqlParam.json({ registrationId: rows[0]!.id, eventId }) },
  )).rows[0]!.id;
  const down = () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { name: 'DataUnavailableError' }));
  expect(await publishOutboxEntry(db, outboxId, down)).toBe(false);
  expect((await db.query('SELECT attempts FROM outbox WHERE id = :id AND published_at IS NULL', { id: sqlParam.uuid(outboxId) })).rows).toEqual([{ attempts: 1 }]);

  // Too young for the sweeper (its writer may still be publishing it) ...
  expect(await local.invokeTask('outbox-sweep', {})).toMatchObject({ published: 0 });
  // ... until it is 30 s old.
  await db.query("UPDATE outbox SET created_at = created_at - interval '31 seconds' WHERE id = :id", { id: sqlParam.uuid(outboxId) });
  expect(await local.invokeTask('outbox-sweep', {})).toMatchObject({ found: 1, published: 1 });
  await local.deliver('confirmations');
  expect(await confirmationsOf(rows[0]!.id)).toHaveLength(1);
  expect((await mine(user))[0]).toMatchObject({ status: 'confirmed' });
  expect(await sweepOutbox(db, publish, { olderThanSeconds: 0 })).toMatchObject({ found: 0 });
});

test('the badge fits long names and shows the event time in UTC', () => {
  const svg = renderBadge({ eventName: 'E'.repeat(200), startsAt: '2027-05-01T09:00:00.000Z', attendee: 'A'.repeat(200), code: 'ABCD-EFGH' });
  expect(svg).toContain('2027-05-01 09:00 UTC');
  expect(svg).toContain(`${'E'.repeat(35)}…`);
  expect(svg.length).toBeLessThan(16_384);
});
