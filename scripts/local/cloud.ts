/**
 * The AWS side of the local runtime, without the functions: local IAM and
 * Secrets Manager, SNS topics and SQS queues, the RDS Proxy emulator,
 * DynamoDB (dynalite), PostgreSQL 17 (supervised), the Cognito user pool
 * (cognito-local), the Data API endpoint and the tables. `startLocalRuntime`
 * adds the function sandboxes and the API on top; `functions/testing.ts`
 * runs handlers in-process against it.
 *
 *   prepare the data dir → IAM, secrets, topics and queues → RDS Proxy emulator →
 *   DynamoDB, PostgreSQL and the user pool → Data API endpoint → tables
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { queues as registryQueues, topics as registryTopics, type QueueDefinition, type TopicDefinition } from '../../functions/messaging';
import type { FunctionDefinition } from '../../functions/registry-types';
import { physicalTableName, type TableDefinition } from '../../functions/tables';
import type { EnvironmentConfig } from '../../infra/config';
import { functionEnvironment, functionGrants, proxyBorrowTimeoutSeconds, type ContractValues, type Grant } from '../../infra/function-contract';
import { isRunning } from '../../infra/build-support.mjs';
import { startUserPool, type LocalUserPool } from './cognito';
import { startDataApiServer, type DataApiServer } from './data-api';
import { ensureTables, startDynamo, type LocalDynamo } from './dynamo';
import { faultHooks, type LocalFaults } from './faults';
import { LocalIam, type LocalCredentials } from './iam';
import { startLocalMessaging, type LocalMessaging } from './messaging';
import { freePort, LOCAL_DB_PASSWORD, startPostgres, stopStalePostmaster, type LocalPostgres } from './postgres';
import { supervisePostgres } from './postgres-supervisor';
import { startRdsProxyEmulator, type RdsProxyEmulator } from './rds-proxy';
import { LocalSecrets, startSecretsEndpoint, type SecretsEndpoint } from './secrets';

export const LOCAL_ACCOUNT_ID = '000000000000';

export interface LocalCloudOptions {
  /** The environment the cloud mirrors (names, region, database, users). */
  readonly config: EnvironmentConfig;
  /** Where DynamoDB, Postgres and the secrets keep their data. */
  readonly dataDir: string;
  /** Delete `dataDir` first. @default false */
  readonly reset?: boolean;
  /** Every function that will use the cloud (their grants and the proxy's borrow timeout). */
  readonly functions: readonly FunctionDefinition[];
  readonly tables: Readonly<Record<string, TableDefinition>>;
  /** @default - functions/messaging.ts */
  readonly topics?: Readonly<Record<string, TopicDefinition>>;
  /** @default - functions/messaging.ts */
  readonly queues?: Readonly<Record<string, QueueDefinition>>;
  /** CORS origins in the functions' environment. @default - config.corsOrigins */
  readonly corsOrigins?: readonly string[];
  /** Postgres port. @default 0 (a free port) */
  readonly postgresPort?: number;
  /** Keep DynamoDB in memory instead of `<dataDir>/dynamodb`. @default false */
  readonly inMemoryDynamo?: boolean;
  /**
   * Start the Cognito user pool emulator (`<dataDir>/cognito`), for the API's
   * JWT authorizer and `npm run dev:token`. @default false (in-process handler
   * tests stand in for the authorizer themselves)
   */
  readonly userPool?: boolean;
  /** Runtime messages (startup steps, proxy warnings, Postgres errors). @default - none */
  readonly log?: (message: string) => void;
  /** Called as each step completes, with its name. @default - none */
  readonly onStep?: (step: string) => void;
  /**
   * Called once the proxy and the secrets endpoint are up, before the
   * databases start: environments made now hold no DynamoDB or Data API
   * endpoint yet (enough for the migrate task). @default - none
   */
  readonly onEndpointsReady?: (early: Pick<LocalCloud, 'environmentOf'>) => void;
}

