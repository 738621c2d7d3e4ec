/**
 * A local RDS Data API endpoint that runs statements on the embedded Postgres.
 *
 * It speaks the REST-JSON protocol the real `@aws-sdk/client-rds-data` client
 * uses (POST /Execute, /BatchExecute, /BeginTransaction, /CommitTransaction,
 * /RollbackTransaction) and implements only what our Data API adapter needs:
 * named `:param` substitution from typed SqlParameter values (with typeHint
 * casts), results as Field unions or `formattedRecords` JSON,
 * `numberOfRecordsUpdated`, `columnMetadata` on request, and one dedicated
 * connection per transactionId.
 *
 * As the service, it logs in to Postgres with the login in the request's
 * `secretArn` (read from the local Secrets Manager), so a function gets exactly
 * the rights of the role its secret is for; and it authorises the caller (by
 * the access key of its SigV4 header; signatures are not verified) for
 * `rds-data:<Action>` on the cluster and `secretsmanager:GetSecretValue` on the
 * secret, with the grants the stack gives that function (LocalIam). Without a
 * secrets store (protocol tests) it logs in with `pg`'s login.
 *
 * Errors are shaped as the service returns them: HTTP 400 with the
 * `x-amzn-errortype` header and `{"message": ...}`. SQL errors are
 * `DatabaseErrorException` (what Aurora Serverless v2 and provisioned clusters
 * return; `BadRequestException` is what v1 returned) with the Postgres message
 * followed by `; SQLState: <code>`. Call errors (missing fields, bad
 * parameters) are `BadRequestException`; an unknown or expired transaction is
 * `TransactionNotFoundException`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { rewritePlaceholders } from '../../functions/lib/data/sql';
import { accessKeyOf, type LocalIam } from './iam';
import type { DatabaseLogin, LocalSecrets } from './secrets';

export interface DataApiPgConnection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** Database used when a request names none. */
  readonly database: string;
}

export interface DataApiServerOptions {
  /** Where the statements run. */
  readonly pg: DataApiPgConnection;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** Connections of the autocommit pool (per database). @default 20 */
  readonly poolSize?: number;
  /** A transaction idle this long is rolled back, as the service does after 3 minutes. @default 180000 */
  readonly transactionIdleTimeoutMs?: number;
  /** Where `secretArn` logins are read; with `iam`, callers are authorised. @default - log in with `pg`'s user */
  readonly secrets?: LocalSecrets;
  readonly iam?: LocalIam;
}

export interface DataApiServer {
  /** Base URL to pass as the client's `endpoint` (and as `RDS_DATA_ENDPOINT`). */
  readonly url: string;
  readonly port: number;
  /** Open transactions (for tests and diagnostics). */
  openTransactions(): number;
  /** Rolls back open transactions, closes connections and the listener. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Wire types (the subset of the service model we accept and return)

type Field =
  | { isNull: true }
  | { booleanValue: boolean }
  | { longValue: number }
  | { doubleValue: number }
  | { stringValue: string }
  | { blobValue: string }
  | { arrayValue: ArrayValue };

type ArrayValue =
  | { booleanValues: boolean[] }
  | { longValues: number[] }
  | { doubleValues: number[] }
  | { stringValues: string[] }
  | { arrayValues: ArrayValue[] };

interface SqlParameter {
  name?: string;
  value?: Record<string, unknown>;
  typeHint?: string;
}

interface ResultSetOptions {
  decimalReturnType?: 'STRING' | 'DOUBLE_OR_LONG';
  longReturnType?: 'STRING' | 'LONG';
}

interface ColumnMetadata {
  name: string;
  label: string;
  typeName: string;
  type: number;
  nullable: number;
  precision: number;
  scale: number;
  schemaName: string;
  tableName: string;
  isAutoIncrement: boolean;
  isCaseSensitive: boolean;
  isCurrency: boolean;
  isSigned: boolean;
  arrayBaseColumnType: number;
}

class DataApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const badRequest = (message: string) => new DataApiError('BadRequestException', message);

// ---------------------------------------------------------------------------
// Named parameters (rewritten to $n by the pg adapter's rewritePlaceholders, with a cast per type hint)

const TYPE_HINT_CASTS: Record<string, string> = {
  JSON: 'json',
  UUID: 'uuid',
  TIMESTAMP: 'timestamp',
  DATE: 'date',
  TIME: 'time',
  DECIMAL: 'numeric',
};

const HINT_FORMATS: Record<string, RegExp> = {
  TIMESTAMP: /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,9})?$/,
  DATE: /^\d{4}-\d{2}-\d{2}$/,
  TIME: /^\d{2}:\d{2}:\d{2}(\.\d{1,9})?$/,
};

interface BoundValue {
  value: unknown;
  /** Postgres type the placeholder is cast to, as the service types its parameters. */
  cast?: string;
}

