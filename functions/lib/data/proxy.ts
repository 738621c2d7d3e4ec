/**
 * SQL adapter 1: `pg` through RDS Proxy, authenticated with a short-lived IAM
 * token (no password anywhere), TLS verified against the default trust store.
 * The same code runs locally, against the RDS Proxy emulator of `npm run dev`
 * (which trusts its CA through NODE_EXTRA_CA_CERTS).
 *
 * Environment (infra/function-contract.ts): DB_PROXY_ENDPOINT, DB_PORT,
 * DB_USER, DB_NAME, and AWS_REGION (set by Lambda).
 *
 * RDS Proxy refuses startup parameters other than user, database,
 * application_name, client_encoding, DateStyle, TimeZone and
 * extra_float_digits ("Feature not supported: RDS Proxy currently doesn't
 * support the option statement_timeout"; docs: rds-proxy-connecting.html), so
 * the pool sends none: the server-side limits are set on the database role
 * (functions/lib/data/app-role.ts) and the client keeps its own query timeout.
 */
import { Signer } from '@aws-sdk/rds-signer';
import pg from 'pg';
import { describeError, log } from '../log';
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

/** IAM auth tokens live 15 minutes; we renew them after 10. */
export const TOKEN_RENEW_AFTER_MS = 10 * 60 * 1000;

export interface TokenSource {
  getAuthToken(): Promise<string>;
}

/** Caches an IAM token and renews it before its 15-minute expiry; concurrent callers share one signing. */
export class TokenCache {
  private token: string | undefined;
  private renewAt = 0;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly source: TokenSource,
    private readonly now: () => number = Date.now,
    private readonly renewAfterMs = TOKEN_RENEW_AFTER_MS,
  ) {}

  get(): Promise<string> {
    if (this.token && this.now() < this.renewAt) return Promise.resolve(this.token);
    this.pending ??= this.source
      .getAuthToken()
      .then((token) => {
        this.token = token;
        this.renewAt = this.now() + this.renewAfterMs;
        return token;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }
}

export interface PgDatabaseOptions {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  /** A password, or a function returning one per new connection (IAM tokens). */
  readonly password: string | (() => Promise<string>);
  /** Verify the server certificate (true) or use plain TCP (false). @default true */
  readonly ssl?: boolean;
  /** Pool size. Each Lambda container serves one request at a time. @default 2 */
  readonly max?: number;
  /** Give up connecting (TLS, IAM auth, the proxy's borrow) after this long (then 503). @default 2000 */
  readonly connectionTimeoutMillis?: number;
  /**
   * Client-side limit on a read statement run alone (`isReadStatement`): past
   * it the statement fails (503) and its connection is dropped. @default 2500
   */
  readonly readTimeoutMs?: number;
  /**
   * Client-side limit on any other statement, and on each statement of a
   * transaction. The server-side `statement_timeout` comes from the role
   * (APP_ROLE_SETTINGS). @default 8000
   */
  readonly writeTimeoutMs?: number;
  /** Close idle connections after this long. @default 60000 */
  readonly idleTimeoutMillis?: number;
  /** Replace connections older than this (stale proxy sockets after a long freeze). @default 300 */
  readonly maxLifetimeSeconds?: number;
}

// Row types shared with the Data API adapter (see sql.ts).
const TYPE_PARSERS: Record<number, (value: string) => unknown> = {
  20: (v) => Number(v), // int8
  1082: (v) => v, // date
  1114: (v) => timestampToIso(v, true), // timestamp
  1184: (v) => timestampToIso(v, false), // timestamptz
};
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    TYPE_PARSERS[oid] ?? (pg.types.getTypeParser as (o: number, f?: string) => unknown)(oid, format)) as never,
};

function toPgValue(value: SqlValue): unknown {
  if (value === undefined || value === null) return null;
  if (isTypedParam(value)) return value.value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return value;
}

/** Classifies a pg failure: transient (503) vs a statement error vs anything else. */
export function mapPgError(err: unknown): unknown {
  if (err instanceof DataUnavailableError || err instanceof SqlError) return err;
  const code = (err as { code?: unknown })?.code;
  const sqlState = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  // RDS Proxy's answer when no database connection frees up within its
  // connection_borrow_timeout (a full pool, a failover, a target still registering).
  const borrowTimeout = /Timed-out waiting to acquire database connection/i.test(String((err as Error)?.message));
  if (isNetworkError(err) || isTransientSqlState(sqlState) || borrowTimeout) {
    return new DataUnavailableError('database unavailable', { cause: err });
  }
  if (sqlState) return new SqlError((err as Error).message, sqlState, { cause: err });
  return err;
}

