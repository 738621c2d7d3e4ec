/**
 * The local runtime behind `npm run dev`: embedded DynamoDB and PostgreSQL,
 * the tables and migrations, a local Data API endpoint, and an API Gateway
 * HTTP API stand-in serving every registry route from Lambda-like sandboxes.
 *
 * Importable: tests start it in-process on port 0 with a temporary data dir.
 */
import { existsSync, watch, type FSWatcher } from 'node:fs';
import fs from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type http from 'node:http';
import { routes as registryRoutes, tasks as registryTasks } from '../../functions/registry';
import type { FunctionDefinition, RouteDefinition } from '../../functions/registry-types';
import { DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_SECONDS } from '../../functions/registry-types';
import { physicalTableName, tableEnvVar } from '../../functions/tables';
import { loadConfig } from '../../infra/config';
import { startDataApiServer, type DataApiServer } from './data-api';
import { ensureTables, LOCAL_AWS_CREDENTIALS, startDynamo, type LocalDynamo } from './dynamo';
import { FunctionHost, type InvokeOutcome, type LocalFunction } from './functions';
import { createGatewayServer, type AccessLog } from './gateway';
import { freePort, LOCAL_DB_PASSWORD, startPostgres, stopStalePostmaster, type LocalPostgres } from './postgres';
import { isRunning } from '../build-support.mjs';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FUNCTIONS_DIR = path.join(REPO_ROOT, 'functions');
export const DEFAULT_DATA_DIR = path.join(REPO_ROOT, '.local');

export interface LocalRuntimeOptions {
  /** HTTP port of the API on `host`. @default 0 (a free port; the CLI defaults to 3000) */
  readonly port?: number;
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** Where DynamoDB and Postgres keep their data. @default "<repo>/.local" */
  readonly dataDir?: string;
  /** Delete `dataDir` first. @default false */
  readonly reset?: boolean;
  /** Allowed CORS origins. @default - the dev environment's `corsOrigins` */
  readonly corsOrigins?: readonly string[];
  /** Environment whose config (project name, CORS, region, database) the runtime mirrors. @default "dev" */
  readonly environment?: string;
  /** Postgres port. @default 0 (a free port) */
  readonly postgresPort?: number;
  /** Routes to serve. @default - every registry route */
  readonly routes?: readonly RouteDefinition[];
  /** Directory the routes' `handler` paths are relative to (absolute handler paths are kept). @default "<repo>/functions" */
  readonly functionsDir?: string;
  /** Run the `migrate` task at startup. @default true */
  readonly migrate?: boolean;
  /** Start every function's sandbox in the background once ready. @default false */
  readonly prewarm?: boolean;
  /**
   * Watch `functionsDir`: when handler code changes, retire the sandboxes so
   * the next requests run the new code. Changes to the registry, tables or
   * migrations are reported as needing a restart. @default false (the CLI turns it on)
   */
  readonly watch?: boolean;
  /** Runtime messages (startup steps, function errors). @default - none */
  readonly log?: (message: string) => void;
  /** One line per request. @default - none */
  readonly onRequest?: (entry: AccessLog) => void;
  /** What functions write (their structured logs). @default - this process's stdout/stderr */
  readonly functionLogs?: (text: string, functionName: string) => void;
}

export interface LocalRuntime {
  /** Base URL of the API, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** The current Postgres (a new object after `faults.startPostgres()`, same port). */
  readonly postgres: LocalPostgres;
  /** The current dynalite (a new object after `faults.startDynamo()`, same port). */
  readonly dynamo: LocalDynamo;
  /**
   * Fault injection for reliability tests: stop a database under a running
   * API and bring it back on the same port and data (functions keep their
   * endpoints, as they would across an Aurora failover or a DynamoDB outage).
   */
  readonly faults: {
    stopPostgres(): Promise<void>;
    startPostgres(): Promise<void>;
    stopDynamo(): Promise<void>;
    startDynamo(): Promise<void>;
  };
  readonly dataApi: DataApiServer;
  /** Environment variables each function gets, by registry name. */
  readonly functionEnvironment: Readonly<Record<string, Record<string, string>>>;
  /** Milliseconds from start call to ready, by step. */
  readonly timings: Readonly<Record<string, number>>;
  /** Invokes a task (e.g. `migrate`) as the stack would, returning the raw outcome. */
  invokeTask(name: string, event?: unknown): Promise<InvokeOutcome>;
  /** Stops the API, the sandboxes, the Data API endpoint and both databases. */
  stop(): Promise<void>;
}

