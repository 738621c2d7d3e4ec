/**
 * SQL adapter 2: the RDS Data API (`@aws-sdk/client-rds-data`): HTTPS calls
 * authorised by IAM, with the database credentials in Secrets Manager (the
 * function never sees them). No connection pool, no VPC socket.
 *
 * Environment (infra/function-contract.ts): DB_CLUSTER_ARN, DB_SECRET_ARN (the
 * application role's secret), DB_NAME, and AWS_REGION (set by Lambda). Locally,
 * the SDK's standard AWS_ENDPOINT_URL_RDS_DATA points the client at the local
 * Data API endpoint: this code has no local branch.
 *
 * Wire contract (what the local emulation must support) is documented in
 * docs/handlers.md, "Data API adapter contract".
 */
import {
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  RDSDataClient,
  RollbackTransactionCommand,
  type ColumnMetadata,
  type Field,
  type SqlParameter,
} from '@aws-sdk/client-rds-data';
import { DataUnavailableError, SqlError, isNetworkError, isTransientSqlState } from './errors';
import {
  SQL_TIMEOUTS,
  checkParams,
  isReadStatement,
  isTypedParam,
  requireEnv,
  timestampToIso,
  toPositional,
  type Database,
  type QueryResult,
  type Queryable,
  type SqlParams,
  type SqlValue,
} from './sql';

export interface DataApiOptions {
  readonly resourceArn: string;
  readonly secretArn: string;
  readonly database: string;
  /** @default - a client created from the environment */
  readonly client?: RDSDataClient;
  /** Time limit of a read run alone (`isReadStatement`), retries included (then 503). @default 4500 */
  readonly readTimeoutMs?: number;
  /** Time limit of any other call (each statement of a transaction, begin, commit). @default 8000 */
  readonly writeTimeoutMs?: number;
}

/** Data API timestamps: "YYYY-MM-DD HH:MM:SS.fff" in UTC. */
function dataApiTimestamp(value: Date | string): string {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) throw new TypeError(`invalid timestamp parameter: ${String(value)}`);
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

const HINTS = { uuid: 'UUID', json: 'JSON', decimal: 'DECIMAL', date: 'DATE', timestamp: 'TIMESTAMP' } as const;

/** One named parameter as the Data API takes it (value field + type hint). */
export function toSqlParameter(name: string, value: SqlValue): SqlParameter {
  if (value === null || value === undefined) return { name, value: { isNull: true } };
  if (isTypedParam(value)) {
    const text = value.type === 'timestamp' ? dataApiTimestamp(value.value) : value.value;
    return { name, value: { stringValue: text }, typeHint: HINTS[value.type] };
  }
  switch (typeof value) {
    case 'string':
      return { name, value: { stringValue: value } };
    case 'boolean':
      return { name, value: { booleanValue: value } };
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`SQL parameter :${name} is not a finite number`);
      return Number.isInteger(value) ? { name, value: { longValue: value } } : { name, value: { doubleValue: value } };
    case 'bigint':
      return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
        ? { name, value: { longValue: Number(value) } }
        : { name, value: { stringValue: value.toString() }, typeHint: 'DECIMAL' };
    default:
      break;
  }
  if (value instanceof Date) return { name, value: { stringValue: dataApiTimestamp(value) }, typeHint: 'TIMESTAMP' };
  if (value instanceof Uint8Array) return { name, value: { blobValue: value } };
  throw new TypeError(`SQL parameter :${name} has an unsupported type`);
}

function fieldValue(field: Field): unknown {
  if (field.isNull) return null;
  if (field.stringValue !== undefined) return field.stringValue;
  if (field.longValue !== undefined) return field.longValue;
  if (field.doubleValue !== undefined) return field.doubleValue;
  if (field.booleanValue !== undefined) return field.booleanValue;
  if (field.blobValue !== undefined) return Buffer.from(field.blobValue);
  if (field.arrayValue !== undefined) {
    const a = field.arrayValue;
    return a.stringValues ?? a.longValues ?? a.doubleValues ?? a.booleanValues ?? a.arrayValues?.map((v) => fieldValue({ arrayValue: v } as Field)) ?? [];
  }
  return null;
}

/** Converts a value to the row type shared with the pg adapter, by column type name. */
function convert(value: unknown, typeName: string | undefined): unknown {
  if (value === null || typeof value !== 'string') return value;
  switch ((typeName ?? '').toLowerCase()) {
    case 'timestamptz':
    case 'timestamp':
      return timestampToIso(value, true);
    case 'json':
    case 'jsonb':
      return JSON.parse(value);
    case 'int8':
    case 'bigserial':
      return Number(value);
    default:
      return value;
  }
}

/** Maps the `records` + `columnMetadata` of an ExecuteStatement answer to typed rows. */
export function toRows<Row>(records: Field[][] | undefined, columns: ColumnMetadata[] | undefined): Row[] {
  if (!records || records.length === 0) return [];
  const cols = columns ?? [];
  return records.map((record) => {
    const row: Record<string, unknown> = {};
    record.forEach((field, i) => {
      const col = cols[i];
      row[col?.label || col?.name || `column${i + 1}`] = convert(fieldValue(field), col?.typeName);
    });
    return row as Row;
  });
}

