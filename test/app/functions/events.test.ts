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
import { startLocalServices, type InvokeInit, type LocalServices } from '../../../functions/testing';
import { errorOf, expectValidProxyResult } from '../../functions/assertions';
import { captureLogs } from '../../functions/events';

const SQL_ROUTES = ['events-create', 'events-get', 'registrations-create', 'registrations-list', 'registrations-delete', 'health'];

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
        register(db(), event.id, { name: `P${i}`, email: `p${i}@example.com` }).then(
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
    expectValidProxyResult(r);
    return r;
  };

  const newEvent = async (capacity = 3) => {
    const r = await call('events-create', 'POST', '/events', { json: { name: 'DevConf', capacity, startsAt: '2026-09-01T09:00:00+02:00' } });
    expect(r.statusCode).toBe(201);
    return JSON.parse(r.body) as { id: string; name: string; capacity: number; startsAt: string; registered: number };
  };
  const registerAt = (id: string, json: unknown) =>
    call('registrations-create', 'POST', `/events/${id}/registrations`, { pathParameters: { id }, json });

  test('GET /health checks both databases: 200 {status: "ok"}', async () => {
    const r = await call('health', 'GET', '/health');
    expect(r.statusCode).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ status: 'ok' });
  });

  test('POST /events -> 201 {id, name, capacity, startsAt, registered: 0} (Data API)', async () => {
    const event = await newEvent();
    expect(event).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'DevConf', capacity: 3, startsAt: '2026-09-01T07:00:00.000Z', registered: 0 });
  });

  test('POST /events validates name, capacity and startsAt', async () => {
    const r = await call('events-create', 'POST', '/events', { json: { name: '', capacity: 0, startsAt: 'tomorrow' } });
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
      const r = await call('events-create', 'POST', '/events', { json: { name: 'DevConf', capacity: 3, startsAt } });
      expect(r.statusCode).toBe(400);
      expect(errorOf(r).details).toEqual([{ path: 'body.startsAt', message }]);
    }
    const ok = await call('events-create', 'POST', '/events', { json: { name: 'DevConf', capacity: 3, startsAt: '2027-05-01T09:00:00.120+02:00' } });
    expect(JSON.parse(ok.body)).toMatchObject({ startsAt: '2027-05-01T07:00:00.120Z' });
  });

  test('names refuse NUL and unpaired surrogates; an email is trimmed like a name', async () => {
    for (const name of ['a\u0000b', '\ud800x', 'a\u202eb', 'a\nb', 'a\u0085b']) {
      const r = await call('events-create', 'POST', '/events', { json: { name, capacity: 3, startsAt: '2027-05-01T09:00:00Z' } });
      expect(errorOf(r).details).toEqual([{ path: 'body.name', message: TEXT_RULE_MESSAGE }]);
    }
    const event = await newEvent();
    const r = await registerAt(event.id.toUpperCase(), { name: ' Pat ', email: '  pat@example.com ' });
    expect(r.statusCode).toBe(201);
    expect(JSON.parse(r.body)).toMatchObject({ eventId: event.id, name: 'Pat', email: 'pat@example.com' });
  });

  test('GET /events/{id} -> 200 with registered, 404 when unknown or not an id', async () => {
    const event = await newEvent();
    await registerAt(event.id, { name: 'Ann', email: 'ann@example.com' });
    const r = await call('events-get', 'GET', `/events/${event.id}`, { pathParameters: { id: event.id } });
    expect(r.statusCode).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ id: event.id, registered: 1 });
    for (const id of [randomUUID(), 'not-a-uuid']) {
      const missing = await call('events-get', 'GET', `/events/${id}`, { pathParameters: { id } });
      expect(missing.statusCode).toBe(404);
      expect(errorOf(missing).code).toBe('not_found');
    }
  });

  test('registrations: 201, 409 already_registered (case-insensitive), 409 event_full, 404 unknown event', async () => {
    const event = await newEvent(2);
    const first = await registerAt(event.id, { name: 'Bob', email: 'Bob@Example.com' });
    expect(first.statusCode).toBe(201);
    expect(JSON.parse(first.body)).toMatchObject({ id: expect.any(String), eventId: event.id, name: 'Bob', email: 'Bob@Example.com' });
    const dup = await registerAt(event.id, { name: 'Bobby', email: 'bob@example.COM' });
    expect(dup.statusCode).toBe(409);
    expect(errorOf(dup).code).toBe('already_registered');
    expect((await registerAt(event.id, { name: 'Cy', email: 'cy@example.com' })).statusCode).toBe(201);
    const full = await registerAt(event.id, { name: 'Di', email: 'di@example.com' });
    expect(full.statusCode).toBe(409);
    expect(errorOf(full).code).toBe('event_full');
    const unknown = await registerAt(randomUUID(), { name: 'Ed', email: 'ed@example.com' });
    expect(unknown.statusCode).toBe(404);
    const invalid = await registerAt(event.id, { name: 'Ed', email: 'not-an-email' });
    expect(errorOf(invalid).code).toBe('validation_failed');
  });

  test('GET /events/{id}/registrations -> 200 {items}; DELETE -> 204 then 404 and the seat is free again', async () => {
    const event = await newEvent(1);
    const created = JSON.parse((await registerAt(event.id, { name: 'Flo', email: 'flo@example.com' })).body) as { id: string };
    const list = await call('registrations-list', 'GET', `/events/${event.id}/registrations`, { pathParameters: { id: event.id } });
    expect(list.statusCode).toBe(200);
    expect((JSON.parse(list.body) as { items: { id: string }[] }).items.map((i) => i.id)).toEqual([created.id]);
    const del = () =>
      call('registrations-delete', 'DELETE', `/events/${event.id}/registrations/${created.id}`, { pathParameters: { id: event.id, registrationId: created.id } });
    const first = await del();
    expect(first.statusCode).toBe(204);
    expect(first.body).toBe('');
    expect((await del()).statusCode).toBe(404);
    expect((await registerAt(event.id, { name: 'Gus', email: 'gus@example.com' })).statusCode).toBe(201);
    const unknownList = await call('registrations-list', 'GET', `/events/${randomUUID()}/registrations`, { pathParameters: { id: randomUUID() } });
    expect(unknownList.statusCode).toBe(404);
  });

  test('GIVEN a 10-seat event WHEN 50 concurrent POST /registrations THEN exactly 10 x 201 and 40 x 409 event_full', async () => {
    const event = await newEvent(10);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => registerAt(event.id, { name: `N${i}`, email: `n${i}@example.com` })));
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(10);
    const rejected = results.filter((r) => r.statusCode !== 201);
    expect(rejected.map((r) => `${r.statusCode} ${errorOf(r).code}`)).toEqual(Array(40).fill('409 event_full'));
    const r = await call('events-get', 'GET', `/events/${event.id}`, { pathParameters: { id: event.id } });
    expect(JSON.parse(r.body).registered).toBe(10);
  });
});
