/**
 * Testing helpers for handlers, for app developers and the project's own
 * tests. A test file starts the local AWS stand-ins once (DynamoDB, Postgres
 * behind the RDS Proxy emulator, the Data API, Secrets Manager, with the
 * migrations applied as the `migrate` task applies them), takes the
 * environment of the registry entries it tests, and calls their handlers
 * in-process with real API Gateway payload 2.0 events:
 *
 *   const local = await startLocalServices({ functions: ['posts-create', 'posts-get'] });
 *   const res = await local.invoke('posts-create', { json: { title: 'Hi', body: '', author: 'ada' } });
 *   expect(res.statusCode).toBe(201);
 *   await local.documentClient.send(new GetCommand({ TableName: local.tableName('posts'), Key: { id } }));
 *   afterAll(() => local.stop());
 *
 * Handlers reach the stand-ins exactly as in AWS (same adapter code: IAM
 * tokens and TLS through the proxy, the application role's rights). They run
 * in this process, so they share one environment: its credentials carry the
 * union of the named functions' grants (`npm run dev` gives each function its
 * own). Never imported by a function bundle.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadConfig, type EnvironmentConfig } from '../infra/config';
import { FUNCTIONS_DIR } from '../infra/paths';
import { startLocalCloud, type LocalCloud } from '../scripts/local/cloud';
import { LOCAL_AWS_CREDENTIALS } from '../scripts/local/dynamo';
import { FunctionHost, type InvokeOutcome } from '../scripts/local/functions';
import { EventSourceMapping } from '../scripts/local/messaging';
import { closeDatabases } from './lib/data/proxy';
import type { HttpEvent, LambdaContext, ProxyResult } from './lib/http/types';
import { routes as registryRoutes, tasks as registryTasks } from './registry';
import type { FunctionDefinition, RouteDefinition, TaskDefinition } from './registry-types';
import { DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_SECONDS } from './registry-schema';
import { physicalTableName, tables as registryTables, type TableDefinition } from './tables';

// ---------------------------------------------------------------------------
// Events and contexts as API Gateway and the Lambda runtime deliver them
// ---------------------------------------------------------------------------

import { httpEvent, lambdaContext, type RequestInit } from './lib/http/events';

export { httpEvent, lambdaContext, type RequestInit };

// ---------------------------------------------------------------------------
// The local stand-ins, for a test file
// ---------------------------------------------------------------------------

export interface LocalServicesOptions {
  /** Registry names of the functions this file runs in-process; their environment is set on process.env. */
  readonly functions: readonly string[];
  /** @default - functions/registry.ts */
  readonly routes?: readonly RouteDefinition[];
  /** @default - the registry's tasks */
  readonly tasks?: readonly FunctionDefinition[];
  /** @default - functions/tables.ts */
  readonly tables?: Readonly<Record<string, TableDefinition>>;
  /** Folder the registry's `handler` paths are relative to. @default - functions/ */
  readonly functionsDir?: string;
  /** @default - the dev environment's config */
  readonly config?: EnvironmentConfig;
  /** Apply the SQL migrations with the `migrate` task first. @default true when a named function uses SQL */
  readonly migrate?: boolean;
  /** Runtime messages (proxy warnings, refusals). @default - none */
  readonly log?: (message: string) => void;
}

export interface InvokeInit extends RequestInit {
  /** The raw path; `{param}`s of the route are filled from `pathParameters`. @default - the route's path */
  readonly path?: string;
  /** @default - the route's timeout */
  readonly timeoutMs?: number;
  /**
   * The signed-in caller, as API Gateway's JWT authorizer passes a verified
   * token's claims. A route with `auth` called without one gets the
   * authorizer's 401 and its handler is not called, as in AWS.
   * @default - no token
   */
  readonly user?: TestUser;
}

export interface TestUser {
  readonly sub: string;
  /** @default - none */
  readonly email?: string;
  /** @default - none */
  readonly groups?: readonly string[];
  /** `id` tokens carry the email; `access` tokens do not. @default "id" */
  readonly tokenUse?: 'id' | 'access';
}

/** Claims as API Gateway's JWT authorizer renders them in payload 2.0 (array claims as "[a b]"). */
export function authorizerClaims(user: TestUser): Record<string, string> {
  const tokenUse = user.tokenUse ?? 'id';
  return {
    sub: user.sub,
    token_use: tokenUse,
    ...(user.groups?.length ? { 'cognito:groups': `[${user.groups.join(' ')}]` } : {}),
    ...(tokenUse === 'id' && user.email ? { email: user.email, email_verified: 'true' } : {}),
  };
}

/** API Gateway's own answer when its JWT authorizer refuses a request without a token (no content-type: scripts/local/gateway-answers.ts). */
const AUTHORIZER_REFUSAL: ProxyResult = { statusCode: 401, headers: { 'www-authenticate': 'Bearer' }, body: '{"message":"Unauthorized"}', isBase64Encoded: false };