/**
 * Converts one SqlParameter value to a driver value plus the type the service
 * would bind it as: strings are varchar unless a typeHint says otherwise,
 * longs int8, doubles float8, booleans bool, blobs bytea, nulls untyped.
 */
function bindParameter(p: SqlParameter): BoundValue {
  const v = p.value;
  if (!v || typeof v !== 'object') throw badRequest(`Parameter ${p.name ?? ''} has no value`);
  const hint = p.typeHint;
  if (hint !== undefined && !(hint in TYPE_HINT_CASTS)) {
    throw badRequest(`Invalid typeHint ${hint} for parameter ${p.name}; use one of ${Object.keys(TYPE_HINT_CASTS).join(', ')}`);
  }
  if (v.isNull === true) return { value: null, cast: hint ? TYPE_HINT_CASTS[hint] : undefined };
  if ('stringValue' in v) {
    const s = String(v.stringValue);
    if (hint && HINT_FORMATS[hint] && !HINT_FORMATS[hint]!.test(s)) {
      throw badRequest(`Invalid ${hint} value for parameter ${p.name}: "${s}". Expected format ${
        hint === 'TIMESTAMP' ? 'YYYY-MM-DD HH:MM:SS[.FFF]' : hint === 'DATE' ? 'YYYY-MM-DD' : 'HH:MM:SS[.FFF]'
      }`);
    }
    return { value: s, cast: hint ? TYPE_HINT_CASTS[hint] : 'varchar' };
  }
  if (hint && hint !== 'DECIMAL') {
    throw badRequest(`typeHint ${hint} of parameter ${p.name} requires a stringValue`);
  }
  if ('longValue' in v) return { value: String(v.longValue), cast: hint === 'DECIMAL' ? 'numeric' : 'int8' };
  if ('doubleValue' in v) return { value: String(v.doubleValue), cast: hint === 'DECIMAL' ? 'numeric' : 'float8' };
  if ('booleanValue' in v) return { value: Boolean(v.booleanValue), cast: 'bool' };
  if ('blobValue' in v) return { value: Buffer.from(String(v.blobValue), 'base64'), cast: 'bytea' };
  if ('arrayValue' in v) throw badRequest('Array parameters are not supported.');
  throw badRequest(`Unsupported value for parameter ${p.name}: ${Object.keys(v).join(', ')}`);
}

function bindStatement(sql: string, parameters: SqlParameter[] | undefined): { text: string; values: unknown[] } {
  const bound = new Map<string, BoundValue>();
  for (const p of parameters ?? []) {
    if (!p || typeof p.name !== 'string' || p.name === '') throw badRequest('Every parameter needs a name');
    bound.set(p.name, bindParameter(p));
  }
  // Each placeholder is typed the way the service binds it.
  const { text, names } = rewritePlaceholders(sql, (name) => bound.get(name)?.cast);
  const values = names.map((name) => {
    const b = bound.get(name);
    if (!b) throw badRequest(`No value specified for parameter: ${name}`);
    return b.value;
  });
  return { text, values };
}

// ---------------------------------------------------------------------------
// Results

/** Postgres type OIDs we map (pg_type.oid). */
const OID = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  oid: 26,
  float4: 700,
  float8: 701,
  numeric: 1700,
  timestamptz: 1184,
  boolArray: 1000,
  int2Array: 1005,
  int4Array: 1007,
  int8Array: 1016,
  float4Array: 1021,
  float8Array: 1022,
  textArray: 1009,
  varcharArray: 1015,
  numericArray: 1231,
  uuidArray: 2951,
} as const;