const ACCOUNT_ID = '000000000000';
/** More unexpected Postgres exits than this within a minute: leave it down and say so. */
const MAX_POSTGRES_RESTARTS_PER_MINUTE = 3;

function localFunctionName(project: string, env: string, name: string): string {
  return `${project}-${env}-${name}`;
}

const LOCK_FILE = 'runtime.pid';

/** Calls `onChange` with the changed files (relative to `dir`), debounced. */
function watchFunctions(dir: string, onChange: (files: string[]) => void): FSWatcher {
  const changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(dir, { recursive: true }, (_event, file) => {
    if (!file || !/\.(ts|mts|js|mjs|json|sql)$/.test(file)) return;
    changed.add(file.split(path.sep).join('/'));
    clearTimeout(timer);
    timer = setTimeout(() => {
      const files = [...changed];
      changed.clear();
      onChange(files);
    }, 100);
  });
  watcher.on('error', () => undefined);
  return watcher;
}

/**
 * One runtime per data dir: a second `npm run dev` on the same folder would
 * fight over LevelDB's lock and the postmaster. A lock left by a dead
 * process is taken over.
 */
async function claimDataDir(dataDir: string): Promise<void> {
  const file = path.join(dataDir, LOCK_FILE);
  const owner = Number(await fs.readFile(file, 'utf8').catch(() => ''));
  if (Number.isInteger(owner) && owner > 0 && owner !== process.pid) {
    // A runtime killed a moment ago may still be exiting (or be an unreaped
    // zombie): give it a few seconds before calling the folder busy.
    const deadline = Date.now() + 3000;
    while (await runtimeAlive(owner)) {
      if (Date.now() > deadline) {
        throw new Error(
          `${dataDir} is in use by another local runtime (pid ${owner}); stop it first, or set LOCAL_DATA_DIR to another folder`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await fs.writeFile(file, String(process.pid));
}

/** Whether `pid` is a live node process (not gone, not a zombie, not a recycled pid of another program). */
async function runtimeAlive(pid: number): Promise<boolean> {
  if (!isRunning(pid)) return false;
  const cmd = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => 'node');
  return cmd.includes('node');
}

/** A placeholder ARN the Data API endpoint accepts (it does not check them). */
function clusterArn(region: string, project: string, env: string): string {
  return `arn:aws:rds:${region}:${ACCOUNT_ID}:cluster:${project}-${env}`;
}

export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const t0 = Date.now();
  // Local Node may be older than Lambda's; the SDK's notice about it is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const timings: Record<string, number> = {};
  const mark = (step: string) => (timings[step] = Date.now() - t0);
  const log = options.log ?? (() => undefined);
  const envName = options.environment ?? 'dev';
  const config = loadConfig(envName);
  const dataDir = path.resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const functionsDir = options.functionsDir ?? FUNCTIONS_DIR;
  const corsOrigins = options.corsOrigins ?? config.corsOrigins;
  const routes = options.routes ?? (registryRoutes as readonly RouteDefinition[]);

  await fs.mkdir(dataDir, { recursive: true });
  await claimDataDir(dataDir);
  if (options.reset) {
    await stopStalePostmaster(path.join(dataDir, 'postgres'));
    await fs.rm(dataDir, { recursive: true, force: true });
    await fs.mkdir(dataDir, { recursive: true });
    await claimDataDir(dataDir);
    log(`reset: removed the data in ${dataDir}`);
  }

  const stack: (() => Promise<void>)[] = [() => fs.rm(path.join(dataDir, LOCK_FILE), { force: true })];
  const unwind = async () => {
    for (const stop of stack.reverse()) await stop().catch(() => undefined);
    stack.length = 0;
  };

  try {
    const dynamoPath = path.join(dataDir, 'dynamodb');
    const postgresOptions = {
      dataDir: path.join(dataDir, 'postgres'),
      user: config.aurora.masterUsername,
      password: LOCAL_DB_PASSWORD,
      database: config.aurora.databaseName,
      onLog: (line: string) => {
        if (/\b(ERROR|FATAL|PANIC):/.test(line)) log(`postgres: ${line}`);
      },
    };
    const tableName = (name: string) => physicalTableName(config.project, envName, name);

    interface Endpoints {
      postgresPort: number;
      dynamo?: string;
      dataApi?: string;
    }
    // What infra sets on each function (see TEAM.md), with local endpoints.
    const environmentFor = (fn: FunctionDefinition, endpoints: Endpoints): Record<string, string> => {
      const env: Record<string, string> = {
        APP_ENV: envName,
        CORS_ORIGINS: corsOrigins.join(','),
        AWS_REGION: config.region,
        AWS_DEFAULT_REGION: config.region,
        AWS_ACCESS_KEY_ID: LOCAL_AWS_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_AWS_CREDENTIALS.secretAccessKey,
        AWS_SESSION_TOKEN: 'local',
      };
      const tables = Object.keys(fn.data?.tables ?? {});
      for (const t of tables) env[tableEnvVar(t)] = tableName(t);
      if (tables.length && endpoints.dynamo) env.DYNAMODB_ENDPOINT = endpoints.dynamo;
      if (fn.data?.sql) {
        env.DB_NAME = postgresOptions.database;
        env.DB_USER = postgresOptions.user;
      }
      if (fn.data?.sql === 'proxy') {
        env.DB_PROXY_ENDPOINT = '127.0.0.1';
        env.DB_PORT = String(endpoints.postgresPort);
        env.DB_PASSWORD = postgresOptions.password;
        env.DB_SSL = 'false';
      }
      if (fn.data?.sql === 'data-api') {
        env.DB_CLUSTER_ARN = clusterArn(config.region, config.project, envName);
        env.DB_SECRET_ARN = `arn:aws:secretsmanager:${config.region}:${ACCOUNT_ID}:secret:${config.project}-${envName}-db-local`;
        if (endpoints.dataApi) env.RDS_DATA_ENDPOINT = endpoints.dataApi;
      }
      return env;
    };
    // Route handlers resolve against `functionsDir` (an absolute path is kept);
    // tasks (the migrate function) always come from functions/.
    const toLocal = (fn: FunctionDefinition, endpoints: Endpoints, dir = functionsDir): LocalFunction => ({
      name: fn.name,
      functionName: localFunctionName(config.project, envName, fn.name),
      handlerFile: path.resolve(dir, fn.handler),
      memoryMb: fn.memoryMb ?? DEFAULT_MEMORY_MB,
      timeoutSeconds: fn.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
      environment: environmentFor(fn, endpoints),
    });

    const functionLogs = options.functionLogs;
    const host = new FunctionHost({
      region: config.region,
      accountId: ACCOUNT_ID,
      onLog: functionLogs ? (fn, text) => functionLogs(text, fn.functionName) : undefined,
      baseEnvironment: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        TZ: 'UTC',
        LANG: 'en_US.UTF-8',
        ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
        // The SDK's Node version notice is noise in local logs.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    });
    stack.push(() => host.close());

    // Postgres's port is chosen up front so that the migrate sandbox (a task:
    // it needs no DynamoDB or Data API endpoint) can start its cold start on
    // another thread while the databases start.
    const wantedPort = options.postgresPort || (await freePort());
    const taskDefs = registryTasks as readonly FunctionDefinition[];
    let taskFns = new Map(taskDefs.map((t) => [t.name, toLocal(t, { postgresPort: wantedPort }, FUNCTIONS_DIR)]));
    const migrateFirst = taskFns.get('migrate');
    const runMigrations = (options.migrate ?? true) && migrateFirst !== undefined && existsSync(migrateFirst.handlerFile);
    if (runMigrations) void host.warm(migrateFirst!).catch(() => undefined);

    const [dynamoStart, postgresStart] = await Promise.allSettled([
      startDynamo({ path: dynamoPath }).then((d) => {
        mark('dynamodb');
        return d;
      }),
      startPostgres({ ...postgresOptions, port: wantedPort, fallbackToFreePort: !options.postgresPort }).then((p) => {
        mark(p.initialised ? 'postgres (initdb)' : 'postgres');
        return p;
      }),
    ]);
    if (dynamoStart.status === 'rejected' || postgresStart.status === 'rejected') {
      if (dynamoStart.status === 'fulfilled') await dynamoStart.value.stop();
      if (postgresStart.status === 'fulfilled') await postgresStart.value.stop();
      throw dynamoStart.status === 'rejected' ? dynamoStart.reason : (postgresStart as PromiseRejectedResult).reason;
    }
    let dynamo = dynamoStart.value;
    let postgres = postgresStart.value;
    stack.push(() => dynamo.stop());
    stack.push(() => postgres.stop());
    const dataApi = await startDataApiServer({ pg: postgres });
    stack.push(dataApi.close);
    // On stop, the sandboxes go before the databases (closing twice is a no-op):
    // their pools then end quietly instead of logging Postgres's "terminating
    // connection" (57P01) as failed idle connections.
    stack.push(() => host.close());
    const endpoints: Endpoints = { postgresPort: postgres.port, dynamo: dynamo.endpoint, dataApi: dataApi.url };
    if (postgres.port !== wantedPort) {
      // The port was taken meanwhile: sandboxes made with the old one must go.
      for (const t of taskDefs) host.retire(t.name);
    }
    taskFns = new Map(taskDefs.map((t) => [t.name, toLocal(t, endpoints, FUNCTIONS_DIR)]));

    const created = await ensureTables(dynamo.endpoint, tableName);
    if (created.length) log(`created tables: ${created.join(', ')}`);
    mark('tables');

    const invokeTask = (name: string, event: unknown = {}) => {
      const fn = taskFns.get(name);
      if (!fn) throw new Error(`unknown task "${name}"; tasks: ${[...taskFns.keys()].join(', ')}`);
      return host.invoke(fn, event);
    };

    if (options.migrate ?? true) {
      const migrate = taskFns.get('migrate');
      if (runMigrations && migrate) {
        const outcome = await host.invoke(migrate, { source: 'local-runtime' });
        if (outcome.kind !== 'result') {
          const reason = outcome.kind === 'timeout' ? 'timed out' : `${outcome.error.name}: ${outcome.error.message}`;
          throw new Error(`migrations failed (${reason})`);
        }
        log(`migrations: ${outcome.payload}`);
      } else {
        log('migrations: functions/migrate.ts not found, skipped');
      }
      mark('migrations');
    }

    const functionEnvironment: Record<string, Record<string, string>> = {};
    const gatewayRoutes = routes.map((r) => {
      const fn = toLocal(r, endpoints);
      functionEnvironment[r.name] = fn.environment;
      return { method: r.method, path: r.path, fn };
    });
    for (const [name, fn] of taskFns) functionEnvironment[name] = fn.environment;

    const server: http.Server = createGatewayServer({
      routes: gatewayRoutes,
      invoke: (fn, event) => host.invoke(fn, event),
      accountId: ACCOUNT_ID,
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
    stack.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    const { port } = server.address() as AddressInfo;
    mark('ready');

    if (options.watch) {
      const watcher = watchFunctions(functionsDir, (files) => {
        const structural = files.filter((f) => /^(registry|registry-types|tables)\.ts$|^migrations\//.test(f));
        if (structural.length) log(`changed ${structural.join(', ')}: restart npm run dev to apply`);
        host.retireAll();
        log(`reloaded functions (${files.slice(0, 3).join(', ')}${files.length > 3 ? ', …' : ''} changed)`);
      });
      stack.push(async () => watcher.close());
    }

    if (options.prewarm) {
      // Two at a time: eleven cold starts at once would starve the first requests.
      const queue = [...new Map(gatewayRoutes.map((r) => [r.fn.name, r.fn])).values()];
      const next = async (): Promise<void> => {
        const fn = queue.shift();
        if (!fn) return;
        await host.warm(fn).catch(() => undefined);
        return next();
      };
      void next();
      void next();
    }

    let stopping: Promise<void> | undefined;
    let postgresDown = false;
    let dynamoDown = false;

    // Postgres is a separate process: if it dies while we run (killed, out of
    // memory, a crash), say so and start it again on the same port, where the
    // functions' pools and the Data API endpoint reconnect by themselves. A
    // postmaster that keeps dying is left down, and SQL routes answer 503.
    const restarts: number[] = [];
    /** Starts Postgres on `port`, makes it the runtime's, and supervises it. */
    const startSupervised = async (port: number) => {
      postgres = await startPostgres({ ...postgresOptions, port });
      supervise(postgres);
      return postgres;
    };
    const supervise = (pg: LocalPostgres) => {
      void pg.exited.then(async (code) => {
        // An exit after stop() (the runtime's, or a fault test's) is expected.
        if (stopping || pg !== postgres || pg.stopRequested) return;
        const how = code !== null && code > 128 ? `killed by signal ${code - 128}` : `exit code ${code}`;
        const now = Date.now();
        restarts.push(now);
        while (restarts[0]! < now - 60_000) restarts.shift();
        if (restarts.length > MAX_POSTGRES_RESTARTS_PER_MINUTE) {
          log(`postgres exited (${how}) ${restarts.length} times within a minute: not restarting it; SQL routes answer 503 until you restart npm run dev (its log: ${path.join(dataDir, 'postgres.log')})`);
          return;
        }
        log(`postgres exited unexpectedly (${how}); restarting it on port ${pg.port}`);
        for (let attempt = 1; !stopping && !postgresDown; attempt++) {
          try {
            const next = await startSupervised(pg.port);
            // Stopped meanwhile (runtime or fault test): that stop saw the dead one.
            if (stopping || postgresDown) await next.stop();
            else log(`postgres restarted (pid ${next.pid})`);
            return;
          } catch (err) {
            // Its backends may still be exiting and holding the shared memory for a moment.
            if (attempt >= 5) {
              log(`postgres could not be restarted: ${(err as Error).message.split('\n')[0]}; SQL routes answer 503 until you restart npm run dev`);
              return;
            }
            await new Promise((r) => setTimeout(r, 200 * attempt));
          }
        }
      });
    };
    supervise(postgres);

    const faults = {
      async stopPostgres() {
        postgresDown = true;
        await postgres.stop();
      },
      async startPostgres() {
        if (!postgresDown) return;
        await startSupervised(postgres.port);
        postgresDown = false;
      },
      async stopDynamo() {
        dynamoDown = true;
        await dynamo.stop();
      },
      async startDynamo() {
        if (!dynamoDown) return;
        dynamo = await startDynamo({ path: dynamoPath, port: dynamo.port });
        dynamoDown = false;
      },
    };
    return {
      url: `http://${options.host ?? '127.0.0.1'}:${port}`,
      port,
      dataDir,
      get postgres() {
        return postgres;
      },
      get dynamo() {
        return dynamo;
      },
      faults,
      dataApi,
      functionEnvironment,
      timings,
      invokeTask,
      stop: () => (stopping ??= unwind()),
    };
  } catch (err) {
    await unwind();
    throw err;
  }
}
