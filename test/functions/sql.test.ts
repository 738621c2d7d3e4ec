/**
 * The SQL layer for real, on an embedded PostgreSQL 17 behind the local RDS
 * Proxy emulator: both adapters as the application role (pg through the proxy
 * with IAM tokens and TLS; the Data API through the real
 * @aws-sdk/client-rds-data client and the role's secret), the migration runner
 * as the master user, the role's limits and rights, the events/registrations
 * handlers, and capacity under concurrency.
 */
import { randomUUID } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { APP_ROLE_SETTINGS, grantAppRole } from '../../functions/lib/data/app-role';
import { createDataApiDatabase } from '../../functions/lib/data/data-api';
import { DataUnavailableError, SqlError } from '../../functions/lib/data/errors';
import { createPgDatabase, proxyOptionsFromEnv } from '../../functions/lib/data/proxy';
import { sqlParam, type Database } from '../../functions/lib/data/sql';
import { createEvent, register } from '../../functions/lib/domain/events';
import { AppError } from '../../functions/lib/http/errors';
import { MigrationError, runMigrations, type Migration } from '../../functions/lib/migrations';
import { migrations } from '../../functions/migrations/bundle';
import { routes, tasks } from '../../functions/registry';
import type { FunctionDefinition } from '../../functions/registry-types';
import { startLocalServices, type InvokeInit, type LocalServices } from '../../functions/testing';
import { freePort } from '../../scripts/local/postgres';
import { errorOf, expectValidProxyResult } from './assertions';
import { captureLogs } from './events';
import { TEXT_RULE_MESSAGE } from '../../functions/lib/domain/text';

const SQL_ROUTES = ['events-create', 'events-get', 'registrations-create', 'registrations-list', 'registrations-delete', 'health'];
const SQL_DEFS: Record<string, FunctionDefinition> = Object.fromEntries(routes.map((r) => [r.name, r]));

let local: LocalServices;
/** The master user through the proxy, as the migrate task logs in (DDL, other databases). */
let masterDb: Database;
/** The master user on a database of its own, for the migration runner's tests. */
let runnerDb: Database;
/** The application role through the proxy, as every route logs in. */
let proxyDb: Database;
/** The application role through the Data API, with its secret. */
let dataApiDb: Database;
let masterEnv: Record<string, string>;
const logs = captureLogs();

beforeAll(async () => {
  local = await startLocalServices({ functions: SQL_ROUTES });
  masterEnv = local.cloud.environmentOf(tasks.find((t) => t.name === 'migrate')!);
  masterDb = createPgDatabase({ ...proxyOptionsFromEnv(masterEnv), max: 5 });
  await masterDb.query('CREATE DATABASE migrations_test');
  runnerDb = createPgDatabase({ ...proxyOptionsFromEnv({ ...masterEnv, DB_NAME: 'migrations_test' }), max: 5 });
  // A table of the app's for the adapter tests: created by the owner, granted as the migrate task grants.
  await masterDb.query('CREATE TABLE counter_test (k text PRIMARY KEY, v int NOT NULL)');
  await grantAppRole(masterDb, masterEnv.APP_DB_USER!, masterEnv.DB_NAME!);
  proxyDb = createPgDatabase({ ...proxyOptionsFromEnv(local.environment), max: 5 });
  dataApiDb = createDataApiDatabase({ resourceArn: local.environment.DB_CLUSTER_ARN!, secretArn: local.environment.DB_SECRET_ARN!, database: local.environment.DB_NAME! });
}, 120_000);

afterAll(async () => {
  logs.restore();
  await Promise.all([proxyDb, masterDb, runnerDb].map((db) => db?.close()));
  await local?.stop();
}, 60_000);