const TYPE_NAMES: Record<number, [string, number]> = {
  16: ['bool', -7],
  17: ['bytea', -2],
  20: ['int8', -5],
  21: ['int2', 5],
  23: ['int4', 4],
  25: ['text', 12],
  114: ['json', 1111],
  700: ['float4', 7],
  701: ['float8', 8],
  1043: ['varchar', 12],
  1042: ['bpchar', 1],
  1082: ['date', 91],
  1083: ['time', 92],
  1114: ['timestamp', 93],
  1184: ['timestamptz', 93],
  1700: ['numeric', 2],
  2950: ['uuid', 1111],
  3802: ['jsonb', 1111],
};

const ARRAY_ELEMENT: Record<number, 'bool' | 'long' | 'double' | 'string' | 'numeric'> = {
  [OID.boolArray]: 'bool',
  [OID.int2Array]: 'long',
  [OID.int4Array]: 'long',
  [OID.int8Array]: 'long',
  [OID.float4Array]: 'double',
  [OID.float8Array]: 'double',
  [OID.numericArray]: 'numeric',
  [OID.textArray]: 'string',
  [OID.varcharArray]: 'string',
  [OID.uuidArray]: 'string',
};

/** Raw text for scalars (we map them ourselves); pg's parser for 1-D arrays. */
const rawTypes = {
  getTypeParser(oid: number, format?: string) {
    if (oid in ARRAY_ELEMENT) return pg.types.getTypeParser(OID.textArray as never, format as 'text');
    return (value: string) => value;
  },
};

function timestampText(value: string, oid: number): string {
  // The service returns timestamps without an offset (the session is UTC).
  return oid === OID.timestamptz ? value.replace(/\+00(:00)?$/, '') : value;
}

function toArrayValue(values: unknown[], kind: string, opts: ResultSetOptions): ArrayValue {
  if (values.some(Array.isArray)) return { arrayValues: values.map((v) => toArrayValue(v as unknown[], kind, opts)) };
  const items = values as (string | null)[];
  switch (kind) {
    case 'bool':
      return { booleanValues: items.map((v) => v === 't' || v === 'true') };
    case 'long':
      return opts.longReturnType === 'STRING' ? { stringValues: items.map(String) } : { longValues: items.map(Number) };
    case 'double':
      return { doubleValues: items.map(Number) };
    case 'numeric':
      return opts.decimalReturnType === 'DOUBLE_OR_LONG' ? { doubleValues: items.map(Number) } : { stringValues: items.map(String) };
    default:
      return { stringValues: items.map(String) };
  }
}

function toField(value: unknown, oid: number, opts: ResultSetOptions): Field {
  if (value === null || value === undefined) return { isNull: true };
  if (Array.isArray(value)) return { arrayValue: toArrayValue(value, ARRAY_ELEMENT[oid] ?? 'string', opts) };
  const text = String(value);
  switch (oid) {
    case OID.bool:
      return { booleanValue: text === 't' };
    case OID.int2:
    case OID.int4:
    case OID.oid:
      return { longValue: Number(text) };
    case OID.int8:
      return opts.longReturnType === 'STRING' ? { stringValue: text } : { longValue: Number(text) };
    case OID.float4:
    case OID.float8:
      return { doubleValue: Number(text) };
    case OID.numeric:
      if (opts.decimalReturnType === 'DOUBLE_OR_LONG') {
        return /^-?\d+$/.test(text) ? { longValue: Number(text) } : { doubleValue: Number(text) };
      }
      return { stringValue: text };
    case OID.bytea:
      return { blobValue: Buffer.from(text.replace(/^\\x/, ''), 'hex').toString('base64') };
    default:
      return { stringValue: timestampText(text, oid) };
  }
}

/** The plain JSON value of a field, for `formatRecordsAs: "JSON"`. */
function fieldJson(field: Field): unknown {
  if ('isNull' in field) return null;
  if ('booleanValue' in field) return field.booleanValue;
  if ('longValue' in field) return field.longValue;
  if ('doubleValue' in field) return field.doubleValue;
  if ('stringValue' in field) return field.stringValue;
  if ('blobValue' in field) return field.blobValue;
  const unwrap = (a: ArrayValue): unknown[] => ('arrayValues' in a ? a.arrayValues.map(unwrap) : (Object.values(a)[0] as unknown[]));
  return unwrap(field.arrayValue);
}

