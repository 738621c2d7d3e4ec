/**
 * The local runtime behind `npm run dev`: what AWS runs for the stack, on this
 * machine. `startLocalRuntime` reads as its list of steps:
 *
 *   claim the data dir → local IAM and Secrets Manager → RDS Proxy emulator →
 *   DynamoDB (dynalite) and PostgreSQL 17 → Data API endpoint → tables →
 *   function sandboxes (their environment and grants from the registry, as the
 *   stack writes them) → the migrate task → the API Gateway stand-in.
 *
 * Functions reach their data exactly as in AWS: SQL through the RDS Proxy
 * emulator (TLS, IAM tokens, the application role), the Data API with the
 * role's secret, DynamoDB and Secrets Manager through the SDK's standard
 * endpoint variables. Importable: tests start it in-process on port 0.
 */
import { existsSync, watch } from 'node:fs';
import fs from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type http from 'node:http';
import { routes as registryRoutes, tasks as registryTasks } from '../../functions/registry';
import type { FunctionDefinition, RouteDefinition } from '../../functions/registry-types';
import { DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_SECONDS } from '../../functions/registry-types';
import { physicalTableName, tables as registryTables, type TableDefinition } from '../../functions/tables';
import { loadConfig, type EnvironmentConfig } from '../../infra/config';
import { functionEnvironment, functionGrants, proxyBorrowTimeoutSeconds, type ContractValues } from '../../infra/function-contract';
import { isRunning } from '../build-support.mjs';
import { startDataApiServer, type DataApiServer } from './data-api';
import { ensureTables, startDynamo, type LocalDynamo } from './dynamo';
import { FunctionHost, type InvokeOutcome, type LocalFunction } from './functions';
import { createGatewayServer, type AccessLog } from './gateway';
import { LocalIam, type LocalCredentials } from './iam';
import { freePort, LOCAL_DB_PASSWORD, startPostgres, stopStalePostmaster, type LocalPostgres } from './postgres';
import { supervisePostgres, type SupervisedPostgres } from './postgres-supervisor';
import { startRdsProxyEmulator, type RdsProxyEmulator } from './rds-proxy';
import { LocalSecrets, startSecretsEndpoint, type SecretsEndpoint } from './secrets';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FUNCTIONS_DIR = path.join(REPO_ROOT, 'functions');
export const DEFAULT_DATA_DIR = path.join(REPO_ROOT, '.local');

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
  /** Tasks (functions invoked by name). @default - the registry's tasks */
  readonly tasks?: readonly FunctionDefinition[];
  /** DynamoDB tables. @default - functions/tables.ts */
  readonly tables?: Readonly<Record<string, TableDefinition>>;
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
  /** Runtime messages (startup steps, function errors, proxy warnings). @default - none */
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
  /** The current Postgres (a new object after a restart, same port). Its login is the master user's. */
  readonly postgres: LocalPostgres;
  /** The current dynalite (a new object after `faults.startDynamo()`, same port). */
  readonly dynamo: LocalDynamo;
  readonly proxy: RdsProxyEmulator;
  readonly dataApi: DataApiServer;
  readonly secrets: LocalSecrets;
  readonly iam: LocalIam;
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
  /** Environment variables each function gets, by registry name. */
  readonly functionEnvironment: Readonly<Record<string, Record<string, string>>>;
  /** The credentials each function gets (its role's), by registry name. */
  credentials(name: string): LocalCredentials;
  /** Milliseconds from start call to ready, by step. */
  readonly timings: Readonly<Record<string, number>>;
  /** Invokes a task (e.g. `migrate`) as the stack would, returning the raw outcome. */
  invokeTask(name: string, event?: unknown): Promise<InvokeOutcome>;
  /** Stops the API, the sandboxes, the stand-ins and both databases. */
  stop(): Promise<void>;
}

export const LOCAL_ACCOUNT_ID = '000000000000';
const LOCK_FILE = 'runtime.pid';

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
        throw new Error(`${dataDir} is in use by another local runtime (pid ${owner}); stop it first, or set LOCAL_DATA_DIR to another folder`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await fs.writeFile(file, String(process.pid));
}

