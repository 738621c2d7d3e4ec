/**
 * What a function gets from its registry entry, written once: its environment
 * variables and its IAM grants. The stack (infra/stack.ts) calls these with
 * Terraform references; the local runtime calls them with local endpoints and
 * ARNs, and enforces the same grants in its stand-ins (RDS Proxy emulator,
 * Secrets Manager, Data API). Neither adds variables of its own beyond the
 * documented local-only ones (`LOCAL_ONLY_VARIABLES`).
 */
import { topicEnvVar } from '../functions/messaging';
import type { FunctionDefinition, RouteDefinition, TaskDefinition } from '../functions/registry-types';
import { tableEnvVar } from '../functions/tables';

/** Every variable a function may get, and what it means (docs/handlers.md lists them from here). */
export const FUNCTION_ENVIRONMENT = {
  APP_ENV: 'Environment name (`dev`, `prod`, …).',
  CORS_ORIGINS: 'Comma-separated exact origins the CORS middleware allows.',
  CORS_METHODS: "Methods of the route's path, announced in preflight answers (routes only).",
  ROUTE_ACCESS: '`signed-in` for a route with `auth` (API Gateway\'s JWT authorizer has verified the token; the handler chain requires its claims), `public` otherwise (routes only).',
  AUTH_GROUPS: 'Comma-separated groups of `auth.groups`: the caller must be in one of them, else 403 (routes with `auth.groups` only).',
  'TABLE_<NAME>': 'Physical name of each DynamoDB table the entry declares in `data.tables`.',
  DB_NAME: 'Aurora database name (functions with `data.sql`).',
  DB_USER: 'Database user the function logs in as: the application role, or the master user for `sqlUser: "master"` (migrations).',
  DB_PROXY_ENDPOINT: 'RDS Proxy host (`data.sql: "proxy"`); the IAM token is made for this host and DB_PORT.',
  DB_PORT: 'RDS Proxy port (5432).',
  DB_CLUSTER_ARN: 'Aurora cluster ARN for the Data API (`data.sql: "data-api"`).',
  DB_SECRET_ARN: "The application role's Secrets Manager secret, for the Data API.",
  APP_DB_USER: 'Application role the migration task creates and keeps (only `sqlUser: "master"`).',
  APP_DB_SECRET_ARN: 'Secret that holds the application role\'s generated password (only `sqlUser: "master"`).',
  'TOPIC_<NAME>_ARN': 'ARN of each SNS topic the entry declares in `data.publishes`.',
} as const;

/**
 * Variables only the local runtime sets: AWS's standard endpoint overrides for
 * the SDK clients (so function code has no local branch), the credentials
 * Lambda would give the function's role, and the CA that signs the local RDS
 * Proxy's certificate.
 */
export const LOCAL_ONLY_VARIABLES = /^(AWS_[A-Z_]+|NODE_EXTRA_CA_CERTS)$/;

export interface ContractTable {
  readonly name: string;
  readonly arn: string;
}

export interface ContractSql {
  readonly database: string;
  readonly appUser: string;
  readonly masterUser: string;
  /** The application role's secret (created empty by the stack, filled by the migration task). */
  readonly appSecretArn: string;
  /** Key that encrypts the secrets. */
  readonly kmsKeyArn: string;
  readonly proxy?: {
    readonly endpoint: string;
    readonly port: number;
    /** `arn:…:rds-db:…:dbuser:prx-<id>/<user>` */
    dbUserArn(user: string): string;
  };
  /** Cluster ARN when the Data API is on. */
  readonly clusterArn?: string;
}

export interface ContractMessaging {
  /** Key that encrypts the topics and queues. */
  readonly kmsKeyArn: string;
  readonly topics: Readonly<Record<string, { readonly arn: string }>>;
  readonly queues: Readonly<Record<string, { readonly arn: string }>>;
}

/** What a function's contract is made of, as references (stack) or local values (runtime). */
export interface ContractValues {
  readonly environmentName: string;
  /** Every route (method and path), for the methods each path announces. */
  readonly routes: readonly { readonly method: string; readonly path: string }[];
  readonly region: string;
  readonly corsOrigins: readonly string[];
  readonly tables: Readonly<Record<string, ContractTable>>;
  readonly sql?: ContractSql;
  /** Topics and queues (when a function publishes or is triggered by a queue). */
  readonly messaging?: ContractMessaging;
}