function columnMetadata(fields: pg.FieldDef[]): ColumnMetadata[] {
  return fields.map((f) => {
    const [typeName, jdbc] = TYPE_NAMES[f.dataTypeID] ?? (f.dataTypeID in ARRAY_ELEMENT ? ['_array', 2003] : ['unknown', 1111]);
    return {
      name: f.name,
      label: f.name,
      typeName,
      type: jdbc,
      nullable: 2, // columnNullableUnknown: the wire protocol does not say
      precision: f.dataTypeSize > 0 ? f.dataTypeSize : 0,
      scale: 0,
      schemaName: '',
      tableName: '',
      isAutoIncrement: false,
      isCaseSensitive: typeName === 'text' || typeName === 'varchar' || typeName === 'bpchar',
      isCurrency: false,
      isSigned: [20, 21, 23, 700, 701, 1700].includes(f.dataTypeID),
      arrayBaseColumnType: 0,
    };
  });
}

interface ExecuteInput {
  sql?: string;
  parameters?: SqlParameter[];
  includeResultMetadata?: boolean;
  formatRecordsAs?: 'NONE' | 'JSON';
  resultSetOptions?: ResultSetOptions;
}

function shapeResult(result: pg.QueryResult, input: ExecuteInput): Record<string, unknown> {
  const opts = input.resultSetOptions ?? {};
  const returnsRows = result.fields.length > 0;
  const out: Record<string, unknown> = {
    numberOfRecordsUpdated: result.command === 'SELECT' ? 0 : (result.rowCount ?? 0),
  };
  if (!returnsRows) {
    out.generatedFields = [];
    return out;
  }
  const records = (result.rows as unknown[][]).map((row) => row.map((value, i) => toField(value, result.fields[i]!.dataTypeID, opts)));
  if (input.formatRecordsAs === 'JSON') {
    out.formattedRecords = JSON.stringify(
      records.map((row) => Object.fromEntries(row.map((field, i) => [result.fields[i]!.name, fieldJson(field)]))),
    );
  } else {
    out.records = records;
  }
  if (input.includeResultMetadata) out.columnMetadata = columnMetadata(result.fields);
  return out;
}

function sqlError(err: unknown): DataApiError {
  const e = err as pg.DatabaseError;
  if (e && typeof e === 'object' && typeof e.code === 'string' && e.severity) {
    const detail = e.detail ? `\n  Detail: ${e.detail}` : '';
    const position = e.position ? `\n  Position: ${e.position}` : '';
    return new DataApiError('DatabaseErrorException', `${e.severity}: ${e.message}${detail}${position}; SQLState: ${e.code}`);
  }
  if (err instanceof DataApiError) return err;
  return new DataApiError('DatabaseUnavailableException', 'The database is unavailable.', 504);
}

// ---------------------------------------------------------------------------
// Server