export interface LocalCloud {
  readonly config: EnvironmentConfig;
  readonly dataDir: string;
  readonly iam: LocalIam;
  readonly secrets: LocalSecrets;
  readonly secretsEndpoint: SecretsEndpoint;
  readonly proxy: RdsProxyEmulator;
  readonly dataApi: DataApiServer;
  /** The topics (behind the local SNS endpoint) and queues. */
  readonly messaging: LocalMessaging;
  /** The current Postgres (a new object after a restart, same port). Its login is the master user's. */
  readonly postgres: LocalPostgres;
  readonly dynamo: LocalDynamo;
  /** The Cognito user pool, when `userPool` is set. */
  readonly userPool?: LocalUserPool;
  readonly masterSecretArn: string;
  readonly appSecretArn: string;
  /** References the functions' environments and grants are made of (local ARNs and endpoints). */
  readonly contract: ContractValues;
  /**
   * A function's whole environment: what the stack sets (its contract) plus the
   * local-only variables, with credentials that carry exactly its grants.
   */
  environmentOf(fn: FunctionDefinition): Record<string, string>;
  /**
   * One environment for several functions run in one process (in-process
   * tests): their variables merged, and one set of credentials with the union
   * of their grants.
   */
  environmentFor(fns: readonly FunctionDefinition[]): Record<string, string>;
  /** The credentials `environmentOf(fn)` gave `fn`. */
  credentials(name: string): LocalCredentials;
  /** Fault hooks (reliability tests): a database down, then back on the same port and data. */
  readonly faults: LocalFaults;
  stop(): Promise<void>;
}

const LOCK_FILE = 'runtime.pid';

/** Resources stopped in reverse order of start. */
export class Teardown {
  private readonly steps: (() => Promise<void>)[] = [];
  add(step: () => Promise<void>): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    for (const step of this.steps.reverse()) await step().catch(() => undefined);
    this.steps.length = 0;
  }
}

/** Whether `pid` is a live node process (not gone, not a zombie, not a recycled pid of another program). */
async function runtimeAlive(pid: number): Promise<boolean> {
  if (!isRunning(pid)) return false;
  const cmd = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => 'node');
  return cmd.includes('node');
}

/**
 * One runtime per data dir: a second `npm run dev` on the same folder would
 * fight over LevelDB's lock and the postmaster. A lock left by a dead process
 * is taken over (after a few seconds' grace for one that is still exiting).
 */
