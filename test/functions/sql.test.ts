/**
 * The SQL layer for real, on an embedded PostgreSQL 17 behind the local RDS
 * Proxy emulator, with the fixture app's functions (test/fixtures) and the
 * platform's migrate task: both adapters as the application role (pg through
 * the proxy with IAM tokens and TLS; the Data API through the real
 * @aws-sdk/client-rds-data client and the role's secret), the migration runner
 * as the master user on fixture migrations, the role's limits and rights. The
 * example app's SQL handlers are tested in test/app/functions/events.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { APP_ROLE_SETTINGS, grantAppRole } from '../../functions/lib/data/app-role';
import { createDataApiDatabase } from '../../functions/lib/data/data-api';
import { DataUnavailableError, SqlError } from '../../functions/lib/data/errors';
import { createPgDatabase, proxyOptionsFromEnv } from '../../functions/lib/data/proxy';
import { sqlParam, type Database } from '../../functions/lib/data/sql';
import { AppError } from '../../functions/lib/http/errors';
import { MigrationError, runMigrations, type Migration } from '../../functions/lib/migrations';
import type { FunctionDefinition } from '../../functions/registry-types';
import { startLocalServices, type LocalServices } from '../../functions/testing';
import { freePort } from '../../scripts/local/postgres';
import { configFor } from '../fixtures/environments';
import { fixtureFunctionsDir, fixtureRoutes, fixtureTables, migrateTask } from '../fixtures/registry';
import { captureLogs } from './events';

/** A route through the proxy and one on the Data API, in one process: the union of their grants. */
const SQL_ROUTES = ['registrations-create', 'events-get'];
const SQL_DEFS: Record<string, FunctionDefinition> = Object.fromEntries(fixtureRoutes.map((r) => [r.name, r]));

/** The migration runner's tests run these, on a database of their own. */
const migrations: Migration[] = [
  { name: '0001_items.sql', sql: 'CREATE TABLE items (id uuid PRIMARY KEY, name text NOT NULL);' },
  { name: '0002_item_tags.sql', sql: 'CREATE TABLE item_tags (item_id uuid NOT NULL REFERENCES items (id), tag text NOT NULL);' },
];

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
  local = await startLocalServices({
    functions: SQL_ROUTES,
    routes: fixtureRoutes,
    tasks: [migrateTask],
    tables: fixtureTables,
    functionsDir: fixtureFunctionsDir,
    config: configFor('dev'),
  });
  masterEnv = local.cloud.environmentOf(migrateTask);
  masterDb = createPgDatabase({ ...proxyOptionsFromEnv(masterEnv), max: 5 });
  await masterDb.query('CREATE DATABASE migrations_test');
  runnerDb = createPgDatabase({ ...proxyOptionsFromEnv({ ...masterEnv, DB_NAME: 'migrations_test' }), max: 5 });
  // A table of the app's for the adapter and role tests: created by the owner, granted as the migrate task grants.
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
    await expect(runMigrations(runnerDb, edited)).rejects.toThrow(/0001_items\.sql was changed after it was applied/);
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
      'DROP TABLE counter_test',
      'ALTER TABLE counter_test ADD COLUMN x int',
      'TRUNCATE counter_test',
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
    expect((await db().query<{ n: number }>('SELECT count(*)::int AS n FROM counter_test')).rows[0]!.n).toBeGreaterThanOrEqual(0);
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
