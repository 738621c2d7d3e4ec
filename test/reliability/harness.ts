/**
 * Shared harness for the reliability suite: a real local runtime (the one
 * `npm run dev` serves) on port 0 with a temporary data dir, raw HTTP on
 * loopback, and direct views of its Postgres and dynalite state.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import pg from 'pg';
import { physicalTableName } from '../../functions/tables';
import type { RouteDefinition } from '../../functions/registry-types';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../scripts/local/runtime';
import { LOCAL_AWS_CREDENTIALS } from '../../scripts/local/dynamo';

export interface Harness {
  readonly runtime: LocalRuntime;
  readonly url: string;
  readonly dataDir: string;
  /** Runtime messages (function errors, timeouts) seen so far. */
  readonly logs: string[];
  /** A pg client on the runtime's Postgres (reconnects on demand). */
  sql<Row = Record<string, unknown>>(text: string, values?: unknown[]): Promise<Row[]>;
  /** Items in the posts table (a full Scan). */
  postCount(): Promise<number>;
  /** Stops the runtime and removes the data dir. */
  close(): Promise<void>;
}

export const POSTS_TABLE = physicalTableName('sps', 'dev', 'posts');

export async function tempDir(prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `sps-rel-${prefix}-`));
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
  const logs: string[] = [];
  const runtime = await startLocalRuntime({
    port: 0,
    dataDir,
    log: (m) => {
      logs.push(m);
      if (process.env.RELIABILITY_DEBUG) console.log(m);
    },
    // Thousands of request log lines would bury the test report.
    functionLogs: (text) => {
      if (process.env.RELIABILITY_DEBUG) process.stdout.write(text);
    },
    ...options,
  });
  try {
    await warmUp(runtime.url, logs);
  } catch (err) {
    await runtime.stop();
    if (!options.dataDir) await fs.rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  const conn = () => runtime.postgres;
  return {
    runtime,
    url: runtime.url,
    dataDir,
    logs,
    sql: (text, values) => pgQuery(conn(), text, values),
    postCount: () => scanCount(runtime.dynamo.endpoint, POSTS_TABLE),
    async close() {
      await runtime.stop();
      if (!options.dataDir) await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * One harmless request per registry route, two at a time, so every function's
 * sandbox has started before a test measures anything. Starting all eleven at
 * once (`prewarm`) on a busy 2-core machine can push a sandbox past Lambda's
 * 10 s init limit; a sandbox that fails init is retired and started again.
 */
const WARM_UP: readonly [string, string][] = [
  ['GET', '/health'],
  ['POST', '/posts'],
  ['GET', '/posts'],
  ['GET', '/posts/warm-up'],
  ['PUT', '/posts/warm-up'],
  ['DELETE', '/posts/warm-up'],
  ['POST', '/events'],
  ['GET', '/events/warm-up'],
  ['POST', '/events/warm-up/registrations'],
  ['GET', '/events/warm-up/registrations'],
  ['DELETE', '/events/warm-up/registrations/warm-up'],
];

export async function warmUp(url: string, logs: string[] = []): Promise<void> {
  const queue = [...WARM_UP];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [method, target] = next;
      for (let attempt = 1; ; attempt++) {
        const r = await request(url, { method, target, timeoutMs: 30_000 });
        if (r.status !== 500 && r.status !== 503) break;
        if (attempt === 3) throw new Error(`warm-up ${method} ${target} -> ${r.status}; runtime log:\n${logs.slice(-5).join('\n')}`);
      }
    }
  };
  await Promise.all([worker(), worker()]);
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

/** JSON request helper. */
export function call(base: string, method: string, target: string, body?: unknown, timeoutMs?: number): Promise<Reply & { json: any }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return request(base, {
    method,
    target,
    headers: payload === undefined ? {} : { 'content-type': 'application/json' },
    body: payload,
    timeoutMs,
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

export function destroyAgent(): void {
  agent.destroy();
}

export type { RouteDefinition };