async function claimDataDir(dataDir: string): Promise<void> {
  const file = path.join(dataDir, LOCK_FILE);
  const owner = Number(await fs.readFile(file, 'utf8').catch(() => ''));
  if (Number.isInteger(owner) && owner > 0 && owner !== process.pid) {
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

/**
 * What only the local runtime sets (LOCAL_ONLY_VARIABLES): Lambda's region and
 * the function's own credentials, the SDK's standard endpoint overrides for
 * the services the function uses, and the CA of the RDS Proxy emulator.
 */
function localOnlyEnvironment(fns: readonly FunctionDefinition[], cloud: { region: string; credentials: LocalCredentials; dynamo: string; dataApi: string; secrets: string; sns: string; caFile: string }): Record<string, string> {
  const env: Record<string, string> = {
    AWS_REGION: cloud.region,
    AWS_DEFAULT_REGION: cloud.region,
    AWS_ACCESS_KEY_ID: cloud.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: cloud.credentials.secretAccessKey,
    AWS_SESSION_TOKEN: cloud.credentials.sessionToken,
    // The SDK's notice about Node versions is noise in local logs.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  if (fns.some((fn) => Object.keys(fn.data?.tables ?? {}).length)) env.AWS_ENDPOINT_URL_DYNAMODB = cloud.dynamo;
  if (fns.some((fn) => fn.data?.sql === 'data-api')) env.AWS_ENDPOINT_URL_RDS_DATA = cloud.dataApi;
  if (fns.some((fn) => fn.data?.sqlUser === 'master')) env.AWS_ENDPOINT_URL_SECRETS_MANAGER = cloud.secrets;
  if (fns.some((fn) => fn.data?.publishes?.length)) env.AWS_ENDPOINT_URL_SNS = cloud.sns;
  if (fns.some((fn) => fn.data?.sql === 'proxy')) env.NODE_EXTRA_CA_CERTS = cloud.caFile;
  return env;
}

export async function startLocalCloud(options: LocalCloudOptions): Promise<LocalCloud> {
  const { config } = options;
  const log = options.log ?? (() => undefined);
  const step = options.onStep ?? (() => undefined);
  const dataDir = path.resolve(options.dataDir);
  const teardown = new Teardown();

  await prepareDataDir(dataDir, options.reset ?? false, log);
  teardown.add(() => fs.rm(path.join(dataDir, LOCK_FILE), { force: true }));
  try {
    // 1. Local IAM and Secrets Manager.
    const iam = new LocalIam();
    const { secrets, masterSecretArn, appSecretArn } = await createSecrets(config, dataDir);
    const secretsEndpoint = await startSecretsEndpoint(secrets, iam);
    teardown.add(secretsEndpoint.close);
    const messaging = await startLocalMessaging({
      project: config.project,
      environment: config.name,
      region: config.region,
      accountId: LOCAL_ACCOUNT_ID,
      topics: options.topics ?? registryTopics,
      queues: options.queues ?? registryQueues,
      iam,
      dataDir,
      log,
      kmsKeyArn: localKeyArn(config),
    });
    teardown.add(messaging.close);

    // 2. The RDS Proxy emulator, in front of the Postgres port chosen now.
    const upstream = { host: '127.0.0.1', port: options.postgresPort || (await freePort()) };
    const proxy = await startProxy(options, dataDir, log, { upstream, secrets, iam, authSecretArns: [masterSecretArn, appSecretArn] });
    teardown.add(proxy.close);

    const contract = { ...contractOf(options, appSecretArn, proxy), messaging: messaging.contract };
    const endpoints = { dynamo: '', dataApi: '', secrets: secretsEndpoint.url, sns: messaging.sns.url };
    const env = functionEnvironments(iam, contract, endpoints, proxy.caFile);
    options.onEndpointsReady?.({ environmentOf: env.environmentOf });

    // 3. DynamoDB, PostgreSQL and the user pool, in parallel.
    const userPoolStart = options.userPool ? startUserPoolStep(options, dataDir, log, step) : undefined;
    userPoolStart?.catch(() => undefined); // awaited below, after the databases
    const { dynamo, postgres, faults } = await startDatabases(options, dataDir, upstream.port, log, step).catch(async (err: unknown) => {
      await userPoolStart?.then((p) => p.stop()).catch(() => undefined);
      throw err;
    });
    upstream.port = postgres.current.port; // the chosen port may have been taken meanwhile
    teardown.add(() => dynamo.current.stop());
    teardown.add(() => postgres.close());
    const userPool = await userPoolStart;
    if (userPool) teardown.add(userPool.stop);
    endpoints.dynamo = dynamo.current.endpoint;

    // 4. The Data API endpoint: it logs in with the secret each call names.
    const dataApi = await startDataApiServer({
      pg: { host: upstream.host, port: upstream.port, user: config.aurora.masterUsername, password: LOCAL_DB_PASSWORD, database: config.aurora.databaseName },
      secrets,
      iam,
    });
    teardown.add(dataApi.close);
    endpoints.dataApi = dataApi.url;

    // 5. Tables, as the stack defines them.
    await createTables(config, options.tables, dynamo.current.endpoint, log);
    step('tables');

    return {
      config,
      dataDir,
      iam,
      secrets,
      secretsEndpoint,
      proxy,
      dataApi,
      messaging,
      get postgres() {
        return postgres.current;
      },
      get dynamo() {
        return dynamo.current;
      },
      userPool,
      masterSecretArn,
      appSecretArn,
      contract,
      ...env,
      faults,
      stop: () => teardown.run(),
    };
  } catch (err) {
    await teardown.run();
    throw err;
  }
}

const prefixOf = (config: EnvironmentConfig) => `${config.project}-${config.name}`;
/** The key ARN the grants name (KMS is not emulated). */
const localKeyArn = (config: EnvironmentConfig) => `arn:aws:kms:${config.region}:${LOCAL_ACCOUNT_ID}:key/local`;

/** The master secret (as RDS manages it) and the application role's secret (created empty, as the stack does). */
async function createSecrets(config: EnvironmentConfig, dataDir: string) {
  const prefix = prefixOf(config);
  const secrets = new LocalSecrets(path.join(dataDir, 'secrets.json'), config.region, LOCAL_ACCOUNT_ID);
  const masterSecretArn = await secrets.ensure(`rds!cluster-${prefix}`, 'Master user of the local Aurora stand-in (managed by RDS in AWS)');
  await secrets.putValue(masterSecretArn, JSON.stringify({ username: config.aurora.masterUsername, password: LOCAL_DB_PASSWORD }));
  const appSecretArn = await secrets.ensure(`${prefix}/db/${config.aurora.appUsername}`, 'Application role login; written by the migration task');
  return { secrets, masterSecretArn, appSecretArn };
}

async function startProxy(
  options: LocalCloudOptions,
  dataDir: string,
  log: (message: string) => void,
  wiring: { upstream: { host: string; port: number }; secrets: LocalSecrets; iam: LocalIam; authSecretArns: string[] },
): Promise<RdsProxyEmulator> {
  const proxy = await startRdsProxyEmulator({
    ...wiring,
    region: options.config.region,
    accountId: LOCAL_ACCOUNT_ID,
    certificateDir: path.join(dataDir, 'rds-proxy'),
    connectionBorrowTimeoutSeconds: proxyBorrowTimeoutSeconds(options.functions),
    onPinned: ({ cause, client, statement }) => log(`RDS Proxy: ${cause} would pin ${client}'s session to one database connection: ${statement}`),
    onRefused: ({ user, reason }) => log(`RDS Proxy refused a login as ${user}: ${reason}`),
  });
  log(`RDS Proxy emulator on ${proxy.host}:${proxy.port} (TLS, IAM auth required)`);
  return proxy;
}

/** The local ARNs and endpoints the functions' environments and grants are made of. */
function contractOf(options: LocalCloudOptions, appSecretArn: string, proxy: RdsProxyEmulator): ContractValues {
  const { config } = options;
  const region = config.region;
  return {
    environmentName: config.name,
    routes: options.functions.filter((f): f is FunctionDefinition & { method: string; path: string } => 'path' in f),
    region,
    corsOrigins: options.corsOrigins ?? config.corsOrigins,
    tables: Object.fromEntries(
      Object.keys(options.tables).map((name) => {
        const physical = physicalTableName(config.project, config.name, name);
        return [name, { name: physical, arn: `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT_ID}:table/${physical}` }];
      }),
    ),
    sql: {
      database: config.aurora.databaseName,
      appUser: config.aurora.appUsername,
      masterUser: config.aurora.masterUsername,
      appSecretArn,
      kmsKeyArn: localKeyArn(config),
      proxy: config.proxy.enabled ? { endpoint: proxy.host, port: proxy.port, dbUserArn: proxy.dbUserArn } : undefined,
      clusterArn: config.dataApi.enabled ? `arn:aws:rds:${region}:${LOCAL_ACCOUNT_ID}:cluster:${prefixOf(config)}` : undefined,
    },
  };
}

/** Functions' environments, each with credentials for its grants; `endpoints` are filled in as their services start. */
function functionEnvironments(
  iam: LocalIam,
  contract: ContractValues,
  endpoints: { dynamo: string; dataApi: string; secrets: string; sns: string },
  caFile: string,
): Pick<LocalCloud, 'environmentOf' | 'environmentFor' | 'credentials'> {
  const issued = new Map<string, LocalCredentials>();
  const environment = (name: string, fns: readonly FunctionDefinition[], grants: Grant[]) => {
    const credentials = iam.issue(name, grants);
    issued.set(name, credentials);
    return {
      ...Object.assign({}, ...fns.map((fn) => functionEnvironment(fn, contract))),
      ...localOnlyEnvironment(fns, { region: contract.region, credentials, ...endpoints, caFile }),
    } as Record<string, string>;
  };
  return {
    environmentOf: (fn) => environment(fn.name, [fn], functionGrants(fn, contract)),
    environmentFor: (fns) => environment(fns.map((f) => f.name).join('+'), fns, fns.flatMap((fn) => functionGrants(fn, contract))),
    credentials: (name) => {
      const c = issued.get(name);
      if (!c) throw new Error(`no credentials issued for "${name}"; call environmentOf() first`);
      return c;
    },
  };
}

async function createTables(config: EnvironmentConfig, tables: LocalCloudOptions['tables'], endpoint: string, log: (m: string) => void): Promise<void> {
  const created = await ensureTables(endpoint, (name) => physicalTableName(config.project, config.name, name), tables);
  if (created.length) log(`created tables: ${created.join(', ')}`);
}

/** The user pool emulator with the config's pool, client and groups. */
async function startUserPoolStep(options: LocalCloudOptions, dataDir: string, log: (m: string) => void, step: (s: string) => void): Promise<LocalUserPool> {
  const pool = await startUserPool({ config: options.config, dataDir, log });
  step('user pool');
  log(`Cognito user pool emulator on ${pool.endpoint} (pool ${pool.userPoolId}, app client ${pool.clientId}); a token: npm run -s dev:token -- <email> [--group <name>] | tail -1`);
  return pool;
}

/** Starts DynamoDB and PostgreSQL in parallel (stopping either if the other fails); Postgres is supervised. */
async function startDatabases(options: LocalCloudOptions, dataDir: string, postgresPort: number, log: (m: string) => void, step: (s: string) => void) {
  const { config } = options;
  const postgresOptions = {
    dataDir: path.join(dataDir, 'postgres'),
    user: config.aurora.masterUsername,
    password: LOCAL_DB_PASSWORD,
    database: config.aurora.databaseName,
    onLog: (line: string) => {
      if (/\b(ERROR|FATAL|PANIC):/.test(line)) log(`postgres: ${line}`);
    },
  };
  const dynamoPath = options.inMemoryDynamo ? undefined : path.join(dataDir, 'dynamodb');
  const [dynamoStart, postgresStart] = await Promise.allSettled([
    startDynamo({ path: dynamoPath }).then((d) => (step('dynamodb'), d)),
    startPostgres({ ...postgresOptions, port: postgresPort, fallbackToFreePort: !options.postgresPort }).then((p) => {
      step(p.initialised ? 'postgres (initdb)' : 'postgres');
      return p;
    }),
  ]);
  if (dynamoStart.status === 'rejected' || postgresStart.status === 'rejected') {
    if (dynamoStart.status === 'fulfilled') await dynamoStart.value.stop();
    if (postgresStart.status === 'fulfilled') await postgresStart.value.stop();
    throw dynamoStart.status === 'rejected' ? dynamoStart.reason : (postgresStart as PromiseRejectedResult).reason;
  }
  const dynamo = { current: dynamoStart.value };
  const postgres = supervisePostgres(postgresStart.value, postgresOptions, log, path.join(dataDir, 'postgres.log'));
  return { dynamo, postgres, faults: faultHooks(postgres, dynamo, (port) => startDynamo({ path: dynamoPath, port })) };
}