async function run<Row>(target: pg.Pool | pg.PoolClient, sql: string, params: SqlParams, timeoutMs?: number): Promise<QueryResult<Row>> {
  const { text, names } = toPositional(sql);
  checkParams(sql, names, params);
  try {
    const values = names.length === 0 ? undefined : names.map((n) => toPgValue(params[n]));
    // `query_timeout` per statement (pg's client read timeout); a timed-out statement's connection is dropped.
    const out = await target.query({ text, ...(values ? { values } : {}), ...(timeoutMs ? { query_timeout: timeoutMs } : {}) } as pg.QueryConfig);
    // A multi-statement script (a migration) answers one result per statement: report the last.
    const result = (Array.isArray(out) ? out[out.length - 1] : out) as pg.QueryResult | undefined;
    const rows = (result?.rows ?? []) as Row[];
    return { rows, rowCount: result?.rowCount ?? rows.length };
  } catch (err) {
    throw mapPgError(err);
  }
}

/** A `Database` over a `pg` pool (used by the proxy adapter, the migration runner and local tools). */
export function createPgDatabase(options: PgDatabaseOptions): Database & { readonly pool: pg.Pool } {
  const pool = new pg.Pool({
    host: options.host,
    port: options.port,
    user: options.user,
    database: options.database,
    password: options.password,
    ssl: options.ssl === false ? false : { rejectUnauthorized: true },
    max: options.max ?? 2,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? SQL_TIMEOUTS.connectMs,
    idleTimeoutMillis: options.idleTimeoutMillis ?? 60_000,
    maxLifetimeSeconds: options.maxLifetimeSeconds ?? 300,
    query_timeout: options.writeTimeoutMs ?? SQL_TIMEOUTS.writeMs,
    keepAlive: true,
    application_name: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'serverless-platform-stack',
    types,
  });
  // An idle connection dropped by the proxy/server emits here; without a
  // listener the process would crash. The pool discards that client itself.
  pool.on('error', (err) => log({ level: 'warn', msg: 'idle database connection failed', error: describeError(err) }));

  const readTimeout = options.readTimeoutMs ?? SQL_TIMEOUTS.readMs;
  return {
    adapter: 'proxy',
    pool,
    query: <Row>(sql: string, params: SqlParams = {}) => run<Row>(pool, sql, params, isReadStatement(sql) ? readTimeout : undefined),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw mapPgError(err);
      }
      // A checked-out client has no pool listener: if the server drops the
      // connection between two statements, its 'error' event would be
      // uncaught and crash the container. The failing statement reports it.
      let broken = false;
      const onClientError = () => {
        broken = true;
      };
      client.on('error', onClientError);
      const release = (destroy: boolean) => {
        client.off('error', onClientError);
        client.release(destroy || broken);
      };
      const tx: Queryable = { query: <Row>(sql: string, params: SqlParams = {}) => run<Row>(client, sql, params) };
      try {
        await run(client, 'BEGIN', {});
        const result = await fn(tx);
        await run(client, 'COMMIT', {});
        release(false);
        return result;
      } catch (err) {
        try {
          // A lost or unresponsive connection (read timeout): ROLLBACK would only
          // wait again; dropping the connection makes the server roll back.
          if (broken || isNetworkError(err)) throw new Error('connection lost');
          await client.query('ROLLBACK');
          release(false);
        } catch {
          release(true); // broken connection: drop it, never reuse it
        }
        throw mapPgError(err);
      }
    },
    close: () => pool.end(),
  };
}

/** Options for the RDS Proxy database read from the environment. */
export function proxyOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): PgDatabaseOptions {
  const host = requireEnv('DB_PROXY_ENDPOINT', env);
  const port = Number(env.DB_PORT ?? 5432);
  const user = requireEnv('DB_USER', env);
  const database = requireEnv('DB_NAME', env);
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  // Lambda puts the role's credentials in the environment; reading them from
  // `env` (not only process.env) lets a tool sign as another function.
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN }
      : undefined;
  const tokens = new TokenCache(new Signer({ hostname: host, port, username: user, ...(region ? { region } : {}), ...(credentials ? { credentials } : {}) }));
  return { host, port, user, database, password: () => tokens.get(), ssl: true };
}

const containerDatabases = new Set<Database>();

/**
 * Ends every pool `proxyDatabase` made in this process. Lambda never calls it
 * (a container's pool lives as long as the container); in-process tests do
 * before their database stops, so no idle connection reports the shutdown.
 */
export async function closeDatabases(): Promise<void> {
  await Promise.all([...containerDatabases].map((db) => db.close()));
}

/**
 * The database of a function registered with `data.sql: 'proxy'`. Its pool is
 * created once per container, at module init. A missing environment variable
 * (a function whose registry entry does not say `sql: 'proxy'` has none)
 * surfaces on the first query (500 internal, logged), never at import.
 */
export function proxyDatabase(overrides: Partial<PgDatabaseOptions> = {}): Database {
  let db: Database | undefined;
  const get = () => (db ??= createPgDatabase({ ...proxyOptionsFromEnv(), ...overrides }));
  try {
    get();
  } catch {
    // Not configured yet: retried (and reported) on first use.
  }
  const database: Database = {
    adapter: 'proxy',
    query: (sql, params) => get().query(sql, params),
    transaction: (fn) => get().transaction(fn),
    close: async () => {
      const current = db;
      db = undefined;
      if (current) await current.close();
    },
  };
  containerDatabases.add(database);
  return database;
}
