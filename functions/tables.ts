/**
 * DynamoDB table definitions: the one source for the infrastructure
 * (aws_dynamodb_table), the local runtime (CreateTable on dynalite) and tests.
 */
export type AttributeType = 'S' | 'N' | 'B';

export interface KeyAttribute {
  readonly name: string;
  readonly type: AttributeType;
}

export interface GlobalIndexDefinition {
  readonly name: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** @default "ALL" */
  readonly projection?: 'ALL' | 'KEYS_ONLY';
}

export interface TableDefinition {
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** @default - no global secondary index */
  readonly globalIndexes?: readonly GlobalIndexDefinition[];
  /** Attribute holding an epoch-seconds expiry. @default - no TTL */
  readonly ttlAttribute?: string;
}

export const tables = {
  /** Board posts. `gsi1` lists posts newest first (gsi1pk is a constant bucket). */
  posts: {
    partitionKey: { name: 'id', type: 'S' },
    globalIndexes: [
      {
        name: 'gsi1',
        partitionKey: { name: 'gsi1pk', type: 'S' },
        sortKey: { name: 'gsi1sk', type: 'S' },
        projection: 'ALL',
      },
    ],
    ttlAttribute: 'expiresAt',
  },
} as const satisfies Record<string, TableDefinition>;

export type TableName = keyof typeof tables;

/** The environment variable that carries a table's physical name to functions. */
export function tableEnvVar(name: TableName | string): string {
  return `TABLE_${name.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}`;
}

/** Physical table name for a project and environment. */
export function physicalTableName(project: string, environment: string, name: string): string {
  return `${project}-${environment}-${name}`;
}
