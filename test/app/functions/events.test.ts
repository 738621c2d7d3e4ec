/**
 * The example app's SQL handlers (events on the Data API, registrations
 * through the RDS Proxy) in-process on the local stand-ins, through
 * functions/testing.ts, and its domain's capacity rule under concurrency on
 * both adapters. The SQL layer itself is tested in test/functions/sql.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { createDataApiDatabase } from '../../../functions/lib/data/data-api';
import { createPgDatabase, proxyOptionsFromEnv } from '../../../functions/lib/data/proxy';
import { sqlParam, type Database } from '../../../functions/lib/data/sql';
import { createEvent, register } from '../../../functions/lib/domain/events';
import { TEXT_RULE_MESSAGE } from '../../../functions/lib/domain/text';
import type { AppError } from '../../../functions/lib/http/errors';
import { routes } from '../../../functions/registry';
import { startLocalServices, type InvokeInit, type LocalServices, type TestUser } from '../../../functions/testing';
import { errorOf, expectValidProxyResult } from '../../functions/assertions';
import { captureLogs } from '../../functions/events';

const SQL_ROUTES = ['events-create', 'events-list', 'events-get', 'registrations-create', 'registrations-list', 'registrations-delete', 'me-registrations', 'health'];

const organizer: TestUser = { sub: 'sub-olga', email: 'olga@example.com', groups: ['organizers'] };
const attendee = (n: number | string): TestUser => ({ sub: `sub-attendee-${n}`, email: `a${n}@example.com` });
/** A user as the domain receives it from the handler chain. */
const userOf = (t: TestUser) => ({ sub: t.sub, email: t.email, groups: t.groups ?? [], tokenUse: 'id' });

let local: LocalServices;
/** The application role through the proxy, as every route logs in. */
let proxyDb: Database;
/** The application role through the Data API, with its secret. */
let dataApiDb: Database;
const logs = captureLogs();

beforeAll(async () => {
  local = await startLocalServices({ functions: SQL_ROUTES });
  proxyDb = createPgDatabase({ ...proxyOptionsFromEnv(local.environment), max: 5 });
  dataApiDb = createDataApiDatabase({ resourceArn: local.environment.DB_CLUSTER_ARN!, secretArn: local.environment.DB_SECRET_ARN!, database: local.environment.DB_NAME! });
}, 120_000);

afterAll(async () => {
  logs.restore();
  await proxyDb?.close();
  await local?.stop();
}, 60_000);

test('the example uses both SQL adapters', () => {
  const adapters = new Set(routes.map((r) => (r as { data?: { sql?: string } }).data?.sql).filter(Boolean));
  expect([...adapters].sort()).toEqual(['data-api', 'proxy']);
});

describe.each([
  ['proxy (pg)', () => proxyDb],
  ['data-api', () => dataApiDb],
])('%s adapter', (_name, db) => {
  test('GIVEN a 10-seat event WHEN 50 people register concurrently THEN exactly 10 succeed', async () => {
    const event = await createEvent(db(), { name: 'Concurrency', capacity: 10, startsAt: '2026-06-01T09:00:00Z' });
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        register(db(), event.id, { name: `P${i}` }, userOf(attendee(`p${i}`))).then(
          () => 'ok',
          (e: AppError) => e.code,
        ),
      ),
    );
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(10);
    expect(outcomes.filter((o) => o === 'event_full')).toHaveLength(40);
    const { rows } = await db().query<{ registered: number; n: number }>(
      'SELECT e.registered, (SELECT count(*) FROM registrations r WHERE r.event_id = e.id) AS n FROM events e WHERE e.id = :id',
      { id: sqlParam.uuid(event.id) },
    );
    expect(rows[0]).toEqual({ registered: 10, n: 10 });
  });
});