/** Variables that differ between the routes of one test file, set for each handler before its import. */
const ROUTE_VARIABLES = ['CORS_METHODS', 'ROUTE_ACCESS', 'AUTH_GROUPS'];

export interface LocalServices {
  readonly cloud: LocalCloud;
  /** The environment set on process.env for the named functions. */
  readonly environment: Readonly<Record<string, string>>;
  /** Calls a route's handler in-process with a payload 2.0 event for its method and path. */
  invoke(name: string, init?: InvokeInit): Promise<ProxyResult>;
  /** Calls a task's handler in-process (named in `functions`), e.g. `outbox-sweep` with `{}`. */
  invokeTask(name: string, event?: unknown): Promise<unknown>;
  /**
   * Delivers what a queue holds to the task it triggers (named in
   * `functions`), in-process, as its event source mapping does: batches,
   * partial batch failures, the visibility timeout, the dead-letter queue.
   * Resolves once no message is visible and no batch is running; messages
   * waiting out their visibility timeout stay queued
   * (`cloud.messaging.queue(name).list()`).
   */
  deliver(queue: string): Promise<void>;
  /**
   * A DocumentClient on the local tables with every right, to put the data a
   * test needs first and to check what a handler wrote (handlers keep their
   * own grants).
   */
  readonly documentClient: DynamoDBDocumentClient;
  /** The physical name of a table of functions/tables.ts in the local stand-ins, e.g. `sps-dev-posts`. */
  tableName(name: string): string;
  /** Ends the handlers' pools, restores process.env, stops the stand-ins and removes their data. */
  stop(): Promise<void>;
}

/**
 * As NODE_EXTRA_CA_CERTS does for a function's process (read at start-up, so
 * it cannot be set now): this process also trusts the RDS Proxy emulator's CA,
 * on top of the default store. The adapters keep `rejectUnauthorized: true`.
 */
let defaultCertificates: string[] | undefined;
function trustCertificateAuthority(caPem: string): void {
  // The default store plus this emulator's CA only (not one of an earlier test file's).
  defaultCertificates ??= tls.getCACertificates('default');
  tls.setDefaultCACertificates([...defaultCertificates, caPem]);
}

