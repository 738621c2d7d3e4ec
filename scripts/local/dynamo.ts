/**
 * Embedded DynamoDB (dynalite) persisted on LevelDB, with the tables of
 * functions/tables.ts created as the infrastructure creates them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { tables, type TableDefinition } from '../../functions/tables';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (options: Record<string, unknown>) => http.Server;

export interface LocalDynamoOptions {
  /** LevelDB folder. @default - in memory */
  readonly path?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
}

export interface LocalDynamo {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

export const LOCAL_AWS_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export async function startDynamo(options: LocalDynamoOptions = {}): Promise<LocalDynamo> {
  // Tables are ACTIVE at once; dynalite otherwise simulates AWS's 500 ms CREATING state.
  const server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        // dynalite closes its LevelDB when the server closes.
        server.close(() => resolve());
      })),
  };
}

/** CreateTable input for one definition: the same keys, GSIs and billing as the infrastructure. */
export function createTableInput(physicalName: string, def: TableDefinition): CreateTableCommandInput {
  const attributes = new Map<string, string>();
  const key = (k: { name: string; type: string }) => attributes.set(k.name, k.type);
  key(def.partitionKey);
  if (def.sortKey) key(def.sortKey);
  for (const gsi of def.globalIndexes ?? []) {
    key(gsi.partitionKey);
    if (gsi.sortKey) key(gsi.sortKey);
  }
  const keySchema = (pk: { name: string }, sk?: { name: string }) => [
    { AttributeName: pk.name, KeyType: 'HASH' as const },
    ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: physicalName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType: AttributeType as 'S' | 'N' | 'B',
    })),
    KeySchema: keySchema(def.partitionKey, def.sortKey),
    GlobalSecondaryIndexes: def.globalIndexes?.length
      ? def.globalIndexes.map((gsi) => ({
          IndexName: gsi.name,
          KeySchema: keySchema(gsi.partitionKey, gsi.sortKey),
          Projection: { ProjectionType: gsi.projection ?? 'ALL' },
        }))
      : undefined,
  };
}

/**
 * Creates every table of functions/tables.ts that does not exist yet.
 * `physicalName(name)` gives each table's name (the env's naming).
 * Returns the names of the tables it created.
 */
export async function ensureTables(endpoint: string, physicalName: (name: string) => string): Promise<string[]> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_AWS_CREDENTIALS, maxAttempts: 1 });
  const created: string[] = [];
  try {
    for (const [name, def] of Object.entries(tables) as [string, TableDefinition][]) {
      const tableName = physicalName(name);
      const exists = await client.send(new DescribeTableCommand({ TableName: tableName })).then(
        () => true,
        (err: Error) => {
          if (err.name === 'ResourceNotFoundException') return false;
          throw err;
        },
      );
      if (exists) continue;
      await client.send(new CreateTableCommand(createTableInput(tableName, def)));
      created.push(tableName);
      if (def.ttlAttribute) {
        // dynalite has no UpdateTimeToLive (and never expires items); AWS
        // deletes expired items lazily too, so handlers must not rely on it.
        await client
          .send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: def.ttlAttribute, Enabled: true } }))
          .catch(() => undefined);
      }
    }
  } finally {
    client.destroy();
  }
  return created;
}