/** Creates and claims the data dir; with `reset`, wipes it first (stopping a Postgres left on it). */
async function prepareDataDir(dataDir: string, reset: boolean, log: (m: string) => void): Promise<void> {
  await fs.mkdir(dataDir, { recursive: true });
  await claimDataDir(dataDir);
  if (!reset) return;
  await stopStalePostmaster(path.join(dataDir, 'postgres'));
  await fs.rm(dataDir, { recursive: true, force: true });
  await fs.mkdir(dataDir, { recursive: true });
  await claimDataDir(dataDir);
  log(`reset: removed the data in ${dataDir}`);
}

/** Whether `pid` is a live node process (not gone, not a zombie, not a recycled pid of another program). */
async function runtimeAlive(pid: number): Promise<boolean> {
  if (!isRunning(pid)) return false;
  const cmd = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => 'node');
  return cmd.includes('node');
}

/** Resources stopped in reverse order of start. */
class Teardown {
  private readonly steps: (() => Promise<void>)[] = [];
  add(step: () => Promise<void>): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    for (const step of this.steps.reverse()) await step().catch(() => undefined);
    this.steps.length = 0;
  }
}

export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  const mark = (step: string) => (timings[step] = Date.now() - t0);
  const log = options.log ?? (() => undefined);
  const config = options.config ?? loadConfig(options.environment ?? 'dev');
  const envName = config.name;
  const region = config.region;
  const dataDir = path.resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const routes = options.routes ?? (registryRoutes as readonly RouteDefinition[]);
  const tasks = options.tasks ?? (registryTasks as readonly FunctionDefinition[]);
  const tableDefs = options.tables ?? registryTables;
  const everyFunction: readonly FunctionDefinition[] = [...routes, ...tasks];
  const prefix = `${config.project}-${envName}`;
  const teardown = new Teardown();

  await prepareDataDir(dataDir, options.reset ?? false, log);
  teardown.add(() => fs.rm(path.join(dataDir, LOCK_FILE), { force: true }));

  try {
    // 1. Local IAM and Secrets Manager: the master secret (as RDS manages it)
    //    and the application role's secret (created empty, as the stack does).
    const iam = new LocalIam();
    const secrets = new LocalSecrets(path.join(dataDir, 'secrets.json'), region, LOCAL_ACCOUNT_ID);
    const masterSecretArn = await secrets.ensure(`rds!cluster-${prefix}`, 'Master user of the local Aurora stand-in');
    await secrets.putValue(masterSecretArn, JSON.stringify({ username: config.aurora.masterUsername, password: LOCAL_DB_PASSWORD }));
    const appSecretArn = await secrets.ensure(`${prefix}/db/${config.aurora.appUsername}`, 'Application role login; written by the migration task');
    const secretsEndpoint: SecretsEndpoint = await startSecretsEndpoint(secrets, iam);
    teardown.add(secretsEndpoint.close);

    // 2. The RDS Proxy emulator, in front of the Postgres port chosen now.
    const upstream = { host: '127.0.0.1', port: options.postgresPort || (await freePort()) };
    const proxy = await startRdsProxyEmulator({
      upstream,
      secrets,
      authSecretArns: [masterSecretArn, appSecretArn],
      iam,
      region,
      accountId: LOCAL_ACCOUNT_ID,
      certificateDir: path.join(dataDir, 'rds-proxy'),
      connectionBorrowTimeoutSeconds: proxyBorrowTimeoutSeconds(everyFunction),
      onPinned: ({ cause, client, statement }) => log(`RDS Proxy: ${cause} would pin ${client}'s session to one database connection: ${statement}`),
      onRefused: ({ user, reason }) => log(`RDS Proxy refused a login as ${user}: ${reason}`),
    });
    teardown.add(proxy.close);
    log(`RDS Proxy emulator on ${proxy.host}:${proxy.port} (TLS, IAM auth required)`);

    // 3. Function sandboxes, each with its environment and credentials.
    const clusterArn = `arn:aws:rds:${region}:${LOCAL_ACCOUNT_ID}:cluster:${prefix}`;
    const endpoints = { dynamo: '', dataApi: '', secrets: secretsEndpoint.url };
    const contract: ContractValues = {
      environmentName: envName,
      region,
      corsOrigins: options.corsOrigins ?? config.corsOrigins,
      tables: Object.fromEntries(
        Object.keys(tableDefs).map((name) => {
          const physical = physicalTableName(config.project, envName, name);
          return [name, { name: physical, arn: `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT_ID}:table/${physical}` }];
        }),
      ),
      sql: {
        database: config.aurora.databaseName,
        appUser: config.aurora.appUsername,
        masterUser: config.aurora.masterUsername,
        appSecretArn,
        kmsKeyArn: `arn:aws:kms:${region}:${LOCAL_ACCOUNT_ID}:key/local`,
        proxy: config.proxy.enabled ? { endpoint: proxy.host, port: proxy.port, dbUserArn: proxy.dbUserArn } : undefined,
        clusterArn: config.dataApi.enabled ? clusterArn : undefined,
      },
    };
    const credentials = new Map(everyFunction.map((fn) => [fn.name, iam.issue(fn.name, functionGrants(fn, contract))]));
    const localFunction = (fn: FunctionDefinition, dir: string): LocalFunction => ({
      name: fn.name,
      functionName: `${prefix}-${fn.name}`,
      handlerFile: path.resolve(dir, fn.handler),
      memoryMb: fn.memoryMb ?? DEFAULT_MEMORY_MB,
      timeoutSeconds: fn.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
      environment: {
        ...functionEnvironment(fn, contract),
        ...localOnlyEnvironment(fn, region, credentials.get(fn.name)!, endpoints, proxy.caFile),
      },
    });
    const host = new FunctionHost({
      region,
      accountId: LOCAL_ACCOUNT_ID,
      onLog: options.functionLogs ? (fn, text) => options.functionLogs!(text, fn.functionName) : undefined,
      baseEnvironment: { PATH: process.env.PATH ?? '/usr/bin:/bin', TZ: 'UTC', LANG: 'en_US.UTF-8', ...(process.env.HOME ? { HOME: process.env.HOME } : {}) },
    });
    teardown.add(() => host.close());
    // Tasks come from functions/ whatever `functionsDir` is (fixture routes in tests).
    const taskFns = () => new Map(tasks.map((t) => [t.name, localFunction(t, FUNCTIONS_DIR)]));
    const migrate = taskFns().get('migrate');
    const runMigrations = (options.migrate ?? true) && migrate !== undefined && existsSync(migrate.handlerFile);
    // The migrate sandbox's cold start overlaps the databases' start (it needs
    // no DynamoDB or Data API endpoint).
    if (runMigrations) void host.warm(migrate!).catch(() => undefined);

    // 4. DynamoDB and PostgreSQL.
    const postgresOptions = {
      dataDir: path.join(dataDir, 'postgres'),
      user: config.aurora.masterUsername,
      password: LOCAL_DB_PASSWORD,
      database: config.aurora.databaseName,
      onLog: (line: string) => {
        if (/\b(ERROR|FATAL|PANIC):/.test(line)) log(`postgres: ${line}`);
      },
    };
    const dynamoPath = path.join(dataDir, 'dynamodb');
    const [dynamoStart, postgresStart] = await Promise.allSettled([
      startDynamo({ path: dynamoPath }).then((d) => (mark('dynamodb'), d)),
      startPostgres({ ...postgresOptions, port: upstream.port, fallbackToFreePort: !options.postgresPort }).then((p) => {
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
    upstream.port = postgresStart.value.port; // the chosen port may have been taken meanwhile
    const postgres: SupervisedPostgres = supervisePostgres(postgresStart.value, postgresOptions, log, path.join(dataDir, 'postgres.log'));
    teardown.add(() => dynamo.stop());
    teardown.add(() => postgres.close());
    endpoints.dynamo = dynamo.endpoint;

    // 5. The Data API endpoint: it logs in with the secret each call names.
    const dataApi = await startDataApiServer({ pg: { host: upstream.host, get port() { return upstream.port; }, user: config.aurora.masterUsername, password: LOCAL_DB_PASSWORD, database: config.aurora.databaseName }, secrets, iam });
    teardown.add(dataApi.close);
    endpoints.dataApi = dataApi.url;
    // On stop, the sandboxes go before the databases (closing twice is a
    // no-op): their pools then end quietly instead of logging Postgres's
    // "terminating connection" (57P01) as failed idle connections.
    teardown.add(() => host.close());

    // 6. Tables, as the stack defines them.
    const created = await ensureTables(dynamo.endpoint, (name) => physicalTableName(config.project, envName, name), tableDefs);
    if (created.length) log(`created tables: ${created.join(', ')}`);
    mark('tables');

    // 7. The migrate task, as the stack invokes it on apply.
    const tasksByName = taskFns();
    if (options.migrate ?? true) {
      if (runMigrations) {
        const outcome = await host.invoke(tasksByName.get('migrate')!, { source: 'local-runtime' });
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

    // 8. The API Gateway stand-in.
    const functionsDir = options.functionsDir ?? FUNCTIONS_DIR;
    const functionEnvironments: Record<string, Record<string, string>> = {};
    const gatewayRoutes = routes.map((r) => {
      const fn = localFunction(r, functionsDir);
      functionEnvironments[r.name] = fn.environment;
      return { method: r.method, path: r.path, fn };
    });
    for (const [name, fn] of tasksByName) functionEnvironments[name] = fn.environment;
    const server = await serveApi(gatewayRoutes, host, options, log);
    teardown.add(server.close);
    mark('ready');

    if (options.watch) teardown.add(watchFunctions(functionsDir, host, log));
    if (options.prewarm) prewarm(host, gatewayRoutes.map((r) => r.fn));

    let stopping: Promise<void> | undefined;
    let dynamoDown = false;
    return {
      url: `http://${options.host ?? '127.0.0.1'}:${server.port}`,
      port: server.port,
      dataDir,
      get postgres() {
        return postgres.current;
      },
      get dynamo() {
        return dynamo;
      },
      proxy,
      dataApi,
      secrets,
      iam,
      faults: {
        stopPostgres: () => postgres.stop(),
        startPostgres: () => postgres.start(),
        async stopDynamo() {
          dynamoDown = true;
          await dynamo.stop();
        },
        async startDynamo() {
          if (!dynamoDown) return;
          dynamo = await startDynamo({ path: dynamoPath, port: dynamo.port });
          dynamoDown = false;
        },
      },
      functionEnvironment: functionEnvironments,
      credentials: (name) => {
        const c = credentials.get(name);
        if (!c) throw new Error(`unknown function "${name}"`);
        return c;
      },
      timings,
      invokeTask: (name, event = {}) => {
        const fn = tasksByName.get(name);
        if (!fn) throw new Error(`unknown task "${name}"; tasks: ${[...tasksByName.keys()].join(', ')}`);
        return host.invoke(fn, event);
      },
      stop: () => (stopping ??= teardown.run()),
    };
  } catch (err) {
    await teardown.run();
    throw err;
  }
}

/**
 * What only the local runtime sets (LOCAL_ONLY_VARIABLES): Lambda's region and
 * the function's own credentials, the SDK's standard endpoint overrides for
 * the services the function uses, and the CA of the RDS Proxy emulator.
 */
function localOnlyEnvironment(
  fn: FunctionDefinition,
  region: string,
  credentials: LocalCredentials,
  endpoints: { dynamo: string; dataApi: string; secrets: string },
  caFile: string,
): Record<string, string> {
  const env: Record<string, string> = {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_SESSION_TOKEN: credentials.sessionToken,
    // Local Node may be older than Lambda's; the SDK's notice about it is noise here.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  if (Object.keys(fn.data?.tables ?? {}).length && endpoints.dynamo) env.AWS_ENDPOINT_URL_DYNAMODB = endpoints.dynamo;
  if (fn.data?.sql === 'data-api' && endpoints.dataApi) env.AWS_ENDPOINT_URL_RDS_DATA = endpoints.dataApi;
  if (fn.data?.sqlUser === 'master') env.AWS_ENDPOINT_URL_SECRETS_MANAGER = endpoints.secrets;
  if (fn.data?.sql === 'proxy') env.NODE_EXTRA_CA_CERTS = caFile;
  return env;
}

async function serveApi(
  routes: { method: string; path: string; fn: LocalFunction }[],
  host: FunctionHost,
  options: LocalRuntimeOptions,
  log: (m: string) => void,
): Promise<{ port: number; close: () => Promise<void> }> {
  const server: http.Server = createGatewayServer({
    routes,
    invoke: (fn, event) => host.invoke(fn, event),
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
      const structural = files.filter((f) => /^(registry|registry-types|tables)\.ts$|^migrations\//.test(f));
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
