/**
 * The local runtime behind `npm run dev`: what AWS runs for the stack, on this
 * machine. `startLocalRuntime` reads as its list of steps:
 *
 *   claim the data dir → local IAM and Secrets Manager → RDS Proxy emulator →
 *   DynamoDB (dynalite), PostgreSQL 17 and the Cognito user pool → Data API
 *   endpoint → tables → function sandboxes (their environment and grants from
 *   the registry, as the stack writes them) → the migrate task → the API
 *   Gateway stand-in, with the pool's JWT authorizer on the routes with `auth`
 *   → the tasks' queue and schedule triggers.
 *
 * Functions reach their data exactly as in AWS: SQL through the RDS Proxy
 * emulator (TLS, IAM tokens, the application role), the Data API with the
 * role's secret, DynamoDB and Secrets Manager through the SDK's standard
 * endpoint variables. Importable: tests start it in-process on port 0.
 */
import { existsSync, watch } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type http from 'node:http';
import { routes as registryRoutes, tasks as registryTasks } from '../../functions/registry';
import type { QueueDefinition, TopicDefinition } from '../../functions/messaging';
import type { FunctionDefinition, RouteDefinition, TaskDefinition } from '../../functions/registry-types';
import { DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_SECONDS } from '../../functions/registry-schema';
import { tables as registryTables, type TableDefinition } from '../../functions/tables';
import { loadConfig, type EnvironmentConfig } from '../../infra/config';
import { FUNCTIONS_DIR, LOCAL_DATA_DIR } from '../../infra/paths';
import { createJwtAuthorizer, type JwtAuthorizer } from './authorizer';
import { LOCAL_ACCOUNT_ID, startLocalCloud, Teardown, type LocalCloud } from './cloud';
import type { LocalUserPool } from './cognito';
import type { DataApiServer } from './data-api';
import type { LocalDynamo } from './dynamo';
import type { LocalFaults } from './faults';
import { FunctionHost, type InvokeOutcome, type LocalFunction } from './functions';
import { createGatewayServer, type AccessLog } from './gateway';
import type { LocalCredentials } from './iam';
import type { LocalPostgres } from './postgres';
import type { RdsProxyEmulator } from './rds-proxy';
import { startTriggers, type LocalTriggers } from './triggers';


export interface LocalRuntimeOptions {
  /** HTTP port of the API on `host`. @default 0 (a free port; the CLI defaults to 3000) */
  readonly port?: number;
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** Where DynamoDB, Postgres and the secrets keep their data. @default "<repo>/.local" */
  readonly dataDir?: string;
  /** Delete `dataDir` first. @default false */
  readonly reset?: boolean;
  /** Allowed CORS origins. @default - the environment's `corsOrigins` */
  readonly corsOrigins?: readonly string[];
  /** Environment whose config (project name, CORS, region, database) the runtime mirrors. @default "dev" */
  readonly environment?: string;
  /** An environment config to use instead of `environment`'s (tests). @default - loadConfig(environment) */
  readonly config?: EnvironmentConfig;
  /** Postgres port. @default 0 (a free port) */
  readonly postgresPort?: number;
  /** Routes to serve. @default - every registry route */
  readonly routes?: readonly RouteDefinition[];
  /** Tasks (functions invoked by name, a queue or a schedule). @default - the registry's tasks */
  readonly tasks?: readonly TaskDefinition[];
  /** DynamoDB tables. @default - functions/tables.ts */
  readonly tables?: Readonly<Record<string, TableDefinition>>;
  /** SNS topics and SQS queues. @default - functions/messaging.ts */
  readonly topics?: Readonly<Record<string, TopicDefinition>>;
  readonly queues?: Readonly<Record<string, QueueDefinition>>;
  /** Run every `rate(...)` schedule this often instead (tests). @default - each schedule's own rate */
  readonly scheduleEveryMs?: number;
  /** Directory the routes' `handler` paths are relative to (absolute handler paths are kept). @default "<repo>/functions" */
  readonly functionsDir?: string;
  /** Run the `migrate` task at startup. @default true */
  readonly migrate?: boolean;
  /**
   * Start the Cognito user pool emulator, whose tokens the routes with `auth`
   * accept. Without it, a route with `auth` fails the start. @default true
   */
  readonly userPool?: boolean;
  /** Start every function's sandbox in the background once ready. @default false */
  readonly prewarm?: boolean;
  /**
   * Watch `functionsDir`: when handler code changes, retire the sandboxes so
   * the next requests run the new code. Changes to the registry, tables or
   * migrations are reported as needing a restart. @default false (the CLI turns it on)
   */
  readonly watch?: boolean;
  /** Runtime messages (startup steps, function errors, proxy warnings). @default - none */
  readonly log?: (message: string) => void;
  /** One line per request. @default - none */
  readonly onRequest?: (entry: AccessLog) => void;
  /** What functions write (their structured logs). @default - this process's stdout/stderr */
  readonly functionLogs?: (text: string, functionName: string) => void;
  /** Extra Node flags for the function sandboxes (`npm run bench:load` profiles them). @default none */
  readonly sandboxExecArgv?: readonly string[];
}