const UNAVAILABLE = new Set([
  'StatementTimeoutException',
  'DatabaseUnavailableException',
  'DatabaseResumingException',
  'ServiceUnavailableError',
  'InternalServerErrorException',
  'ThrottlingException',
  'TimeoutError',
  'RequestTimeout',
  // Our own time limit (an AbortSignal): the call took longer than the adapter allows.
  'AbortError',
]);

/** Classifies a Data API failure: transient (503) vs a statement error vs anything else. */
export function mapDataApiError(err: unknown): unknown {
  if (err instanceof DataUnavailableError || err instanceof SqlError) return err;
  const name = (err as { name?: unknown })?.name;
  const message = String((err as { message?: unknown })?.message ?? '');
  const sqlState = /SQLState: ([0-9A-Z]{5})/.exec(message)?.[1];
  if ((typeof name === 'string' && UNAVAILABLE.has(name)) || isNetworkError(err) || isTransientSqlState(sqlState)) {
    return new DataUnavailableError('database unavailable', { cause: err });
  }
  if (name === 'BadRequestException' || name === 'DatabaseErrorException') return new SqlError(message, sqlState, { cause: err });
  return err;
}

let sharedClient: RDSDataClient | undefined;

/**
 * The Data API client, created once per container. `requestTimeout` only
 * warns in @smithy/node-http-handler unless `throwOnRequestTimeout` is set
 * (node-http-handler setRequestTimeout): without it a hung database held the
 * function until its deadline. Each call also gets its own limit (below).
 */
export function dataApiClient(): RDSDataClient {
  return (sharedClient ??= new RDSDataClient({
    maxAttempts: 2,
    requestHandler: { connectionTimeout: SQL_TIMEOUTS.connectMs, requestTimeout: SQL_TIMEOUTS.writeMs, throwOnRequestTimeout: true },
  }));
}

/** A `Database` over the Data API. */
export function createDataApiDatabase(options: DataApiOptions): Database {
  const client = options.client ?? dataApiClient();
  const base = { resourceArn: options.resourceArn, secretArn: options.secretArn };
  const readMs = options.readTimeoutMs ?? SQL_TIMEOUTS.connectMs + SQL_TIMEOUTS.readMs;
  const writeMs = options.writeTimeoutMs ?? SQL_TIMEOUTS.writeMs;
  /**
   * A read may be retried once within its limit (each attempt gets half). A
   * write's one attempt gets the whole limit, so a timed-out statement (which
   * may still run in the database) is never sent again.
   */
  const limits = (read: boolean) =>
    read ? { abortSignal: AbortSignal.timeout(readMs), requestTimeout: Math.floor(readMs / 2) } : { abortSignal: AbortSignal.timeout(writeMs), requestTimeout: writeMs };

  async function execute<Row>(sql: string, params: SqlParams, transactionId?: string): Promise<QueryResult<Row>> {
    const { names } = toPositional(sql);
    checkParams(sql, names, params);
    try {
      const out = await client.send(
        new ExecuteStatementCommand({
          ...base,
          database: options.database,
          sql,
          parameters: names.length > 0 ? names.map((n) => toSqlParameter(n, params[n])) : undefined,
          includeResultMetadata: true,
          ...(transactionId ? { transactionId } : {}),
        }),
        limits(!transactionId && isReadStatement(sql)),
      );
      const rows = toRows<Row>(out.records, out.columnMetadata);
      return { rows, rowCount: rows.length > 0 ? rows.length : (out.numberOfRecordsUpdated ?? 0) };
    } catch (err) {
      throw mapDataApiError(err);
    }
  }

  return {
    adapter: 'data-api',
    query: <Row>(sql: string, params: SqlParams = {}) => execute<Row>(sql, params),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      let transactionId: string;
      try {
        const begun = await client.send(new BeginTransactionCommand({ ...base, database: options.database }), limits(false));
        if (!begun.transactionId) throw new Error('BeginTransaction returned no transactionId');
        transactionId = begun.transactionId;
      } catch (err) {
        throw mapDataApiError(err);
      }
      const tx: Queryable = { query: <Row>(sql: string, params: SqlParams = {}) => execute<Row>(sql, params, transactionId) };
      let result: T;
      try {
        result = await fn(tx);
      } catch (err) {
        await client.send(new RollbackTransactionCommand({ ...base, transactionId }), limits(false)).catch(() => undefined);
        throw mapDataApiError(err);
      }
      try {
        await client.send(new CommitTransactionCommand({ ...base, transactionId }), limits(false));
      } catch (err) {
        throw mapDataApiError(err);
      }
      return result;
    },
    close: async () => undefined,
  };
}

/**
 * The database of a function registered with `data.sql: 'data-api'` (client
 * created once per container). Missing environment variables (a function
 * whose registry entry does not say `sql: 'data-api'` has none) surface on the
 * first query (500 internal, logged), never at import.
 */
export function dataApiDatabase(): Database {
  let db: Database | undefined;
  const get = () =>
    (db ??= createDataApiDatabase({
      resourceArn: requireEnv('DB_CLUSTER_ARN'),
      secretArn: requireEnv('DB_SECRET_ARN'),
      database: requireEnv('DB_NAME'),
    }));
  try {
    get();
  } catch {
    // Not configured yet: retried (and reported) on first use.
  }
  return {
    adapter: 'data-api',
    query: (sql, params) => get().query(sql, params),
    transaction: (fn) => get().transaction(fn),
    close: async () => undefined,
  };
}
