/**
 * Shared harness for the reliability suites: a real local runtime (the one
 * `npm run dev` serves, on the app's registry unless told otherwise) on port 0
 * with a temporary data dir, raw HTTP on loopback, users of its user pool with
 * real tokens (auth.ts), what it recorded per request, and direct views of its
 * Postgres and dynalite state.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import pg from 'pg';
import { routes as registryRoutes } from '../../functions/registry';
import { physicalTableName, tables as registryTables } from '../../functions/tables';
import type { RouteDefinition } from '../../functions/registry-types';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../scripts/local/runtime';
import { LOCAL_AWS_CREDENTIALS } from '../../scripts/local/dynamo';
import { Invocations, poolUsers, type Users } from './auth';

export interface Harness {
  readonly runtime: LocalRuntime;
  readonly url: string;
  readonly dataDir: string;
  /** Runtime messages (function errors, timeouts) seen so far. */
  readonly logs: string[];
  /** Users of the runtime's user pool and their tokens. */
  readonly users: Users;
  /** The access log and the functions' log lines, per request: did a request reach a function? */
  readonly invocations: Invocations;
  /** The function a route's requests go to (`<project>-<env>-<name>`), as the access log names it. */
  functionName(route: Pick<RouteDefinition, 'name'>): string;
  /** A pg client on the runtime's Postgres (reconnects on demand). */
  sql<Row = Record<string, unknown>>(text: string, values?: unknown[]): Promise<Row[]>;
  /** The physical name of a table of the app (`<project>-<env>-<table>`). */
  tableName(table: string): string;
  /** Items in one of the app's DynamoDB tables (a full Scan). */
  itemCount(table: string): Promise<number>;
  /** Items per DynamoDB table and rows per table of Postgres's public schema, keyed `dynamodb:<table>` and `sql:<table>`. */
  counts(): Promise<Record<string, number>>;
  /** Stops the runtime and removes the data dir. */
  close(): Promise<void>;
}

export async function tempDir(prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `sps-test-rel-${prefix}-`));
  // As root, Postgres runs as the `postgres` user and must reach its data dir.
  await fs.chmod(dir, 0o755);
  return dir;
}

/** A pg client for one query: robust across Postgres restarts. */
export async function pgQuery<Row = Record<string, unknown>>(
  conn: { host: string; port: number; user: string; password: string; database: string },
  text: string,
  values: unknown[] = [],
): Promise<Row[]> {
  const client = new pg.Client({ host: conn.host, port: conn.port, user: conn.user, password: conn.password, database: conn.database });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(text, values)).rows as Row[];
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function scanCount(endpoint: string, table: string): Promise<number> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_AWS_CREDENTIALS, maxAttempts: 1 });
  try {
    let count = 0;
    let start: Record<string, never> | undefined;
    do {
      const out = await client.send(new ScanCommand({ TableName: table, Select: 'COUNT', ExclusiveStartKey: start }));
      count += out.Count ?? 0;
      start = out.LastEvaluatedKey as typeof start;
    } while (start);
    return count;
  } finally {
    client.destroy();
  }
}

