/**
 * The local Data API endpoint, driven by the real @aws-sdk/client-rds-data
 * client against the embedded Postgres.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  BatchExecuteStatementCommand,
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  RDSDataClient,
  RollbackTransactionCommand,
  type SqlParameter,
} from '@aws-sdk/client-rds-data';
import { rewritePlaceholders } from '../../functions/lib/data/sql';
import { startDataApiServer, type DataApiServer } from '../../scripts/local/data-api';
import { startPostgres, type LocalPostgres } from '../../scripts/local/postgres';

let dir: string;
let pg: LocalPostgres;
let api: DataApiServer;
let client: RDSDataClient;

const arns = {
  resourceArn: 'arn:aws:rds:eu-west-1:000000000000:cluster:sps-dev',
  secretArn: 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:sps-dev-db',
  database: 'app',
};

const exec = (sql: string, parameters?: SqlParameter[], extra: Record<string, unknown> = {}) =>
  client.send(new ExecuteStatementCommand({ ...arns, sql, parameters, ...extra }));

async function failure(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sps-test-data-api-'));
  await fs.chmod(dir, 0o755);
  pg = await startPostgres({ dataDir: path.join(dir, 'postgres') });
  api = await startDataApiServer({ pg });
  client = new RDSDataClient({
    endpoint: api.url,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  await exec(`CREATE TABLE items (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    qty int NOT NULL DEFAULT 0,
    big bigint,
    price numeric(10,2),
    ratio double precision,
    active boolean,
    at timestamptz,
    day date,
    doc jsonb,
    raw bytea,
    tags text[]
  )`);
});

afterAll(async () => {
  client?.destroy();
  await api?.close();
  await pg?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('ExecuteStatement', () => {
  const id = '6f1c1e8e-4a52-4c1e-9a43-0b8f0c1d2e3f';

  test('binds typed parameters with type hints and returns Field unions', async () => {
    const insert = await exec(
      'INSERT INTO items (id, name, qty, big, price, ratio, active, at, day, doc, raw, tags) VALUES (:id, :name, :qty, :big, :price, :ratio, :active, :at, :day, :doc, :raw, ARRAY[:name, \'x\']) RETURNING id',
      [
        { name: 'id', value: { stringValue: id }, typeHint: 'UUID' },
        { name: 'name', value: { stringValue: "O'Brien" } },
        { name: 'qty', value: { longValue: 3 } },
        { name: 'big', value: { longValue: 9007199254740991 } },
        { name: 'price', value: { stringValue: '12.50' }, typeHint: 'DECIMAL' },
        { name: 'ratio', value: { doubleValue: 0.25 } },
        { name: 'active', value: { booleanValue: true } },
        { name: 'at', value: { stringValue: '2026-01-02 03:04:05.678' }, typeHint: 'TIMESTAMP' },
        { name: 'day', value: { stringValue: '2026-01-02' }, typeHint: 'DATE' },
        { name: 'doc', value: { stringValue: '{"a":[1,2]}' }, typeHint: 'JSON' },
        { name: 'raw', value: { blobValue: new Uint8Array([0, 1, 255]) } },
      ],
    );
    expect(insert.numberOfRecordsUpdated).toBe(1);
    expect(insert.records).toEqual([[{ stringValue: id }]]);

    const res = await exec('SELECT name, qty, big, price, ratio, active, at, day, doc, raw, tags, NULL AS nothing FROM items WHERE id = :id', [
      { name: 'id', value: { stringValue: id }, typeHint: 'UUID' },
    ]);
    expect(res.numberOfRecordsUpdated).toBe(0);
    const [row] = res.records!;
    expect(row!.slice(0, 9)).toEqual([
      { stringValue: "O'Brien" },
      { longValue: 3 },
      { longValue: 9007199254740991 },
      { stringValue: '12.50' },
      { doubleValue: 0.25 },
      { booleanValue: true },
      { stringValue: '2026-01-02 03:04:05.678' },
      { stringValue: '2026-01-02' },
      { stringValue: '{"a": [1, 2]}' },
    ]);
    expect(Buffer.from(row![9]!.blobValue!)).toEqual(Buffer.from([0, 1, 255]));
    expect(row![10]).toEqual({ arrayValue: { stringValues: ["O'Brien", 'x'] } });
    expect(row![11]).toEqual({ isNull: true });
  });

  test('returns formattedRecords as JSON and columnMetadata on request', async () => {
    const res = await exec('SELECT name, qty, price FROM items WHERE id = :id', [{ name: 'id', value: { stringValue: id }, typeHint: 'UUID' }], {
      formatRecordsAs: 'JSON',
      includeResultMetadata: true,
    });
    expect(res.records).toBeUndefined();
    expect(JSON.parse(res.formattedRecords!)).toEqual([{ name: "O'Brien", qty: 3, price: '12.50' }]);
    expect(res.columnMetadata!.map((c) => [c.name, c.typeName])).toEqual([
      ['name', 'text'],
      ['qty', 'int4'],
      ['price', 'numeric'],
    ]);
  });

  test('counts updated rows', async () => {
    const res = await exec('UPDATE items SET qty = qty + :n WHERE name = :name', [
      { name: 'n', value: { longValue: 1 } },
      { name: 'name', value: { stringValue: "O'Brien" } },
    ]);
    expect(res.numberOfRecordsUpdated).toBe(1);
    expect(res.records).toBeUndefined();
  });

  test('binds strings as varchar without a hint, as the service does', async () => {
    const err = await failure(exec('INSERT INTO items (id, name) VALUES (:id, :name)', [
      { name: 'id', value: { stringValue: id } },
      { name: 'name', value: { stringValue: 'x' } },
    ]));
    expect(err.name).toBe('DatabaseErrorException');
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/column "id" is of type uuid but expression is of type character varying.*SQLState: 42804/s);
  });

  test('reports SQL errors with the SQLState, and constraint violations with their detail', async () => {
    const dup = await failure(exec('INSERT INTO items (id, name) VALUES (:id, :name)', [
      { name: 'id', value: { stringValue: id }, typeHint: 'UUID' },
      { name: 'name', value: { stringValue: 'dup' } },
    ]));
    expect(dup.name).toBe('DatabaseErrorException');
    expect(dup.message).toMatch(/duplicate key value violates unique constraint "items_pkey"[\s\S]*SQLState: 23505$/);
    const syntax = await failure(exec('SELEC 1'));
    expect(syntax.message).toMatch(/syntax error.*SQLState: 42601/s);
  });

  test('rejects calls it cannot bind with BadRequestException', async () => {
    expect(await failure(exec('SELECT :missing'))).toMatchObject({ name: 'BadRequestException', status: 400 });
    const ts = await failure(exec('SELECT :at', [{ name: 'at', value: { stringValue: '2026-01-02T03:04:05Z' }, typeHint: 'TIMESTAMP' }]));
    expect(ts.name).toBe('BadRequestException');
    expect(ts.message).toMatch(/YYYY-MM-DD HH:MM:SS/);
  });

  test('does not treat casts, literals, quoted identifiers or comments as parameters', async () => {
    const res = await exec(`SELECT ':not' AS "a:b", :x::int + 1 AS n, $$ :nor $$ AS d -- :comment
      /* :block */`, [{ name: 'x', value: { longValue: 41 } }]);
    expect(res.records).toEqual([[{ stringValue: ':not' }, { longValue: 42 }, { stringValue: ' :nor ' }]]);
    expect(rewritePlaceholders("SELECT :a, :a, E'\\':b', :c").names).toEqual(['a', 'c']);
  });
});

describe('transactions', () => {
  test('a transaction runs on its own connection: invisible until committed', async () => {
    const { transactionId } = await client.send(new BeginTransactionCommand(arns));
    expect(transactionId).toBeTruthy();
    await exec("INSERT INTO items (id, name) VALUES (gen_random_uuid(), 'tx-commit')", undefined, { transactionId });
    const outside = await exec("SELECT count(*) FROM items WHERE name = 'tx-commit'");
    expect(outside.records).toEqual([[{ longValue: 0 }]]);
    const commit = await client.send(new CommitTransactionCommand({ ...arns, transactionId }));
    expect(commit.transactionStatus).toBe('Transaction Committed');
    const after = await exec("SELECT count(*) FROM items WHERE name = 'tx-commit'");
    expect(after.records).toEqual([[{ longValue: 1 }]]);
    expect(api.openTransactions()).toBe(0);
  });

  test('a rolled back transaction leaves nothing', async () => {
    const { transactionId } = await client.send(new BeginTransactionCommand(arns));
    await exec("INSERT INTO items (id, name) VALUES (gen_random_uuid(), 'tx-rollback')", undefined, { transactionId });
    const rb = await client.send(new RollbackTransactionCommand({ ...arns, transactionId }));
    expect(rb.transactionStatus).toBe('Rollback Complete');
    expect((await exec("SELECT count(*) FROM items WHERE name = 'tx-rollback'")).records).toEqual([[{ longValue: 0 }]]);
  });

  test('row locks hold across calls of one transaction', async () => {
    const { transactionId } = await client.send(new BeginTransactionCommand(arns));
    await exec("SELECT * FROM items WHERE name = 'tx-commit' FOR UPDATE", undefined, { transactionId });
    const blocked = exec("UPDATE items SET qty = 7 WHERE name = 'tx-commit'").then(() => Date.now());
    await new Promise((r) => setTimeout(r, 300));
    const committedAt = Date.now();
    await client.send(new CommitTransactionCommand({ ...arns, transactionId }));
    expect(await blocked).toBeGreaterThanOrEqual(committedAt);
  });

  test('an unknown transaction id is TransactionNotFoundException', async () => {
    const err = await failure(exec('SELECT 1', undefined, { transactionId: 'nope' }));
    expect(err.name).toBe('TransactionNotFoundException');
    const commit = await failure(client.send(new CommitTransactionCommand({ ...arns, transactionId: 'nope' })));
    expect(commit.name).toBe('TransactionNotFoundException');
  });
});

describe('BatchExecuteStatement', () => {
  test('runs the statement once per parameter set, atomically', async () => {
    const set = (name: string): SqlParameter[] => [{ name: 'name', value: { stringValue: name } }];
    const res = await client.send(
      new BatchExecuteStatementCommand({
        ...arns,
        sql: 'INSERT INTO items (id, name) VALUES (gen_random_uuid(), :name)',
        parameterSets: [set('batch-1'), set('batch-2')],
      }),
    );
    expect(res.updateResults).toHaveLength(2);
    expect((await exec("SELECT count(*) FROM items WHERE name LIKE 'batch-%'")).records).toEqual([[{ longValue: 2 }]]);

    const bad = await failure(
      client.send(
        new BatchExecuteStatementCommand({
          ...arns,
          sql: 'INSERT INTO items (id, name) VALUES (gen_random_uuid(), :name)',
          parameterSets: [set('batch-3'), [{ name: 'name', value: { isNull: true } }]],
        }),
      ),
    );
    expect(bad.name).toBe('DatabaseErrorException');
    expect((await exec("SELECT count(*) FROM items WHERE name = 'batch-3'")).records).toEqual([[{ longValue: 0 }]]);
  });
});

describe('database down', () => {
  test('a call while Postgres is stopped is DatabaseUnavailableException, promptly', async () => {
    await pg.stop();
    const started = Date.now();
    const err = await failure(exec('SELECT 1'));
    expect(err).toMatchObject({ name: 'DatabaseUnavailableException', status: 504 });
    expect(Date.now() - started).toBeLessThan(6000);
  });
});