export interface LocalRuntime {
  /** Base URL of the API, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** The current Postgres (a new object after a restart, same port). Its login is the master user's. */
  readonly postgres: LocalPostgres;
  /** The current dynalite (a new object after `faults.startDynamo()`, same port). */
  readonly dynamo: LocalDynamo;
  /** The AWS stand-ins (IAM, secrets, proxy, databases, user pool). */
  readonly cloud: LocalCloud;
  /** The Cognito user pool emulator (unless `userPool: false`): its endpoint, pool and app client ids. */
  readonly userPool?: LocalUserPool;
  readonly proxy: RdsProxyEmulator;
  readonly dataApi: DataApiServer;
  /**
   * Fault injection for reliability tests: stop a database under a running
   * API and bring it back on the same port and data (functions keep their
   * endpoints, as they would across an Aurora failover or a DynamoDB outage).
   */
  readonly faults: LocalFaults;
  /** Environment variables each function gets, by registry name. */
  readonly functionEnvironment: Readonly<Record<string, Record<string, string>>>;
  /** The credentials each function gets (its role's), by registry name. */
  credentials(name: string): LocalCredentials;
  /** Milliseconds from start call to ready, by step. */
  readonly timings: Readonly<Record<string, number>>;
  /** Invokes a task (e.g. `migrate`) as the stack would, returning the raw outcome. */
  invokeTask(name: string, event?: unknown): Promise<InvokeOutcome>;
  /** The queues' event source mappings (by queue name) and the schedules. */
  readonly triggers: LocalTriggers;
  /** Stops the API, the sandboxes, the stand-ins and both databases. */
  stop(): Promise<void>;
}