/** Waits for `p`, at most `ms`. */
async function settleWithin(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

interface Transaction {
  client: pg.Client;
  /** The secret it was begun with: every call of the transaction must name it. */
  secretArn: string;
  /** Serialises the requests of one transaction, as one connection must. */
  queue: Promise<unknown>;
  timer: NodeJS.Timeout;
}

export async function startDataApiServer(options: DataApiServerOptions): Promise<DataApiServer> {
  const idleMs = options.transactionIdleTimeoutMs ?? 180_000;
  const pools = new Map<string, pg.Pool>();
  const transactions = new Map<string, Transaction>();

  /** The login a request's secret holds (the service reads it with the caller's rights). */
  function loginOf(body: Record<string, unknown>, accessKeyId: string | undefined, action: string): DatabaseLogin {
    const secretArn = String(body.secretArn);
    if (!options.secrets) return { username: options.pg.user, password: options.pg.password };
    if (options.iam) {
      const who = options.iam.principal(accessKeyId ?? '')?.name ?? 'unknown';
      for (const [act, resource] of [[`rds-data:${action}`, String(body.resourceArn)], ['secretsmanager:GetSecretValue', secretArn]] as const) {
        if (!accessKeyId || !options.iam.allows(accessKeyId, act, resource)) {
          throw new DataApiError(
            'AccessDeniedException',
            `User: arn:aws:sts::000000000000:assumed-role/${who}/${who} is not authorized to perform: ${act} on resource: ${resource} because no identity-based policy allows the ${act} action`,
            403,
          );
        }
      }
    }
    const login = options.secrets.login(secretArn);
    if (!login) throw badRequest(`Error fetching secret ${secretArn}: it does not exist or holds no username and password`);
    return login;
  }

  const connection = (database: string | undefined, login: DatabaseLogin) => ({
    host: options.pg.host,
    port: options.pg.port,
    user: login.username,
    password: login.password,
    database: database || options.pg.database,
    options: '-c TimeZone=UTC',
    // A Postgres that does not answer (stopped, frozen) fails the call instead of hanging it.
    connectionTimeoutMillis: 5000,
    types: rawTypes,
  });

  function pool(database: string | undefined, login: DatabaseLogin): pg.Pool {
    const name = database || options.pg.database;
    const key = `${name}\0${login.username}\0${login.password}`;
    let p = pools.get(key);
    if (!p) {
      p = new pg.Pool({ ...connection(name, login), max: options.poolSize ?? 20, idleTimeoutMillis: 10_000 });
      p.on('error', () => undefined); // an idle client lost its server; the pool replaces it
      pools.set(key, p);
    }
    return p;
  }

  async function endTransaction(id: string, sql: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    const tx = transactions.get(id);
    if (!tx) throw new DataApiError('TransactionNotFoundException', `Transaction ${id} is not found`, 404);
    transactions.delete(id);
    clearTimeout(tx.timer);
    await tx.queue.catch(() => undefined);
    try {
      await tx.client.query(sql);
    } finally {
      await tx.client.end().catch(() => undefined);
    }
  }

  function touch(id: string, tx: Transaction): void {
    clearTimeout(tx.timer);
    tx.timer = setTimeout(() => void endTransaction(id, 'ROLLBACK').catch(() => undefined), idleMs);
    tx.timer.unref();
  }

  /** Runs `work` on the transaction's connection, or on the pool when there is none. */
  async function withConnection<T>(
    transactionId: string | undefined,
    database: string | undefined,
    login: DatabaseLogin,
    secretArn: string,
    work: (c: pg.ClientBase) => Promise<T>,
  ): Promise<T> {
    if (transactionId) {
      const tx = transactions.get(transactionId);
      if (!tx || tx.secretArn !== secretArn) throw new DataApiError('TransactionNotFoundException', `Transaction ${transactionId} is not found`, 404);
      touch(transactionId, tx);
      const run = tx.queue.catch(() => undefined).then(() => work(tx.client));
      tx.queue = run;
      return run;
    }
    const client = await pool(database, login).connect();
    // A checked-out client has no pool listener: a connection the server drops
    // mid-statement (Postgres stopping) would emit an uncaught 'error' and
    // crash the runtime. The failing statement reports it instead.
    let broken: Error | undefined;
    const onError = (err: Error) => (broken = err);
    client.on('error', onError);
    try {
      return await work(client);
    } catch (err) {
      // Not a statement error (no severity): the connection itself failed.
      if (!(err as pg.DatabaseError)?.severity) broken ??= err as Error;
      throw err;
    } finally {
      client.off('error', onError);
      // A broken connection is destroyed, not returned to the pool.
      client.release(broken);
    }
  }

  const query = (c: pg.ClientBase, text: string, values: unknown[]) =>
    c.query({ text, values, rowMode: 'array', queryMode: 'extended' } as pg.QueryConfig & { queryMode: string }) as Promise<
      pg.QueryResult<unknown[]>
    >;

  function requireFields(body: Record<string, unknown>, fields: string[]): void {
    for (const f of fields) {
      if (typeof body[f] !== 'string' || body[f] === '') throw badRequest(`${f} is required`);
    }
  }

  type Operation = (body: Record<string, unknown>, accessKeyId: string | undefined) => Promise<Record<string, unknown>>;
  const operations: Record<string, Operation> = {
    async '/Execute'(body, accessKeyId) {
      requireFields(body, ['resourceArn', 'secretArn', 'sql']);
      const login = loginOf(body, accessKeyId, 'ExecuteStatement');
      const input = body as ExecuteInput & { transactionId?: string; database?: string };
      const { text, values } = bindStatement(input.sql!, input.parameters);
      return withConnection(input.transactionId, input.database, login, String(body.secretArn), async (c) => shapeResult(await query(c, text, values), input));
    },
    async '/BatchExecute'(body, accessKeyId) {
      requireFields(body, ['resourceArn', 'secretArn', 'sql']);
      const login = loginOf(body, accessKeyId, 'BatchExecuteStatement');
      const sets = (body.parameterSets as SqlParameter[][] | undefined) ?? [];
      const bound = (sets.length > 0 ? sets : [[]]).map((set) => bindStatement(body.sql as string, set));
      const transactionId = body.transactionId as string | undefined;
      return withConnection(transactionId, body.database as string | undefined, login, String(body.secretArn), async (c) => {
        // Outside a transaction the batch is applied atomically.
        if (!transactionId) await c.query('BEGIN');
        try {
          for (const { text, values } of bound) await query(c, text, values);
          if (!transactionId) await c.query('COMMIT');
        } catch (err) {
          if (!transactionId) await c.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
        return { updateResults: bound.map(() => ({ generatedFields: [] })) };
      });
    },
    async '/BeginTransaction'(body, accessKeyId) {
      requireFields(body, ['resourceArn', 'secretArn']);
      const login = loginOf(body, accessKeyId, 'BeginTransaction');
      const client = new pg.Client(connection(body.database as string | undefined, login));
      client.on('error', () => undefined);
      await client.connect();
      try {
        await client.query('BEGIN');
      } catch (err) {
        await client.end().catch(() => undefined);
        throw err;
      }
      const id = randomBytes(48).toString('base64');
      const tx: Transaction = { client, secretArn: String(body.secretArn), queue: Promise.resolve(), timer: setTimeout(() => undefined, 0) };
      transactions.set(id, tx);
      touch(id, tx);
      return { transactionId: id };
    },
    async '/CommitTransaction'(body, accessKeyId) {
      requireFields(body, ['resourceArn', 'secretArn', 'transactionId']);
      loginOf(body, accessKeyId, 'CommitTransaction');
      await endTransaction(body.transactionId as string, 'COMMIT');
      return { transactionStatus: 'Transaction Committed' };
    },
    async '/RollbackTransaction'(body, accessKeyId) {
      requireFields(body, ['resourceArn', 'secretArn', 'transactionId']);
      loginOf(body, accessKeyId, 'RollbackTransaction');
      await endTransaction(body.transactionId as string, 'ROLLBACK');
      return { transactionStatus: 'Rollback Complete' };
    },
  };

  function send(res: http.ServerResponse, status: number, body: unknown, errorType?: string): void {
    const payload = JSON.stringify(body);
    const headers: http.OutgoingHttpHeaders = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
      'x-amzn-requestid': randomUUID(),
    };
    if (errorType) headers['x-amzn-errortype'] = errorType;
    res.writeHead(status, headers);
    res.end(payload);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      const op = req.method === 'POST' ? operations[path] : undefined;
      if (!op) {
        send(res, 404, { message: `Unknown operation ${req.method} ${path}` }, 'UnknownOperationException');
        return;
      }
      let body: Record<string, unknown>;
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
      } catch {
        send(res, 400, { message: 'Request body is not a JSON object' }, 'SerializationException');
        return;
      }
      op(body, accessKeyOf(req.headers.authorization)).then(
        (result) => send(res, 200, result),
        (err: unknown) => {
          const e = err instanceof DataApiError ? err : sqlError(err);
          send(res, e.status, { message: e.message }, e.type);
        },
      );
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    openTransactions: () => transactions.size,
    async close() {
      // Bounded: a Postgres that does not answer (stopped, frozen) must not hang shutdown.
      const open = [...transactions.values()];
      await settleWithin(
        Promise.all([...transactions.keys()].map((id) => endTransaction(id, 'ROLLBACK').catch(() => undefined))),
        2000,
      );
      for (const tx of open) (tx.client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      transactions.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await settleWithin(Promise.all([...pools.values()].map((p) => p.end().catch(() => undefined))), 2000);
      pools.clear();
    },
  };
}