export interface Grant {
  readonly sid: string;
  readonly actions: string[];
  readonly resources: string[];
  readonly conditions?: { readonly test: string; readonly variable: string; readonly values: string[] }[];
}

export const TABLE_READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
];
export const TABLE_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
export const PUBLISH_ACTIONS = ['sns:Publish'];
/** What Lambda's poller does with the task's role (the event source mapping refuses to start without them). */
export const QUEUE_CONSUMER_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'];
export const DATA_API_ACTIONS = [
  'rds-data:ExecuteStatement',
  'rds-data:BatchExecuteStatement',
  'rds-data:BeginTransaction',
  'rds-data:CommitTransaction',
  'rds-data:RollbackTransaction',
];

/**
 * RDS Proxy's connection_borrow_timeout: a second under the shortest timeout
 * of the functions that use the proxy (at most AWS's default, 120 s), so a
 * full pool or a failover makes the function answer 503 rather than time out.
 * The stack sets it on the proxy, the local emulator waits as long.
 */
export function proxyBorrowTimeoutSeconds(functions: readonly FunctionDefinition[], defaultTimeoutSeconds = 10): number {
  const timeouts = functions.filter((fn) => fn.data?.sql === 'proxy').map((fn) => fn.timeoutSeconds ?? defaultTimeoutSeconds);
  return Math.max(1, Math.min(120, Math.min(...timeouts, 121) - 1));
}

/** The database user a function logs in as. */
export function sqlUserOf(def: FunctionDefinition, sql: Pick<ContractSql, 'appUser' | 'masterUser'>): string {
  return def.data?.sqlUser === 'master' ? sql.masterUser : sql.appUser;
}

/** The function's environment variables. */
export function functionEnvironment(def: FunctionDefinition, v: ContractValues): Record<string, string> {
  const env: Record<string, string> = { APP_ENV: v.environmentName, CORS_ORIGINS: v.corsOrigins.join(',') };
  const path = (def as { path?: string }).path;
  if (path !== undefined) {
    env.CORS_METHODS = [...new Set(v.routes.filter((r) => r.path === path).map((r) => r.method))].sort().join(',');
    const auth = (def as RouteDefinition).auth;
    env.ROUTE_ACCESS = auth ? 'signed-in' : 'public';
    if (auth?.groups?.length) env.AUTH_GROUPS = auth.groups.join(',');
  }
  for (const table of Object.keys(def.data?.tables ?? {})) env[tableEnvVar(table)] = tableOf(v, table).name;
  for (const topic of def.data?.publishes ?? []) env[topicEnvVar(topic)] = messagingOf(v, 'topics', topic).arn;
  const access = def.data?.sql;
  if (access && v.sql) {
    env.DB_NAME = v.sql.database;
    env.DB_USER = sqlUserOf(def, v.sql);
    if (access === 'proxy' && v.sql.proxy) {
      env.DB_PROXY_ENDPOINT = v.sql.proxy.endpoint;
      env.DB_PORT = String(v.sql.proxy.port);
    }
    if (access === 'data-api' && v.sql.clusterArn) {
      env.DB_CLUSTER_ARN = v.sql.clusterArn;
      env.DB_SECRET_ARN = v.sql.appSecretArn;
    }
    if (def.data?.sqlUser === 'master') {
      env.APP_DB_USER = v.sql.appUser;
      env.APP_DB_SECRET_ARN = v.sql.appSecretArn;
    }
  }
  return env;
}

const pascal = (name: string) => name.replace(/(^|[^A-Za-z0-9]+)([a-z])/g, (_m, _sep: string, c: string) => c.toUpperCase()).replace(/[^A-Za-z0-9]/g, '');

/** The key, only through `service` acting for the function (kms:ViaService). */
function keyVia(sid: string, keyArn: string, service: string, region: string, actions: string[]): Grant {
  return { sid, actions, resources: [keyArn], conditions: [{ test: 'StringEquals', variable: 'kms:ViaService', values: [`${service}.${region}.amazonaws.com`] }] };
}

/**
 * Publishing to a topic encrypted with our key: `sns:Publish` on exactly the
 * declared topics, and the data key SNS makes for the message (SNS calls KMS
 * with the publisher's rights: "the principal publishing messages to the
 * encrypted topic must have kms:GenerateDataKey and kms:Decrypt", SNS
 * developer guide, sns-key-management). Consuming a queue: what Lambda's
 * poller calls with the task's role, and kms:Decrypt through SQS
 * (sqs-configure-lambda-function-trigger: "add the kms:Decrypt permission to
 * your Lambda execution role").
 */