export async function startHarness(name: string, options: Partial<LocalRuntimeOptions> = {}): Promise<Harness> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const dataDir = options.dataDir ?? (await tempDir(name));
  const removeDataDir = () => (options.dataDir ? undefined : fs.rm(dataDir, { recursive: true, force: true }));
  const logs: string[] = [];
  const invocations = new Invocations();
  let runtime: LocalRuntime | undefined;
  let users: Users | undefined;
  try {
    runtime = await startLocalRuntime({
      port: 0,
      dataDir,
      log: (m) => {
        logs.push(m);
        if (process.env.RELIABILITY_DEBUG) console.log(m);
      },
      ...options,
      onRequest: (entry) => {
        invocations.onRequest(entry);
        options.onRequest?.(entry);
      },
      // Thousands of request log lines would bury the test report.
      functionLogs: (text, fn) => {
        invocations.onFunctionLog(text, fn);
        if (options.functionLogs) options.functionLogs(text, fn);
        else if (process.env.RELIABILITY_DEBUG) process.stdout.write(text);
      },
    });
    if (runtime.userPool) users = poolUsers(runtime.userPool, dataDir);
    await warmUp(runtime.url, options.routes ?? registryRoutes, logs, users);
  } catch (err) {
    await runtime?.stop();
    await removeDataDir();
    throw err;
  }
  const started = runtime;
  const sql = <Row>(text: string, values?: unknown[]) => pgQuery<Row>(started.postgres, text, values);
  const tableName = (table: string) => physicalTableName(started.cloud.config.project, started.cloud.config.name, table);
  const itemCount = (table: string) => scanCount(started.dynamo.endpoint, tableName(table));
  const { project, name: environment } = started.cloud.config;
  return {
    runtime: started,
    url: started.url,
    dataDir,
    logs,
    users: users ?? noUserPool,
    invocations,
    functionName: (route) => `${project}-${environment}-${route.name}`,
    sql,
    tableName,
    itemCount,
    async counts() {
      const items = Object.keys(options.tables ?? registryTables).map(async (t) => [`dynamodb:${t}`, await itemCount(t)] as const);
      const sqlTables = await sql<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
      const rows = sqlTables.map(async ({ t }) => [`sql:${t}`, (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${t}"`))[0]!.n] as const);
      return Object.fromEntries(await Promise.all([...items, ...rows]));
    },
    async close() {
      await started.stop();
      await removeDataDir();
    },
  };
}

const withoutPool = () => Promise.reject(new Error('the runtime has no user pool (userPool: false)'));
const noUserPool: Users = { token: withoutPool, headersFor: withoutPool, signIn: withoutPool, otherPoolToken: withoutPool };

/** The route's path with each `{param}` (or `{param+}`) replaced by `value(name)`. */
export function fillPath(path: string, value: (param: string) => string): string {
  return path.replace(/\{([^}+]+)\+?\}/g, (_m, name: string) => value(name));
}

/**
 * One harmless request per route, two at a time, so every function's sandbox
 * has started before a test measures anything (a signed-in route's with a
 * token of its groups: the authorizer would keep the function from starting).
 * Starting them all at once (`prewarm`) on a busy 2-core machine can push a
 * sandbox past Lambda's 10 s init limit; a sandbox that fails init is retired
 * and started again.
 */
export async function warmUp(url: string, routes: readonly Pick<RouteDefinition, 'method' | 'path' | 'auth'>[], logs: string[] = [], users?: Users): Promise<void> {
  const queue = [...routes];
  const worker = async () => {
    for (let route = queue.shift(); route; route = queue.shift()) {
      const { method } = route;
      const target = fillPath(route.path, () => 'warm-up');
      const headers = route.auth && users ? await users.headersFor(route) : {};
      for (let attempt = 1; ; attempt++) {
        const r = await request(url, { method, target, headers, timeoutMs: 30_000 });
        if (r.status !== 500 && r.status !== 503) break;
        if (attempt === 3) throw new Error(`warm-up ${method} ${target} -> ${r.status}; runtime log:\n${logs.slice(-5).join('\n')}`);
      }
    }
  };
  await Promise.all([worker(), worker()]);
}

/** Every column, index, constraint, relation and function of Postgres's public schema, as text: equal before and after means the schema is untouched. */
export async function schemaFingerprint(h: Pick<Harness, 'sql'>): Promise<string> {
  const rows = await h.sql<{ kind: string; item: string }>(
    `SELECT 'col' AS kind, table_name || '.' || column_name || ':' || data_type || ':' || is_nullable || ':' || coalesce(column_default, '') AS item
       FROM information_schema.columns WHERE table_schema = 'public'
     UNION ALL SELECT 'idx', tablename || ':' || indexdef FROM pg_indexes WHERE schemaname = 'public'
     UNION ALL SELECT 'con', conrelid::regclass::text || ':' || conname || ':' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace
     UNION ALL SELECT 'rel', relname || ':' || relkind::text FROM pg_class WHERE relnamespace = 'public'::regnamespace
     UNION ALL SELECT 'fn', proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace
     ORDER BY 1, 2`,
  );
  return rows.map((r) => `${r.kind} ${r.item}`).join('\n');
}

export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
  readonly ms: number;
}

