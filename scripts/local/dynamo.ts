/**
 * Embedded DynamoDB (dynalite) persisted on LevelDB, with the tables of
 * functions/tables.ts created as the infrastructure creates them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { tables, type TableDefinition } from '../../functions/tables';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (options: Record<string, unknown>) => http.Server;

/**
 * dynalite leaves a Query/Scan's LevelDB value stream unconsumed once it has
 * enough items; when the database closes (dynalite stopping), that stream's
 * pending read rejects, the stream emits 'error' with no listener, and the
 * process dies with an uncaught "Iterator is not open". We make a read on a
 * closed iterator end the stream instead (for dynalite's own level copies).
 */
function endReadsAfterClose(): void {
  const fromDynalite = createRequire(require.resolve('dynalite'));
  const levels = [createRequire(createRequire(fromDynalite.resolve('level')).resolve('classic-level')), createRequire(fromDynalite.resolve('memory-level'))];
  for (const fromLevel of levels) {
    const { AbstractValueIterator } = fromLevel('abstract-level') as { AbstractValueIterator: { prototype: object } };
    const common = Object.getPrototypeOf(AbstractValueIterator.prototype) as { next: (...args: unknown[]) => Promise<unknown>; __spsEndAfterClose?: true };
    if (common.__spsEndAfterClose) continue;
    const next = common.next;
    common.next = async function nextOrEndAfterClose(this: unknown, ...args: unknown[]) {
      try {
        return await next.apply(this, args);
      } catch (err) {
        const code = (err as { code?: unknown })?.code;
        if (code === 'LEVEL_ITERATOR_NOT_OPEN' || code === 'LEVEL_DATABASE_NOT_OPEN') return undefined;
        throw err;
      }
    };
    common.__spsEndAfterClose = true;
  }
}
endReadsAfterClose();

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
        // dynalite closes its LevelDB once the server has closed: requests in
        // flight finish first (closing under a running Query cuts it short).
        // Idle keep-alive connections close at once; any still open after
        // 2 s are cut.
        const force = setTimeout(() => server.closeAllConnections?.(), 2000);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections?.();
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
 * One DynamoDB JSON-protocol call. The runtime talks to dynalite directly
 * (dynalite checks that requests are signed-shaped, not the signature) so
 * startup does not pay for loading the AWS SDK in this process.
 */
async function dynamoCall(endpoint: string, operation: string, input: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `DynamoDB_20120810.${operation}`,
      'x-amz-date': '20200101T000000Z',
      authorization: `AWS4-HMAC-SHA256 Credential=${LOCAL_AWS_CREDENTIALS.accessKeyId}/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0`,
    },
    body: JSON.stringify(input),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const errorType = (body: Record<string, unknown>) => String(body.__type ?? '').split('#').pop();

/**
 * Creates every table of `definitions` (functions/tables.ts) that does not exist yet.
 * `physicalName(name)` gives each table's name (the env's naming).
 * Returns the names of the tables it created.
 */
export async function ensureTables(
  endpoint: string,
  physicalName: (name: string) => string,
  definitions: Readonly<Record<string, TableDefinition>> = tables,
): Promise<string[]> {
  const created: string[] = [];
  for (const [name, def] of Object.entries(definitions)) {
    const tableName = physicalName(name);
    const described = await dynamoCall(endpoint, 'DescribeTable', { TableName: tableName });
    if (described.status === 200) continue;
    if (errorType(described.body) !== 'ResourceNotFoundException') {
      throw new Error(`DescribeTable ${tableName} failed: ${JSON.stringify(described.body)}`);
    }
    const create = await dynamoCall(endpoint, 'CreateTable', createTableInput(tableName, def));
    if (create.status !== 200) throw new Error(`CreateTable ${tableName} failed: ${JSON.stringify(create.body)}`);
    created.push(tableName);
    if (def.ttlAttribute) {
      // dynalite has no UpdateTimeToLive (and never expires items); AWS
      // deletes expired items lazily too, so handlers must not rely on it.
      await dynamoCall(endpoint, 'UpdateTimeToLive', {
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: def.ttlAttribute, Enabled: true },
      });
    }
  }
  return created;
}