function messagingGrants(def: TaskDefinition, v: ContractValues): Grant[] {
  const grants: Grant[] = [];
  const publishes = def.data?.publishes ?? [];
  const queue = (def.trigger as { queue?: string } | undefined)?.queue;
  if (publishes.length === 0 && !queue) return grants;
  const m = v.messaging;
  if (!m) throw new Error(`function "${def.name}" uses topics or queues, but the contract has no messaging values`);
  if (publishes.length) {
    grants.push(
      { sid: 'PublishToTopics', actions: [...PUBLISH_ACTIONS], resources: publishes.map((t) => messagingOf(v, 'topics', t).arn) },
      keyVia('EncryptMessagesViaSns', m.kmsKeyArn, 'sns', v.region, ['kms:GenerateDataKey', 'kms:Decrypt']),
    );
  }
  if (queue) {
    grants.push(
      { sid: `ConsumeQueue${pascal(queue)}`, actions: [...QUEUE_CONSUMER_ACTIONS], resources: [messagingOf(v, 'queues', queue).arn] },
      keyVia('DecryptMessagesViaSqs', m.kmsKeyArn, 'sqs', v.region, ['kms:Decrypt']),
    );
  }
  return grants;
}

function messagingOf(v: ContractValues, kind: 'topics' | 'queues', name: string): { arn: string } {
  const found = v.messaging?.[kind][name];
  if (!found) throw new Error(`${kind === 'topics' ? 'topic' : 'queue'} "${name}" is not defined (functions/messaging.ts)`);
  return found;
}

/** Decrypt (and, to write, encrypt) with the key, only as Secrets Manager acting for the function. */
function keyViaSecretsManager(sql: ContractSql, region: string, write: boolean): Grant {
  return {
    sid: write ? 'EncryptSecretsViaSecretsManager' : 'DecryptSecretsViaSecretsManager',
    actions: write ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'],
    resources: [sql.kmsKeyArn],
    conditions: [{ test: 'StringEquals', variable: 'kms:ViaService', values: [`secretsmanager.${region}.amazonaws.com`] }],
  };
}

/**
 * Least privilege from the registry entry: the topics it publishes to and the
 * queue that triggers it; each table (and its indexes) it declares; `rds-db:connect` as exactly its database user through the proxy;
 * the Data API on the cluster with the application role's secret; and for the
 * migration task (`sqlUser: "master"`), reading and writing the application
 * role's secret. No function may read the master secret: only the proxy does.
 */
export function functionGrants(def: FunctionDefinition, v: ContractValues): Grant[] {
  return [...dataGrants(def, v), ...messagingGrants(def, v)];
}

function dataGrants(def: FunctionDefinition, v: ContractValues): Grant[] {
  const grants: Grant[] = [];
  for (const [table, access] of Object.entries(def.data?.tables ?? {})) {
    const { arn } = tableOf(v, table);
    grants.push({
      sid: `${access === 'read' ? 'Read' : 'ReadWrite'}Table${pascal(table)}`,
      actions: access === 'read' ? [...TABLE_READ_ACTIONS] : [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS],
      resources: [arn, `${arn}/index/*`],
    });
  }
  const sql = v.sql;
  if (!sql) return grants;
  if (def.data?.sql === 'proxy' && sql.proxy) {
    grants.push({ sid: 'ConnectThroughProxy', actions: ['rds-db:connect'], resources: [sql.proxy.dbUserArn(sqlUserOf(def, sql))] });
  }
  if (def.data?.sql === 'data-api' && sql.clusterArn) {
    grants.push(
      { sid: 'DataApiOnCluster', actions: [...DATA_API_ACTIONS], resources: [sql.clusterArn] },
      // The Data API reads the secret with the caller's rights.
      { sid: 'ReadAppSecret', actions: ['secretsmanager:GetSecretValue'], resources: [sql.appSecretArn] },
      keyViaSecretsManager(sql, v.region, false),
    );
  }
  if (def.data?.sqlUser === 'master') {
    grants.push(
      { sid: 'KeepAppSecret', actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'], resources: [sql.appSecretArn] },
      keyViaSecretsManager(sql, v.region, true),
    );
  }
  return grants;
}

function tableOf(v: ContractValues, table: string): ContractTable {
  const t = v.tables[table];
  if (!t) throw new Error(`table "${table}" is not defined (functions/tables.ts)`);
  return t;
}