export async function startLocalServices(options: LocalServicesOptions): Promise<LocalServices> {
  const routes = options.routes ?? (registryRoutes as readonly RouteDefinition[]);
  const tasks = options.tasks ?? (registryTasks as readonly FunctionDefinition[]);
  const all: FunctionDefinition[] = [...routes, ...tasks];
  const selected = options.functions.map((name) => {
    const def = all.find((f) => f.name === name);
    if (!def) throw new Error(`startLocalServices: "${name}" is not in the registry; use one of ${all.map((f) => f.name).join(', ')}`);
    return def;
  });
  const functionsDir = options.functionsDir ?? FUNCTIONS_DIR;
  const tables = options.tables ?? registryTables;
  // A private folder: as root, Postgres runs as "postgres" and must reach its data.
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sps-local-services-'));
  chmodSync(dataDir, 0o755);
  const cloud = await startLocalCloud({
    config: options.config ?? loadConfig('dev'),
    dataDir,
    functions: all,
    tables,
    inMemoryDynamo: true,
    log: options.log,
  }).catch((err: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  });
  trustCertificateAuthority(cloud.proxy.caPem);

  const migrateDef = tasks.find((t) => t.name === 'migrate');
  if ((options.migrate ?? selected.some((f) => f.data?.sql)) && migrateDef) {
    // The real task, in its own process with its own environment, as the stack invokes it.
    const host = new FunctionHost({ region: cloud.config.region, accountId: '000000000000', onLog: () => undefined, baseEnvironment: { PATH: process.env.PATH ?? '' } });
    try {
      const outcome = await host.invoke(
        {
          name: 'migrate',
          functionName: 'migrate',
          handlerFile: path.resolve(FUNCTIONS_DIR, migrateDef.handler),
          memoryMb: migrateDef.memoryMb ?? DEFAULT_MEMORY_MB,
          timeoutSeconds: migrateDef.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
          environment: cloud.environmentOf(migrateDef),
        },
        {},
      );
      if (outcome.kind !== 'result') throw new Error(`migrations failed: ${outcome.kind === 'error' ? outcome.error.message : 'timed out'}`);
    } catch (err) {
      // Nothing of this start outlives the failure: the stand-ins stop, their data goes.
      await cloud.stop();
      rmSync(dataDir, { recursive: true, force: true });
      throw err;
    } finally {
      await host.close();
    }
  }

  const environment = cloud.environmentFor(selected);
  const previous = new Map([...Object.keys(environment), ...ROUTE_VARIABLES].map((k) => [k, process.env[k]]));
  Object.assign(process.env, environment);

  const handlers = new Map<string, Promise<(event: HttpEvent, context: LambdaContext) => Promise<ProxyResult>>>();
  const handlerOf = (def: FunctionDefinition) => {
    let h = handlers.get(def.name);
    if (!h) {
      // Read at the handler's init: its own route's values, not another route's of the same file.
      const own = cloud.environmentOf(def);
      for (const key of ROUTE_VARIABLES) {
        if (own[key] === undefined) delete process.env[key];
        else process.env[key] = own[key];
      }
      h = import(path.resolve(functionsDir, def.handler)).then((m: { handler?: unknown }) => {
        if (typeof m.handler !== 'function') throw new Error(`${def.handler} does not export a "handler" function`);
        return m.handler as (event: HttpEvent, context: LambdaContext) => Promise<ProxyResult>;
      });
      handlers.set(def.name, h);
    }
    return h;
  };

  const taskHandlers = new Map<string, Promise<(event: unknown, context: LambdaContext) => Promise<unknown>>>();
  const taskOf = (name: string) => {
    const def = selected.find((f) => f.name === name) as TaskDefinition | undefined;
    if (!def || 'path' in def) throw new Error(`"${name}" is not a task named in startLocalServices({ functions })`);
    if (!taskHandlers.has(name)) taskHandlers.set(name, import(path.resolve(FUNCTIONS_DIR, def.handler)).then((m: { handler: never }) => m.handler));
    return { def, handler: taskHandlers.get(name)! };
  };
  const runTask = async (name: string, event: unknown): Promise<unknown> => {
    const { def, handler } = taskOf(name);
    return (await handler)(event, lambdaContext((def.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000, name));
  };

  const documentClient = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: cloud.dynamo.endpoint, region: cloud.config.region, credentials: LOCAL_AWS_CREDENTIALS }),
    { marshallOptions: { removeUndefinedValues: true } },
  );

  return {
    cloud,
    environment,
    documentClient,
    tableName(name) {
      if (!(name in tables)) throw new Error(`tableName: "${name}" is not a table of functions/tables.ts; use one of ${Object.keys(tables).join(', ')}`);
      return physicalTableName(cloud.config.project, cloud.config.name, name);
    },
    async invoke(name, init = {}) {
      const def = selected.find((f) => f.name === name) as RouteDefinition | undefined;
      if (!def || !('path' in def)) throw new Error(`invoke: "${name}" is not a route named in startLocalServices({ functions })`);
      const params = init.pathParameters ?? {};
      const rawPath = init.path ?? def.path.replace(/\{([^}+]+)\+?\}/g, (_m, p: string) => encodeURIComponent(params[p] ?? p));
      const event = httpEvent(def.method, rawPath, { ...init, routeKey: init.routeKey ?? `${def.method} ${def.path}`, pathParameters: init.pathParameters });
      const handler = await handlerOf(def);
      if (def.auth && event.requestContext.http.method !== 'OPTIONS') {
        if (!init.user) return { ...AUTHORIZER_REFUSAL, headers: { ...AUTHORIZER_REFUSAL.headers } };
        Object.assign(event.requestContext, { authorizer: { jwt: { claims: authorizerClaims(init.user), scopes: null } } });
      }
      return handler(event, lambdaContext(init.timeoutMs ?? (def.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000, name));
    },
    invokeTask: (name, event = {}) => runTask(name, event),
    async deliver(queue) {
      const consumer = selected.find((f) => ((f as TaskDefinition).trigger as { queue?: string } | undefined)?.queue === queue) as TaskDefinition | undefined;
      if (!consumer) throw new Error(`deliver: no task named in startLocalServices({ functions }) is triggered by queue "${queue}"`);
      const trigger = consumer.trigger as { batchSize?: number; maximumConcurrency?: number };
      const invoke = (event: unknown): Promise<InvokeOutcome> =>
        runTask(consumer.name, event).then(
          (result) => ({ kind: 'result', payload: JSON.stringify(result ?? null), durationMs: 0 }),
          (err: Error) => ({ kind: 'error', error: { name: err.name, message: err.message }, durationMs: 0 }),
        );
      const mapping = new EventSourceMapping({
        queue: cloud.messaging.queue(queue),
        functionName: consumer.name,
        functionTimeoutSeconds: consumer.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
        batchSize: trigger.batchSize,
        maximumConcurrency: trigger.maximumConcurrency,
        region: cloud.config.region,
        invoke,
        log: options.log,
      }).start();
      await mapping.idle();
      mapping.stop();
    },
    async stop() {
      documentClient.destroy();
      await closeDatabases();
      for (const [k, v] of previous) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await cloud.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
