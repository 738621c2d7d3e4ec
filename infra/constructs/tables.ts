/**
 * DynamoDB tables from functions/tables.ts (the definitions the local runtime
 * uses too): on demand, point-in-time recovery, encrypted with our key, TTL.
 */
import { Construct } from 'constructs';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import type { KeyAttribute, TableDefinition } from '../../functions/tables';
import type { DataKey } from './kms-key';

export interface TableProps {
  /** Physical table name. */
  readonly tableName: string;
  readonly definition: TableDefinition;
  readonly kmsKey: DataKey;
  /** Point-in-time recovery. @default true */
  readonly pointInTimeRecovery?: boolean;
  /** Refuse `DeleteTable`. @default true */
  readonly deletionProtection?: boolean;
  /** Stream view type, or false. @default false */
  readonly stream?: false | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES' | 'KEYS_ONLY';
}

export class Table extends Construct {
  readonly table: DynamodbTable;

  constructor(scope: Construct, id: string, props: TableProps) {
    super(scope, id);
    const d = props.definition;
    const stream = props.stream ?? false;
    this.table = new DynamodbTable(this, 'table', {
      name: props.tableName,
      billingMode: 'PAY_PER_REQUEST',
      hashKey: d.partitionKey.name,
      rangeKey: d.sortKey?.name,
      attribute: keyAttributes(d).map((a) => ({ name: a.name, type: a.type })),
      globalSecondaryIndex: d.globalIndexes?.map((gsi) => ({
        name: gsi.name,
        hashKey: gsi.partitionKey.name,
        rangeKey: gsi.sortKey?.name,
        projectionType: gsi.projection ?? 'ALL',
      })),
      ttl: d.ttlAttribute ? { attributeName: d.ttlAttribute, enabled: true } : undefined,
      pointInTimeRecovery: { enabled: props.pointInTimeRecovery ?? true },
      serverSideEncryption: { enabled: true, kmsKeyArn: props.kmsKey.arn },
      deletionProtectionEnabled: props.deletionProtection ?? true,
      streamEnabled: stream !== false,
      streamViewType: stream === false ? undefined : stream,
    });
  }

  get name(): string {
    return this.table.name;
  }

  get arn(): string {
    return this.table.arn;
  }
}

/** Every attribute used as a key of the table or an index, once. */
export function keyAttributes(d: TableDefinition): KeyAttribute[] {
  const all = [d.partitionKey, d.sortKey, ...(d.globalIndexes ?? []).flatMap((g) => [g.partitionKey, g.sortKey])];
  const byName = new Map<string, KeyAttribute>();
  for (const a of all) if (a && !byName.has(a.name)) byName.set(a.name, a);
  return [...byName.values()];
}