describe('migrations', () => {
  test('GIVEN three concurrent runners WHEN they start together THEN each migration is applied exactly once', async () => {
    const runs = await Promise.all([runMigrations(runnerDb, migrations), runMigrations(runnerDb, migrations), runMigrations(runnerDb, migrations)]);
    const applied = runs.flatMap((r) => r.applied).sort();
    expect(applied).toEqual(migrations.map((m) => m.name));
    for (const run of runs) expect([...run.applied, ...run.skipped].sort()).toEqual(migrations.map((m) => m.name));
    const { rows } = await runnerDb.query<{ name: string; checksum: string }>('SELECT name, checksum FROM schema_migrations ORDER BY name');
    expect(rows.map((r) => r.name)).toEqual(migrations.map((m) => m.name));
    expect(rows[0]!.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  test('a second run applies nothing', async () => {
    expect(await runMigrations(runnerDb, migrations)).toEqual({ applied: [], skipped: migrations.map((m) => m.name) });
  });

  test('fails when an applied migration was edited', async () => {
    const edited: Migration[] = migrations.map((m, i) => (i === 0 ? { ...m, sql: `${m.sql}\n-- edited` } : m));
    await expect(runMigrations(runnerDb, edited)).rejects.toThrow(/0001_events_and_registrations\.sql was changed after it was applied/);
  });

  test('applies a new migration in its own transaction; a failing one changes nothing', async () => {
    const good: Migration = { name: '0901_test_table.sql', sql: 'CREATE TABLE mig_test (id int PRIMARY KEY);\nINSERT INTO mig_test VALUES (1);' };
    const bad: Migration = { name: '0902_broken.sql', sql: 'CREATE TABLE mig_broken (id int);\nSELECT no_such_function();' };
    await expect(runMigrations(runnerDb, [...migrations, good, bad])).rejects.toThrow(MigrationError);
    const tables = await runnerDb.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE tablename LIKE 'mig_%' ORDER BY 1");
    expect(tables.rows.map((r) => r.t)).toEqual(['mig_test']);
    const recorded = await runnerDb.query('SELECT 1 FROM schema_migrations WHERE name = :name', { name: '0902_broken.sql' });
    expect(recorded.rowCount).toBe(0);
  });

  test('fails on a badly named or out-of-order migration', async () => {
    await expect(runMigrations(runnerDb, [{ name: '1_x.sql', sql: '' }])).rejects.toThrow(/NNNN_lower_snake_case/);
    await expect(runMigrations(runnerDb, [{ name: '0002_b.sql', sql: '' }, { name: '0001_a.sql', sql: '' }])).rejects.toThrow(/out of order/);
  });
});

describe.each([
  ['proxy (pg)', () => proxyDb],
  ['data-api', () => dataApiDb],
])('%s adapter', (_name, db) => {
  test('returns typed rows: ints, bigints, numerics, json, uuids, timestamps, dates, bytea, nulls', async () => {
    const u = randomUUID();
    const { rows } = await db().query(
      `SELECT 1::int4 AS i, 9007199254740991::int8 AS big, 1.5::float8 AS f, 12.50::numeric(10,2) AS n, true AS b,
              'it''s :not_a_param'::text AS t, :u::uuid AS u, '{"a":[1,"x"]}'::jsonb AS j,
              '2026-01-02T03:04:05.678Z'::timestamptz AS ts, '2026-01-02'::date AS d, NULL::text AS nul,
              count(*) AS c`,
      { u: sqlParam.uuid(u) },
    );
    expect(rows).toEqual([
      { i: 1, big: 9007199254740991, f: 1.5, n: '12.50', b: true, t: "it's :not_a_param", u, j: { a: [1, 'x'] }, ts: '2026-01-02T03:04:05.678Z', d: '2026-01-02', nul: null, c: 1 },
    ]);
  });

  test('sends parameters with type hints: uuid, json, decimal, date, timestamp, Date, bigint, boolean, null', async () => {
    const u = randomUUID();
    const { rows } = await db().query(
      `SELECT :u::uuid AS u, :j::jsonb AS j, :dec::numeric AS dec, :d::date AS d, :ts::timestamptz AS ts, :when::timestamptz AS "when",
              :big::int8 AS big, :flag::boolean AS flag, :nothing::text AS nothing, :f::float8 AS f, :s::text AS s, :s::text AS s2`,
      {
        u: sqlParam.uuid(u),
        j: sqlParam.json({ k: 'v', n: [1, 2] }),
        dec: sqlParam.decimal('1234567890.12345'),
        d: sqlParam.date('2026-03-04'),
        ts: sqlParam.timestamp('2026-03-04T05:06:07.089+02:00'),
        when: new Date('2026-03-04T05:06:07.089Z'),
        big: 42n,
        flag: false,
        nothing: null,
        f: 0.25,
        s: "O'Brien :x",
      },
    );
    expect(rows[0]).toEqual({
      u,
      j: { k: 'v', n: [1, 2] },
      dec: '1234567890.12345',
      d: '2026-03-04',
      ts: '2026-03-04T03:06:07.089Z',
      when: '2026-03-04T05:06:07.089Z',
      big: 42,
      flag: false,
      nothing: null,
      f: 0.25,
      s: "O'Brien :x",
      s2: "O'Brien :x",
    });
  });

  test('rowCount counts changed rows', async () => {
    const k = randomUUID();
    await db().query('INSERT INTO counter_test (k, v) VALUES (:k, 1)', { k });
    const updated = await db().query('UPDATE counter_test SET v = v + 1 WHERE k = :k', { k });
    expect(updated.rowCount).toBe(1);
    const none = await db().query('UPDATE counter_test SET v = v + 1 WHERE k = :k', { k: 'missing' });
    expect(none.rowCount).toBe(0);
  });

  test('transactions commit, and roll back when the function throws', async () => {
    const k = randomUUID();
    await db().transaction(async (tx) => {
      await tx.query('INSERT INTO counter_test (k, v) VALUES (:k, 1)', { k });
      await tx.query('UPDATE counter_test SET v = 2 WHERE k = :k', { k });
    });
    expect((await db().query('SELECT v FROM counter_test WHERE k = :k', { k })).rows).toEqual([{ v: 2 }]);
    await expect(
      db().transaction(async (tx) => {
        await tx.query('UPDATE counter_test SET v = 3 WHERE k = :k', { k });
        throw new AppError(409, 'nope', 'nope');
      }),
    ).rejects.toMatchObject({ code: 'nope' });
    expect((await db().query('SELECT v FROM counter_test WHERE k = :k', { k })).rows).toEqual([{ v: 2 }]);
  });

  test('a failing statement is a SqlError with its SQLSTATE', async () => {
    const k = randomUUID();
    await db().query('INSERT INTO counter_test (k, v) VALUES (:k, 1)', { k });
    const err = await db()
      .query('INSERT INTO counter_test (k, v) VALUES (:k, 1)', { k })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SqlError);
    expect((err as SqlError).code).toBe('23505');
  });

  test('fails loudly on a missing or unused parameter', async () => {
    await expect(db().query('SELECT :a::int AS a', {})).rejects.toThrow(/:a has no value/);
    await expect(db().query('SELECT 1 AS a', { b: 1 })).rejects.toThrow(/"b" is not used/);
  });

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

describe('the application role (every route logs in as it)', () => {
  test('carries the server-side limits RDS Proxy refuses as startup parameters', async () => {
    for (const db of [proxyDb, dataApiDb]) {
      const { rows } = await db.query<{ who: string; st: string; idle: string }>(
        "SELECT current_user AS who, current_setting('statement_timeout') AS st, current_setting('idle_in_transaction_session_timeout') AS idle",
      );
      expect(rows[0]).toEqual({ who: 'app_user', st: APP_ROLE_SETTINGS.statement_timeout, idle: APP_ROLE_SETTINGS.idle_in_transaction_session_timeout });
    }
  });

  test.each([
    ['proxy', () => proxyDb],
    ['data-api', () => dataApiDb],
  ])('%s: cannot drop or change a table, create one, use temporary tables, or read another schema or the migration ledger', async (_name, db) => {
    await masterDb.query('CREATE SCHEMA IF NOT EXISTS internal');
    await masterDb.query('CREATE TABLE IF NOT EXISTS internal.audit (id int)');
    for (const sql of [
      'DROP TABLE registrations',
      'ALTER TABLE events ADD COLUMN x int',
      'TRUNCATE events',
      'CREATE TABLE mine (id int)',
      'CREATE TEMP TABLE scratch (id int)',
      'SELECT * FROM internal.audit',
      'SELECT * FROM schema_migrations',
    ]) {
      const err = await db()
        .query(sql)
        .catch((e: unknown) => e);
      expect([sql, err instanceof SqlError ? err.code : err]).toEqual([sql, '42501']);
    }
    expect((await db().query<{ n: number }>('SELECT count(*)::int AS n FROM events')).rows[0]!.n).toBeGreaterThanOrEqual(0);
  });

  test('no function reads the master secret; only the migrate task writes the application secret', async () => {
    const { masterSecretArn, appSecretArn } = local.cloud;
    const client = (env: Record<string, string>) =>
      new SecretsManagerClient({
        region: env.AWS_REGION,
        endpoint: local.cloud.secretsEndpoint.url,
        credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY!, sessionToken: env.AWS_SESSION_TOKEN },
        maxAttempts: 1,
      });
    const read = (env: Record<string, string>, arn: string) =>
      client(env)
        .send(new GetSecretValueCommand({ SecretId: arn }))
        .then(() => 'allowed', (e: Error) => e.name);
    const route = (name: string) => local.cloud.environmentOf(SQL_DEFS[name]!);
    expect(await read(route('registrations-create'), masterSecretArn)).toBe('AccessDeniedException');
    expect(await read(route('registrations-create'), appSecretArn)).toBe('AccessDeniedException');
    expect(await read(route('events-get'), masterSecretArn)).toBe('AccessDeniedException');
    expect(await read(route('events-get'), appSecretArn)).toBe('allowed'); // the Data API reads it with the caller's rights
    expect(await read(masterEnv, masterSecretArn)).toBe('AccessDeniedException');
    expect(await read(masterEnv, appSecretArn)).toBe('allowed');
    // The Data API refuses the master secret to a function.
    const viaMaster = createDataApiDatabase({ resourceArn: local.environment.DB_CLUSTER_ARN!, secretArn: masterSecretArn, database: 'app' });
    await expect(viaMaster.query('SELECT 1')).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});

describe('unreachable databases', () => {
  test('pg: connection refused is DataUnavailableError (then 503), not a hang', async () => {
    const dead = createPgDatabase({ host: '127.0.0.1', port: await freePort(), user: 'x', database: 'x', password: 'x', ssl: false, connectionTimeoutMillis: 1000 });
    await expect(dead.query('SELECT 1')).rejects.toBeInstanceOf(DataUnavailableError);
    await expect(dead.transaction(async () => 1)).rejects.toBeInstanceOf(DataUnavailableError);
    await dead.close();
  });

  test('pg: a query over the client-side timeout fails (DataUnavailableError) and the pool keeps working', async () => {
    const db = createPgDatabase({ ...proxyOptionsFromEnv(local.environment), max: 1, readTimeoutMs: 200, writeTimeoutMs: 200 });
    await expect(db.query('SELECT pg_sleep(2)')).rejects.toBeInstanceOf(DataUnavailableError);
    expect((await db.query<{ ok: number }>('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    await db.close();
  });

  test('pg: a connection killed by the server does not wedge the pool', async () => {
    const db = createPgDatabase({ ...proxyOptionsFromEnv(local.environment), max: 1 });
    const { rows } = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await masterDb.query('SELECT pg_terminate_backend(:pid::int)', { pid: rows[0]!.pid });
    await new Promise((r) => setTimeout(r, 100));
    // The dead idle client was discarded (pool error handler): the next query gets a fresh one.
    await db.query('SELECT 1').catch(() => undefined);
    expect((await db.query<{ ok: number }>('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    await db.close();
  });

  test('data-api: an unreachable endpoint is DataUnavailableError', async () => {
    const client = new RDSDataClient({ endpoint: `http://127.0.0.1:${await freePort()}`, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
    const db = createDataApiDatabase({ resourceArn: 'arn:x', secretArn: 'arn:y', database: 'app', client });
    await expect(db.query('SELECT 1')).rejects.toBeInstanceOf(DataUnavailableError);
    client.destroy();
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