/**
 * Starts the cloud stand-ins, then the functions and the API on top:
 *
 *   local cloud (cloud.ts) → function sandboxes → the migrate task → the API.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  const mark = (step: string) => (timings[step] = Date.now() - t0);
  const log = options.log ?? (() => undefined);
  const config = options.config ?? loadConfig(options.environment ?? 'dev');
  const routes = options.routes ?? (registryRoutes as readonly RouteDefinition[]);
  const tasks = options.tasks ?? (registryTasks as readonly TaskDefinition[]);
  const teardown = new Teardown();

  // Sandboxes exist before the cloud so the migrate task's cold start can
  // overlap the databases' start (it needs only the proxy and Secrets Manager).
  const host = createFunctionHost(config, options);
  const functions = localFunctions(config);
  // Tasks come from functions/ whatever `functionsDir` is (fixture routes in tests).
  const migrateDef = tasks.find((t) => t.name === 'migrate');
  const runMigrations = (options.migrate ?? true) && migrateDef !== undefined && existsSync(path.resolve(FUNCTIONS_DIR, migrateDef.handler));
  let migrate: LocalFunction | undefined;

  try {
    // 1. The cloud: IAM, secrets, RDS Proxy emulator, DynamoDB, Postgres, Data API, tables.
    const cloud = await startLocalCloud({
      config,
      dataDir: options.dataDir ?? LOCAL_DATA_DIR,
      reset: options.reset,
      functions: [...routes, ...tasks],
      tables: options.tables ?? registryTables,
      topics: options.topics,
      queues: options.queues,
      corsOrigins: options.corsOrigins,
      postgresPort: options.postgresPort,
      userPool: options.userPool ?? true,
      log,
      onStep: mark,
      onEndpointsReady: (early) => {
        functions.useCloud(early);
        if (!runMigrations) return;
        migrate = functions.make(migrateDef!, FUNCTIONS_DIR);
        void host.warm(migrate).catch(() => undefined);
      },
    });
    functions.useCloud(cloud);
    teardown.add(cloud.stop);
    // On stop, the sandboxes go before the databases: their pools then end
    // quietly instead of logging Postgres's "terminating connection" (57P01).
    teardown.add(() => host.close());

    // 2. The migrate task, as the stack invokes it on apply.
    const tasksByName = new Map(tasks.map((t) => [t.name, t.name === 'migrate' && migrate ? migrate : functions.make(t, FUNCTIONS_DIR)]));
    if (options.migrate ?? true) {
      await migrateAtStart(host, runMigrations ? tasksByName.get('migrate') : undefined, log);
      mark('migrations');
    }

    // 3. The API Gateway stand-in.
    const functionsDir = options.functionsDir ?? FUNCTIONS_DIR;
    const gatewayRoutes = routes.map((r) => ({ method: r.method, path: r.path, auth: r.auth, fn: functions.make(r, functionsDir) }));
    const authorizer = cloud.userPool && createJwtAuthorizer({ issuer: cloud.userPool.issuer, audience: [cloud.userPool.clientId], jwksUri: cloud.userPool.jwksUri });
    const server = await serveApi(gatewayRoutes, host, authorizer, options, log);
    teardown.add(server.close);
    mark('ready');

    if (options.watch) teardown.add(watchFunctions(functionsDir, host, log));
    if (options.prewarm) prewarm(host, gatewayRoutes.map((r) => r.fn));

    // 4. The tasks' triggers: queues (event source mappings) and schedules.
    const triggers = startTriggers(tasks, tasksByName, host, cloud, { log, scheduleEveryMs: options.scheduleEveryMs });
    teardown.add(triggers.stop);

    const url = `http://${options.host ?? '127.0.0.1'}:${server.port}`;
    const functionEnvironment = Object.fromEntries([...gatewayRoutes.map((r) => r.fn), ...tasksByName.values()].map((fn) => [fn.name, fn.environment]));
    return runtimeOf({ url, port: server.port, cloud, host, tasksByName, functionEnvironment, timings, teardown, triggers });
  } catch (err) {
    await host.close();
    await teardown.run();
    throw err;
  }
}

function createFunctionHost(config: EnvironmentConfig, options: LocalRuntimeOptions): FunctionHost {
  return new FunctionHost({
    region: config.region,
    accountId: LOCAL_ACCOUNT_ID,
    onLog: options.functionLogs ? (fn, text) => options.functionLogs!(text, fn.functionName) : undefined,
    baseEnvironment: { PATH: process.env.PATH ?? '/usr/bin:/bin', TZ: 'UTC', LANG: 'en_US.UTF-8', ...(process.env.HOME ? { HOME: process.env.HOME } : {}) },
    execArgv: options.sandboxExecArgv,
  });
}

/** Functions as the sandboxes run them; their environment comes from the cloud, once it has its endpoints. */
function localFunctions(config: EnvironmentConfig) {
  let cloud: Pick<LocalCloud, 'environmentOf'> | undefined;
  return {
    useCloud: (c: Pick<LocalCloud, 'environmentOf'>) => void (cloud = c),
    make: (fn: FunctionDefinition, dir: string): LocalFunction => ({
      name: fn.name,
      functionName: `${config.project}-${config.name}-${fn.name}`,
      handlerFile: path.resolve(dir, fn.handler),
      memoryMb: fn.memoryMb ?? DEFAULT_MEMORY_MB,
      timeoutSeconds: fn.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
      environment: cloud!.environmentOf(fn),
    }),
  };
}