export interface RawRequest {
  readonly method: string;
  /** Request target exactly as sent (path + query; not normalised). */
  readonly target: string;
  readonly headers?: http.OutgoingHttpHeaders;
  readonly body?: string | Buffer;
  /** Give up after this long (a hang is a failure). @default 15000 */
  readonly timeoutMs?: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/** One raw HTTP request on loopback; rejects on a hang. */
export function request(base: string, r: RawRequest): Promise<Reply> {
  const { hostname, port } = new URL(base);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: hostname, port: Number(port), method: r.method, path: r.target, headers: r.headers ?? {}, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(r.timeoutMs ?? 15_000, () => req.destroy(new Error(`no answer to ${r.method} ${r.target.slice(0, 80)} within ${r.timeoutMs ?? 15_000} ms`)));
    req.on('error', reject);
    // Always frame a body: a GET/DELETE without content-length would send it unframed.
    if (r.body !== undefined && req.getHeader('content-length') === undefined) req.setHeader('content-length', Buffer.byteLength(r.body));
    req.end(r.body);
  });
}

export interface CallOptions {
  /** Sent as `authorization: Bearer <token>`. @default - none */
  readonly token?: string;
  readonly headers?: Record<string, string>;
  readonly timeoutMs?: number;
}

/** JSON request helper. */
export function call(base: string, method: string, target: string, body?: unknown, options: CallOptions = {}): Promise<Reply & { json: any }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return request(base, {
    method,
    target,
    headers: {
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      ...options.headers,
    },
    body: payload,
    timeoutMs: options.timeoutMs,
  }).then((r) => ({ ...r, json: parseJson(r.text) }));
}

export function parseJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** True when a reply is a 4xx in the error contract `{"error":{"code","message"}}`. */
export function isContractError(r: Reply): boolean {
  if (r.status < 400 || r.status >= 500) return false;
  const body = parseJson(r.text);
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof body.error === 'object' &&
    typeof body.error.code === 'string' &&
    typeof body.error.message === 'string' &&
    String(r.headers['content-type'] ?? '').startsWith('application/json')
  );
}

/**
 * True when a reply is API Gateway's JWT authorizer refusing the token: 401
 * `{"message":"Unauthorized"}` with a `Bearer` challenge and no content type
 * (docs/local-runtime.md#sign-in-locally). No function ran.
 */
export function isAuthorizerRefusal(r: Reply): boolean {
  return (
    r.status === 401 &&
    r.text === '{"message":"Unauthorized"}' &&
    /^Bearer\b/.test(String(r.headers['www-authenticate'] ?? '')) &&
    r.headers['content-type'] === undefined
  );
}

/**
 * What a request carried to a route, for `assertContract`: `public` (a route
 * without `auth`; whatever its headers), `signed-in` (a valid token of a user
 * in the route's groups) or `refused` (no token, or one the authorizer refuses).
 */
export type Credential = 'public' | 'signed-in' | 'refused';

/**
 * Fails unless the reply is the right kind of answer, with a short message
 * (the body of a 5xx, never a 300 KB input): a success or a 4xx of the error
 * contract, except that a request without a valid token to a signed-in route
 * must get the authorizer's 401 and nothing else, and a request with a valid
 * token must never get a 401 (so no refusal hides what the function answers).
 */
export function assertContract(r: Reply, what: string, credential: Credential = 'public'): void {
  if (credential === 'refused') {
    if (isAuthorizerRefusal(r)) return;
    throw new Error(`${what} (no valid token) -> ${r.status} ${r.text.slice(0, 300)}: expected API Gateway's 401 {"message":"Unauthorized"}`);
  }
  if (credential === 'signed-in' && r.status === 401) throw new Error(`${what} (with a valid token) -> 401 ${r.text.slice(0, 300)}`);
  if (r.status >= 200 && r.status < 300) return;
  if (isContractError(r)) return;
  throw new Error(`${what} -> ${r.status} ${r.text.slice(0, 300)}`);
}

export function destroyAgent(): void {
  agent.destroy();
}

export type { RouteDefinition };