describe('events and registrations handlers', () => {
  const call = async (name: string, _method: string, path: string, init: InvokeInit = {}) => {
    const r = await local.invoke(name, { ...init, path });
    // The authorizer's own 401 (no token) is API Gateway's answer, not the function's: it has no content-type.
    if (!(r.statusCode === 401 && init.user === undefined)) expectValidProxyResult(r);
    return r;
  };

  const newEvent = async (capacity = 3) => {
    const r = await call('events-create', 'POST', '/events', { json: { name: 'DevConf', capacity, startsAt: '2026-09-01T09:00:00+02:00' }, user: organizer });
    expect(r.statusCode).toBe(201);
    return JSON.parse(r.body) as { id: string; name: string; capacity: number; startsAt: string; registered: number };
  };
  const registerAt = (id: string, json: unknown, user: TestUser | undefined) =>
    call('registrations-create', 'POST', `/events/${id}/registrations`, { pathParameters: { id }, json, ...(user ? { user } : {}) });
  const listOf = (id: string, user: TestUser | undefined) => call('registrations-list', 'GET', `/events/${id}/registrations`, { pathParameters: { id }, ...(user ? { user } : {}) });
  const cancel = (eventId: string, registrationId: string, user: TestUser | undefined) =>
    call('registrations-delete', 'DELETE', `/events/${eventId}/registrations/${registrationId}`, { pathParameters: { id: eventId, registrationId }, ...(user ? { user } : {}) });
  const mine = (user: TestUser, query: Record<string, string> = {}) => call('me-registrations', 'GET', '/me/registrations', { user, query });

  test('GET /health checks both databases: 200 {status: "ok"}', async () => {
    const r = await call('health', 'GET', '/health');
    expect(r.statusCode).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ status: 'ok' });
  });

  test('POST /events -> 201 {id, name, capacity, startsAt, registered: 0} (Data API), for organizers only', async () => {
    const event = await newEvent();
    expect(event).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'DevConf', capacity: 3, startsAt: '2026-09-01T07:00:00.000Z', registered: 0 });
    const json = { name: 'Not mine', capacity: 3, startsAt: '2026-09-01T09:00:00Z' };
    const anonymous = await call('events-create', 'POST', '/events', { json });
    expect([anonymous.statusCode, JSON.parse(anonymous.body)]).toEqual([401, { message: 'Unauthorized' }]);
    const notOrganizer = await call('events-create', 'POST', '/events', { json, user: attendee(1) });
    expect([notOrganizer.statusCode, errorOf(notOrganizer)]).toEqual([403, { code: 'forbidden', message: 'Only members of organizers may do this' }]);
  });

  test('POST /events validates name, capacity and startsAt', async () => {
    const r = await call('events-create', 'POST', '/events', { json: { name: '', capacity: 0, startsAt: 'tomorrow' }, user: organizer });
    expect(r.statusCode).toBe(400);
    expect([...new Set(errorOf(r).details!.map((d) => d.path))].sort()).toEqual(['body.capacity', 'body.name', 'body.startsAt']);
  });

  test('startsAt: one clear message for a malformed date-time; no silent loss of precision', async () => {
    const format = 'Must be an ISO-8601 date-time with seconds and a UTC offset, e.g. "2027-05-01T09:00:00Z" or "2027-05-01T11:00:00+02:00"';
    const cases: [string, string][] = [
      ['2027-05-01T25:00:00Z', format],
      ['2027-05-01T09:00:00', format],
      ['2027-05-01', format],
      ['0000-06-01T09:00:00Z', 'Must be a real date between years 0001 and 9999'],
      ['2027-05-01T09:00:00.123456Z', 'At most millisecond precision (3 fraction digits): the API returns milliseconds'],
    ];
    for (const [startsAt, message] of cases) {
      const r = await call('events-create', 'POST', '/events', { json: { name: 'DevConf', capacity: 3, startsAt }, user: organizer });
      expect(r.statusCode).toBe(400);
      expect(errorOf(r).details).toEqual([{ path: 'body.startsAt', message }]);
    }
    const ok = await call('events-create', 'POST', '/events', { json: { name: 'DevConf', capacity: 3, startsAt: '2027-05-01T09:00:00.120+02:00' }, user: organizer });
    expect(JSON.parse(ok.body)).toMatchObject({ startsAt: '2027-05-01T07:00:00.120Z' });
  });

  test('names refuse control characters, bidirectional overrides and unpaired surrogates; a name is trimmed', async () => {
    for (const name of ['a\u0000b', '\ud800x', 'a\u202eb', 'a\nb', 'a\u0085b']) {
      const r = await call('events-create', 'POST', '/events', { json: { name, capacity: 3, startsAt: '2027-05-01T09:00:00Z' }, user: organizer });
      expect(errorOf(r).details).toEqual([{ path: 'body.name', message: TEXT_RULE_MESSAGE }]);
    }
    const event = await newEvent();
    const r = await registerAt(event.id.toUpperCase(), { name: ' Pat ' }, attendee('pat'));
    expect(r.statusCode).toBe(201);
    expect(JSON.parse(r.body)).toMatchObject({ eventId: event.id, name: 'Pat', email: 'apat@example.com' });
  });

  test('GET /events/{id} -> 200 with registered, 404 when unknown or not an id (public)', async () => {
    const event = await newEvent();
    await registerAt(event.id, { name: 'Ann' }, attendee('ann'));
    const r = await call('events-get', 'GET', `/events/${event.id}`, { pathParameters: { id: event.id } });
    expect(r.statusCode).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ id: event.id, registered: 1 });
    for (const id of [randomUUID(), 'not-a-uuid']) {
      const missing = await call('events-get', 'GET', `/events/${id}`, { pathParameters: { id } });
      expect(missing.statusCode).toBe(404);
      expect(errorOf(missing).code).toBe('not_found');
    }
  });

  test('GET /events lists upcoming events soonest first, a page at a time, with their seats taken; started events are not listed (public)', async () => {
    const tag = randomUUID().slice(0, 8);
    const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().replace(/\.\d{3}Z$/, '.000Z');
    const create = async (name: string, startsAt: string) => {
      const r = await call('events-create', 'POST', '/events', { json: { name: `${name} ${tag}`, capacity: 5, startsAt }, user: organizer });
      expect(r.statusCode).toBe(201);
      return JSON.parse(r.body) as { id: string };
    };
    const later = await create('Later', inDays(400));
    const sooner = await create('Sooner', inDays(300));
    const tied = await create('Tied', inDays(300));
    await create('Started', inDays(-1));
    await registerAt(sooner.id, { name: 'Ann' }, attendee(`list-${tag}`));

    const seen: { id: string; name: string; startsAt: string; registered: number; capacity: number }[] = [];
    let cursor: string | null = null;
    do {
      const r = await call('events-list', 'GET', '/events', { query: { limit: '2', ...(cursor ? { cursor } : {}) } });
      expect(r.statusCode).toBe(200);
      const page = JSON.parse(r.body) as { items: typeof seen; nextCursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    const ours = seen.filter((e) => e.name.endsWith(tag));
    const tiedFirst = [sooner.id, tied.id].sort();
    expect(ours.map((e) => e.id)).toEqual([...tiedFirst, later.id]);
    expect(ours.find((e) => e.id === sooner.id)).toMatchObject({ registered: 1, capacity: 5 });
    expect(seen.every((e) => Date.parse(e.startsAt) > Date.now())).toBe(true);
    expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);

    const bad = await call('events-list', 'GET', '/events', { query: { cursor: 'garbage' } });
    expect([bad.statusCode, errorOf(bad).details]).toEqual([400, [{ path: 'query.cursor', message: 'Invalid cursor' }]]);
  });

  test('registering: the email comes from the token, never the body; 401 without a token, 403 with an access token (no email)', async () => {
    const event = await newEvent();
    const r = await registerAt(event.id, { name: 'Ida' }, attendee('ida'));
    expect(JSON.parse(r.body)).toMatchObject({ name: 'Ida', email: 'aida@example.com' });
    const withEmail = await registerAt(event.id, { name: 'Jo', email: 'someone-else@example.com' }, attendee('jo'));
    expect([withEmail.statusCode, errorOf(withEmail).code]).toEqual([400, 'validation_failed']);
    const anonymous = await registerAt(event.id, { name: 'Kim' }, undefined);
    expect([anonymous.statusCode, JSON.parse(anonymous.body)]).toEqual([401, { message: 'Unauthorized' }]);
    const accessToken = await registerAt(event.id, { name: 'Lu' }, { ...attendee('lu'), tokenUse: 'access' });
    expect([accessToken.statusCode, errorOf(accessToken)]).toEqual([403, { code: 'forbidden', message: 'Registering needs an ID token: it carries your verified email' }]);
    const after = await call('events-get', 'GET', `/events/${event.id}`, { pathParameters: { id: event.id } });
    expect(JSON.parse(after.body).registered).toBe(1);
  });

  test('registrations: 201, 409 already_registered (per user, and per email case-insensitively), 409 event_full, 404 unknown event', async () => {
    const event = await newEvent(2);
    const bob: TestUser = { sub: 'sub-bob', email: 'Bob@Example.com' };
    const first = await registerAt(event.id, { name: 'Bob' }, bob);
    expect(first.statusCode).toBe(201);
    expect(JSON.parse(first.body)).toMatchObject({ id: expect.any(String), eventId: event.id, name: 'Bob', email: 'Bob@Example.com' });
    const again = await registerAt(event.id, { name: 'Bobby' }, bob);
    expect([again.statusCode, errorOf(again).code]).toEqual([409, 'already_registered']);
    const sameEmail = await registerAt(event.id, { name: 'Bob 2' }, { sub: 'sub-bob-2', email: 'bob@example.COM' });
    expect([sameEmail.statusCode, errorOf(sameEmail).code]).toEqual([409, 'already_registered']);
    expect((await registerAt(event.id, { name: 'Cy' }, attendee('cy'))).statusCode).toBe(201);
    const full = await registerAt(event.id, { name: 'Di' }, attendee('di'));
    expect([full.statusCode, errorOf(full).code]).toEqual([409, 'event_full']);
    const unknown = await registerAt(randomUUID(), { name: 'Ed' }, attendee('ed'));
    expect(unknown.statusCode).toBe(404);
  });

  test('an event\'s registration list (names and emails) is for organizers only', async () => {
    const event = await newEvent(3);
    const created = JSON.parse((await registerAt(event.id, { name: 'Flo' }, attendee('flo'))).body) as { id: string };
    const list = await listOf(event.id, organizer);
    expect(list.statusCode).toBe(200);
    expect((JSON.parse(list.body) as { items: { id: string }[] }).items.map((i) => i.id)).toEqual([created.id]);
    const asAttendee = await listOf(event.id, attendee('flo'));
    expect([asAttendee.statusCode, errorOf(asAttendee).code]).toEqual([403, 'forbidden']);
    expect((await listOf(event.id, undefined)).statusCode).toBe(401);
    expect((await listOf(randomUUID(), organizer)).statusCode).toBe(404);
  });

  test('a registration is cancelled by its attendee or an organizer, nobody else; the seat is free again', async () => {
    const event = await newEvent(1);
    const gus = attendee('gus');
    const created = JSON.parse((await registerAt(event.id, { name: 'Gus' }, gus)).body) as { id: string };
    const byOther = await cancel(event.id, created.id, attendee('mallory'));
    expect([byOther.statusCode, errorOf(byOther)]).toEqual([403, { code: 'forbidden', message: 'Only the attendee or an organizer may cancel a registration' }]);
    expect((await cancel(event.id, created.id, undefined)).statusCode).toBe(401);
    const own = await cancel(event.id, created.id, gus);
    expect([own.statusCode, own.body]).toEqual([204, '']);
    expect((await cancel(event.id, created.id, gus)).statusCode).toBe(404);
    const second = JSON.parse((await registerAt(event.id, { name: 'Hal' }, attendee('hal'))).body) as { id: string };
    expect((await cancel(event.id, second.id, organizer)).statusCode).toBe(204);
    expect((await registerAt(event.id, { name: 'Ivy' }, attendee('ivy'))).statusCode).toBe(201);
  });

  test('GET /me/registrations lists the caller\'s registrations with their events, a page at a time, and nobody else\'s', async () => {
    const quinn = attendee('quinn');
    const events = [await newEvent(5), await newEvent(5), await newEvent(5)];
    for (const e of events) expect((await registerAt(e.id, { name: 'Quinn' }, quinn)).statusCode).toBe(201);
    await registerAt(events[0]!.id, { name: 'Other' }, attendee('other'));
    const first = await mine(quinn, { limit: '2' });
    const page1 = JSON.parse(first.body) as { items: { eventId: string; eventName: string; startsAt: string; email: string }[]; nextCursor: string | null };
    expect(page1.items).toHaveLength(2);
    expect(page1.items[0]).toMatchObject({ eventName: 'DevConf', startsAt: '2026-09-01T07:00:00.000Z', email: 'aquinn@example.com' });
    const page2 = JSON.parse((await mine(quinn, { limit: '2', cursor: page1.nextCursor! })).body) as typeof page1;
    expect([...page1.items, ...page2.items].map((i) => i.eventId)).toEqual(events.map((e) => e.id));
    expect(page2.nextCursor).toBeNull();
    expect((JSON.parse((await mine(attendee('nobody'))).body) as typeof page1).items).toEqual([]);
    expect((await call('me-registrations', 'GET', '/me/registrations')).statusCode).toBe(401);
  });

  test('GIVEN a 10-seat event WHEN 50 concurrent POST /registrations THEN exactly 10 x 201 and 40 x 409 event_full', async () => {
    const event = await newEvent(10);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => registerAt(event.id, { name: `N${i}` }, attendee(`n${i}`))));
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(10);
    const rejected = results.filter((r) => r.statusCode !== 201);
    expect(rejected.map((r) => `${r.statusCode} ${errorOf(r).code}`)).toEqual(Array(40).fill('409 event_full'));
    const r = await call('events-get', 'GET', `/events/${event.id}`, { pathParameters: { id: event.id } });
    expect(JSON.parse(r.body).registered).toBe(10);
  });
});