/** Runs the migrate task, as the stack invokes it on apply; a failure stops the start. */
async function migrateAtStart(host: FunctionHost, migrate: LocalFunction | undefined, log: (m: string) => void): Promise<void> {
  if (!migrate) {
    log('migrations: functions/migrate.ts not found, skipped');
    return;
  }
  const outcome = await host.invoke(migrate, { source: 'local-runtime' });
  if (outcome.kind !== 'result') {
    const reason = outcome.kind === 'timeout' ? 'timed out' : `${outcome.error.name}: ${outcome.error.message}`;
    throw new Error(`migrations failed (${reason})`);
  }
  log(`migrations: ${outcome.payload}`);
}

/** The running runtime as callers see it; `stop` runs the teardown once. */
function runtimeOf(parts: {
  url: string;
  port: number;
  cloud: LocalCloud;
  host: FunctionHost;
  tasksByName: Map<string, LocalFunction>;
  functionEnvironment: Record<string, Record<string, string>>;
  timings: Record<string, number>;
  teardown: Teardown;
  triggers: LocalTriggers;
}): LocalRuntime {
  const { cloud, host, tasksByName, teardown } = parts;
  let stopping: Promise<void> | undefined;
  return {
    url: parts.url,
    port: parts.port,
    dataDir: cloud.dataDir,
    get postgres() {
      return cloud.postgres;
    },
    get dynamo() {
      return cloud.dynamo;
    },
    cloud,
    userPool: cloud.userPool,
    proxy: cloud.proxy,
    dataApi: cloud.dataApi,
    faults: cloud.faults,
    functionEnvironment: parts.functionEnvironment,
    credentials: (name) => cloud.credentials(name),
    timings: parts.timings,
    invokeTask: (name, event = {}) => {
      const fn = tasksByName.get(name);
      if (!fn) throw new Error(`unknown task "${name}"; tasks: ${[...tasksByName.keys()].join(', ')}`);
      return host.invoke(fn, event);
    },
    triggers: parts.triggers,
    stop: () => (stopping ??= teardown.run()),
  };
}

async function serveApi(
  routes: { method: string; path: string; auth?: RouteDefinition['auth']; fn: LocalFunction }[],
  host: FunctionHost,
  authorizer: JwtAuthorizer | undefined,
  options: LocalRuntimeOptions,
  log: (m: string) => void,
): Promise<{ port: number; close: () => Promise<void> }> {
  const server: http.Server = createGatewayServer({
    routes,
    invoke: (fn, event) => host.invoke(fn, event),
    authorizer,
    accountId: LOCAL_ACCOUNT_ID,
    onRequest: options.onRequest,
    onFunctionError: (fn, message) => log(`${fn.functionName}: ${message}`),
  });
  // Keep idle client connections longer than clients keep them (Node's
  // default 5 s races keep-alive agents that reuse a socket just as the
  // server closes it: "socket hang up"). API Gateway's idle timeout is long too.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Reloads functions when their code changes; returns the watcher's stop. */
function watchFunctions(dir: string, host: FunctionHost, log: (m: string) => void): () => Promise<void> {
  const changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(dir, { recursive: true }, (_event, file) => {
    if (!file || !/\.(ts|mts|js|mjs|json|sql)$/.test(file)) return;
    changed.add(file.split(path.sep).join('/'));
    clearTimeout(timer);
    timer = setTimeout(() => {
      const files = [...changed];
      changed.clear();
      const structural = files.filter((f) => /^(registry|registry-types|tables|messaging)\.ts$|^migrations\//.test(f));
      if (structural.length) log(`changed ${structural.join(', ')}: restart npm run dev to apply`);
      host.retireAll();
      log(`reloaded functions (${files.slice(0, 3).join(', ')}${files.length > 3 ? ', …' : ''} changed)`);
    }, 100);
  });
  watcher.on('error', () => undefined);
  return async () => watcher.close();
}

/** Starts every function's sandbox in the background, two at a time (more would starve the first requests). */
function prewarm(host: FunctionHost, fns: LocalFunction[]): void {
  const queue = [...new Map(fns.map((f) => [f.name, f])).values()];
  const next = async (): Promise<void> => {
    const fn = queue.shift();
    if (!fn) return;
    await host.warm(fn).catch(() => undefined);
    return next();
  };
  void next();
  void next();
}
