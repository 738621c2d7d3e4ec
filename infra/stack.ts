/**
 * One environment's platform: network, key, tables, topics and queues, Aurora
 * behind the RDS Proxy, one Lambda per registry entry (with its queue or
 * schedule trigger), the Cognito user pool, the HTTP API (with its JWT
 * authorizer), the web front end (when `web.enabled`) and the migration run.
 * The constructor reads as the list of steps; each step is a construct in
 * infra/constructs/.
 */
import { join } from 'node:path';
import { Aspects, Fn, TerraformStack, type ITerraformDependable } from 'cdktf';
import type { Construct } from 'constructs';
import type { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import type { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { routes as registryRoutes, tasks as registryTasks } from '../functions/registry';
import type { FunctionDefinition, RouteDefinition, TaskDefinition } from '../functions/registry-types';
import { DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_SECONDS } from '../functions/registry-schema';
import { tables as registryTables, physicalTableName, type TableDefinition } from '../functions/tables';
import { queues as registryQueues, topics as registryTopics, type QueueDefinition, type TopicDefinition } from '../functions/messaging';
import { packageFunctions, type BundleOptions, type FunctionArchive } from './bundling';
import { FUNCTIONS_DIR, WEB_DIST_DIR } from './paths';
import type { EnvironmentConfig } from './config';
import { reservedConcurrencyOf, validateAgainstRegistry } from './config';
import { SecureDefaults } from './aspects';
import { AppRoleSecret } from './constructs/app-role-secret';
import { Database } from './constructs/database';
import { ServiceFunction } from './constructs/function';
import { HttpApi } from './constructs/http-api';
import { DataKey } from './constructs/kms-key';
import { Messaging } from './constructs/messaging';
import { Schedule } from './constructs/schedule';
import { Migrations } from './constructs/migrations';
import { Network } from './constructs/network';
import { DatabaseProxy } from './constructs/proxy';
import { allowTcp, allowToPrefixList, securityGroup } from './constructs/security-groups';
import { Table } from './constructs/tables';
import { UserPool } from './constructs/user-pool';
import type { WebSite } from './constructs/web-site';
import { functionEnvironment, functionGrants, proxyBorrowTimeoutSeconds, type ContractValues } from './function-contract';
import { arnPart } from './iam';
import { configureBackend, configureProvider, stateBackendFromEnv, type StateBackendSettings } from './provider';
import { stackOutputs } from './outputs';
import { createWebFrontEnd, webCorsOrigins } from './web-front-end';

export interface PlatformStackProps {
  readonly config: EnvironmentConfig;
  /** @default - the route registry (functions/registry.ts) */
  readonly routes?: readonly RouteDefinition[];
  /** @default - the registry's tasks */
  readonly tasks?: readonly TaskDefinition[];
  /** @default - functions/tables.ts */
  readonly tables?: Readonly<Record<string, TableDefinition>>;
  /** @default - functions/messaging.ts */
  readonly topics?: Readonly<Record<string, TopicDefinition>>;
  /** @default - functions/messaging.ts */
  readonly queues?: Readonly<Record<string, QueueDefinition>>;
  /** Handler folder. @default FUNCTIONS_DIR */
  readonly functionsDir?: string;
  /** SQL migrations folder. @default "<functionsDir>/migrations" */
  readonly migrationsDir?: string;
  /**
   * Bundles by function name, built once and shared by every stack of the app.
   * @default - bundled by this stack
   */
  readonly archives?: ReadonlyMap<string, FunctionArchive>;
  /** @default - from TF_STATE_* environment variables (see infra/provider.ts) */
  readonly stateBackend?: StateBackendSettings;
  /** Task invoked on apply to migrate the database. @default "migrate" */
  readonly migrationTask?: string;
  /**
   * The built web front end, published when `web.enabled` (the contract:
   * infra/constructs/web-files.ts).
   * @default WEB_DIST_DIR (web/dist, written by `npm run build:web`; infra/main.ts passes its own build)
   */
  readonly webDir?: string;
}

const POSTGRES_PORT = 5432;

export class PlatformStack extends TerraformStack {
  readonly config: EnvironmentConfig;
  readonly key: DataKey;
  readonly network: Network;
  readonly tables: Record<string, Table>;
  /** Topics, queues and their event source mappings (when functions/messaging.ts defines any). */
  readonly messaging?: Messaging;
  readonly schedules: Record<string, Schedule> = {};
  readonly database: Database;
  /** The application role's secret (when a function uses SQL). */
  readonly appSecret?: AppRoleSecret;
  readonly proxy?: DatabaseProxy;
  readonly functionSecurityGroup: SecurityGroup;
  readonly functions: Record<string, ServiceFunction>;
  /** Sign-in: the user pool, its browser app client and groups. */
  readonly userPool: UserPool;
  readonly api: HttpApi;
  /** The web front end (S3 + CloudFront), when `web.enabled`. */
  readonly web?: WebSite;
  /** The us-east-1 provider CloudFront's log delivery needs, when `web.enabled`. */
  readonly usEast1Provider?: AwsProvider;
  readonly migrations?: Migrations;

  /** ARN of `<project>-<env>-boundary` (infra/bootstrap), carried by every role of the stack. */
  readonly permissionsBoundary?: string;

  /** Security-group rules on the path from the functions to the database and endpoints. */
  private readonly sqlPathRules: ITerraformDependable[] = [];
  private readonly routeDefs: readonly RouteDefinition[];
  private readonly taskDefs: readonly TaskDefinition[];
  private readonly prefix: string;

  constructor(scope: Construct, id: string, private readonly props: PlatformStackProps) {
    super(scope, id);
    this.routeDefs = props.routes ?? registryRoutes;
    this.taskDefs = props.tasks ?? registryTasks;
    const functionsDir = props.functionsDir ?? FUNCTIONS_DIR;
    this.config = validateAgainstRegistry(props.config, [...this.routeDefs, ...this.taskDefs], {
      functionsDir,
      tables: props.tables ?? registryTables,
      topics: props.topics ?? registryTopics,
      queues: props.queues ?? registryQueues,
    });
    this.prefix = `${this.config.project}-${this.config.name}`;
    const archives = props.archives ?? bundleAll([...this.routeDefs, ...this.taskDefs], functionsDir);

    configureProvider(this, this.config);
    configureBackend(this, this.config, props.stateBackend ?? stateBackendFromEnv());
    this.key = new DataKey(this, 'data-key', { alias: `${this.prefix}-data` });
    this.permissionsBoundary = this.config.permissionsBoundary ? this.boundaryArn() : undefined;
    this.network = this.createNetwork();
    this.tables = this.createTables();
    this.messaging = this.createMessaging();
    this.database = this.createDatabase();
    this.appSecret = this.allFunctions.some((fn) => fn.data?.sql) ? this.createAppSecret() : undefined;
    this.proxy = this.config.proxy.enabled ? this.createProxy() : undefined;
    this.functionSecurityGroup = this.createFunctionSecurityGroup();
    this.functions = this.createFunctions(archives);
    this.createTriggers();
    this.userPool = this.createUserPool();
    this.api = this.createApi();
    if (this.config.web.enabled) {
      const settings = { apiUrl: this.api.api.apiEndpoint, region: this.config.region, userPoolId: this.userPool.userPoolId, userPoolClientId: this.userPool.clientId };
      ({ site: this.web, usEast1Provider: this.usEast1Provider } = createWebFrontEnd(this, this.config, props.webDir ?? WEB_DIST_DIR, settings));
    }
    this.migrations = this.createMigrations(props.migrationsDir ?? join(functionsDir, 'migrations'));
    stackOutputs(this);
    Aspects.of(this).add(new SecureDefaults({ config: this.config, functions: this.allFunctions }));
  }

  /**
   * The boundary's ARN, with the account and partition read off the data key's
   * ARN: synth stays offline (no aws_caller_identity), the ARN resolves at apply.
   */
  private boundaryArn(): string {
    const arn = this.key.arn;
    return Fn.join('', ['arn:', arnPart(arn, 'partition'), ':iam::', arnPart(arn, 'account'), `:policy/${this.prefix}-boundary`]);
  }

  private get allFunctions(): FunctionDefinition[] {
    return [...this.routeDefs, ...this.taskDefs];
  }

  private usesSql(kind: 'proxy' | 'data-api'): boolean {
    return this.allFunctions.some((fn) => fn.data?.sql === kind);
  }

  private createNetwork(): Network {
    // Functions in isolated subnets reach AWS through endpoints. The Data API
    // needs one; DynamoDB has a (free) gateway endpoint. The migration task
    // writes the application role's secret, so it needs Secrets Manager's
    // (the Data API reads secrets server-side: no endpoint for that).
    // Publishers call SNS. Queue consumers need no endpoint: Lambda's
    // pollers read the queue outside the VPC and pass the messages in.
    const interfaceEndpoints = [
      ...(this.config.dataApi.enabled && this.usesSql('data-api') ? ['rds-data'] : []),
      ...(this.allFunctions.some((fn) => fn.data?.sqlUser === 'master') ? ['secretsmanager'] : []),
      ...(this.allFunctions.some((fn) => fn.data?.publishes?.length) ? ['sns'] : []),
    ];
    return new Network(this, 'network', {
      namePrefix: this.prefix,
      region: this.config.region,
      availabilityZones: this.config.availabilityZones,
      cidr: this.config.vpcCidr,
      natGateways: this.config.natGateways,
      interfaceEndpoints,
      logRetentionDays: this.config.logRetentionDays,
      permissionsBoundary: this.permissionsBoundary,
    });
  }

  private createTables(): Record<string, Table> {
    const defs = this.props.tables ?? registryTables;
    return Object.fromEntries(
      Object.entries(defs).map(([name, definition]) => [
        name,
        new Table(this, `table-${name}`, {
          tableName: physicalTableName(this.config.project, this.config.name, name),
          definition,
          kmsKey: this.key,
          deletionProtection: this.config.deletionProtection,
          stream: this.config.dynamodb.stream,
        }),
      ]),
    );
  }

  private createMessaging(): Messaging | undefined {
    const topics = this.props.topics ?? registryTopics;
    const queues = this.props.queues ?? registryQueues;
    if (Object.keys(topics).length + Object.keys(queues).length === 0) return undefined;
    return new Messaging(this, 'messaging', { namePrefix: this.prefix, topics, queues, kmsKey: this.key });
  }

  /** Event source mappings for queue-triggered tasks, EventBridge rules for scheduled ones; topics and queues name their roles. */
  private createTriggers(): void {
    this.messaging?.restrictPrincipals([...this.routeDefs, ...this.taskDefs], (name) => this.functions[name]!.role.arn);
    for (const task of this.taskDefs) {
      const fn = this.functions[task.name]!;
      const trigger = task.trigger;
      if (trigger && 'queue' in trigger) this.messaging!.trigger(trigger.queue, fn, trigger);
      if (trigger && 'schedule' in trigger) {
        this.schedules[task.name] = new Schedule(this, `schedule-${task.name}`, { name: `${this.prefix}-${task.name}`, expression: trigger.schedule, fn });
      }
    }
  }

  private createDatabase(): Database {
    const c = this.config;
    return new Database(this, 'database', {
      identifier: this.prefix,
      vpcId: this.network.vpc.id,
      subnetIds: this.network.privateSubnetIds,
      availabilityZones: c.availabilityZones,
      kmsKey: this.key,
      engineVersion: c.aurora.engineVersion,
      minCapacity: c.aurora.minCapacity,
      maxCapacity: c.aurora.maxCapacity,
      instances: c.aurora.instances,
      databaseName: c.aurora.databaseName,
      masterUsername: c.aurora.masterUsername,
      backupRetentionDays: c.aurora.backupRetentionDays,
      deletionProtection: c.deletionProtection,
      dataApi: c.dataApi.enabled,
      logRetentionDays: c.logRetentionDays,
    });
  }

  private createAppSecret(): AppRoleSecret {
    return new AppRoleSecret(this, 'app-role-secret', {
      name: `${this.prefix}/db/${this.config.aurora.appUsername}`,
      username: this.config.aurora.appUsername,
      kmsKey: this.key,
      recoveryWindowInDays: this.config.deletionProtection ? 30 : 0,
    });
  }

  private createProxy(): DatabaseProxy {
    const proxy = new DatabaseProxy(this, 'proxy', {
      name: this.prefix,
      region: this.config.region,
      vpcId: this.network.vpc.id,
      subnetIds: this.network.privateSubnetIds,
      database: this.database,
      userSecretArns: this.appSecret ? [this.appSecret.arn] : [],
      kmsKey: this.key,
      idleClientTimeoutSeconds: this.config.proxy.idleClientTimeoutSeconds,
      connectionBorrowTimeoutSeconds: proxyBorrowTimeoutSeconds(this.allFunctions, DEFAULT_TIMEOUT_SECONDS),
      logRetentionDays: this.config.logRetentionDays,
      permissionsBoundary: this.permissionsBoundary,
    });
    this.sqlPathRules.push(
      ...allowTcp(this, 'proxy-to-database', {
        from: proxy.securityGroup,
        to: this.database.securityGroup,
        port: POSTGRES_PORT,
        description: 'PostgreSQL from the RDS Proxy to Aurora',
      }),
    );
    return proxy;
  }

  /** One group for all functions: out to the proxy, DynamoDB and the endpoints only. */
  private createFunctionSecurityGroup(): SecurityGroup {
    const sg = securityGroup(this, 'functions-sg', {
      name: `${this.prefix}-functions`,
      description: 'Lambda functions: no ingress; egress to the RDS Proxy, DynamoDB and VPC endpoints only',
      vpcId: this.network.vpc.id,
    });
    if (this.proxy) {
      this.sqlPathRules.push(
        ...allowTcp(this, 'functions-to-proxy', {
          from: sg,
          to: this.proxy.securityGroup,
          port: POSTGRES_PORT,
          description: 'PostgreSQL from functions to the RDS Proxy',
        }),
      );
    }
    allowToPrefixList(
      this,
      'functions-to-dynamodb',
      sg.id,
      this.network.dynamodbEndpoint.prefixListId,
      443,
      'HTTPS from functions to DynamoDB (gateway endpoint)',
    );
    if (this.network.endpointSecurityGroup) {
      this.sqlPathRules.push(
        ...allowTcp(this, 'functions-to-endpoints', {
          from: sg,
          to: this.network.endpointSecurityGroup,
          port: 443,
          description: 'HTTPS from functions to the interface VPC endpoints',
        }),
      );
    }
    if (this.config.natGateways) {
      new VpcSecurityGroupEgressRule(this, 'functions-to-internet', {
        securityGroupId: sg.id,
        cidrIpv4: '0.0.0.0/0',
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        description: 'HTTPS from functions to the internet through the NAT gateways (natGateways: true)',
      });
    }
    return sg;
  }

  private createFunctions(archives: ReadonlyMap<string, FunctionArchive>): Record<string, ServiceFunction> {
    const result: Record<string, ServiceFunction> = {};
    const contract = this.contractValues();
    for (const def of this.allFunctions) {
      const code = archives.get(def.name) ?? missingBundle(def, archives);
      result[def.name] = new ServiceFunction(this, `fn-${def.name}`, {
        functionName: `${this.prefix}-${def.name}`,
        description: 'path' in def ? `${(def as RouteDefinition).method} ${(def as RouteDefinition).path}` : `Task ${def.name}`,
        code,
        memoryMb: def.memoryMb ?? DEFAULT_MEMORY_MB,
        timeoutSeconds: def.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
        architecture: this.config.lambdaArchitecture,
        subnetIds: this.network.privateSubnetIds,
        securityGroupIds: [this.functionSecurityGroup.id],
        replacementSecurityGroupIds: [this.network.defaultSecurityGroup.id],
        environment: functionEnvironment(def, contract),
        grants: functionGrants(def, contract),
        logRetentionDays: this.config.logRetentionDays,
        reservedConcurrency: reservedConcurrencyOf(def, this.config),
        permissionsBoundary: this.permissionsBoundary,
      });
    }
    return result;
  }

  /** The references functions' environments and grants are made of (infra/function-contract.ts). */
  private contractValues(): ContractValues {
    const c = this.config;
    return {
      environmentName: c.name,
      routes: this.routeDefs,
      region: c.region,
      corsOrigins: [...c.corsOrigins, ...webCorsOrigins(c, () => this.web)],
      tables: Object.fromEntries(Object.entries(this.tables).map(([name, t]) => [name, { name: t.name, arn: t.arn }])),
      sql: this.appSecret && {
        database: c.aurora.databaseName,
        appUser: c.aurora.appUsername,
        masterUser: c.aurora.masterUsername,
        appSecretArn: this.appSecret.arn,
        kmsKeyArn: this.key.arn,
        proxy: this.proxy && { endpoint: this.proxy.endpoint, port: POSTGRES_PORT, dbUserArn: (user) => this.proxy!.dbUserArn(user) },
        clusterArn: c.dataApi.enabled ? this.database.cluster.arn : undefined,
      },
      messaging: this.messaging && {
        kmsKeyArn: this.key.arn,
        topics: Object.fromEntries(Object.entries(this.messaging.topics).map(([name, t]) => [name, { arn: t.arn }])),
        queues: Object.fromEntries(Object.entries(this.messaging.queues).map(([name, q]) => [name, { arn: q.arn }])),
      },
    };
  }

  /** The environment's users: config `auth`, deletion protection as the environment's. */
  private createUserPool(): UserPool {
    const a = this.config.auth;
    return new UserPool(this, 'user-pool', {
      name: this.prefix,
      region: this.config.region,
      groups: a.groups,
      mfa: a.mfa,
      accessTokenMinutes: a.accessTokenMinutes,
      idTokenMinutes: a.idTokenMinutes,
      refreshTokenDays: a.refreshTokenDays,
      featurePlan: a.featurePlan,
      threatProtection: a.threatProtection,
      deletionProtection: this.config.deletionProtection,
      email: a.email,
    });
  }

  /** Routes with `auth` go through the JWT authorizer of the user pool's browser client; public routes do not. */
  private createApi(): HttpApi {
    return new HttpApi(this, 'http-api', {
      name: this.prefix,
      routes: this.routeDefs.map((r) => ({
        method: r.method,
        path: r.path,
        fn: this.functions[r.name]!,
        timeoutSeconds: r.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
        auth: r.auth && { scopes: r.auth.scopes },
      })),
      jwtAuthorizer: { issuer: this.userPool.issuer, audience: [this.userPool.clientId] },
      logRetentionDays: this.config.logRetentionDays,
      throttlingRateLimit: this.config.api.throttlingRateLimit,
      throttlingBurstLimit: this.config.api.throttlingBurstLimit,
    });
  }

  private createMigrations(migrationsDir: string): Migrations | undefined {
    const fn = this.functions[this.props.migrationTask ?? 'migrate'];
    if (!fn) return undefined;
    // The task connects through the proxy and writes the application role's
    // secret: everything on that path must exist before its first run.
    const after: ITerraformDependable[] = [...this.database.instances, ...this.sqlPathRules];
    if (this.proxy) after.push(this.proxy.target);
    if (this.appSecret) after.push(this.appSecret.secret);
    const endpoint = this.network.interfaceEndpoints.secretsmanager;
    if (endpoint) after.push(endpoint);
    return new Migrations(this, 'migrations', { fn, migrationsDir, after });
  }
}

/** Bundles are built for every route and task at once (infra/main.ts), so a gap means the caller passed another list. */
function missingBundle(def: FunctionDefinition, archives: ReadonlyMap<string, FunctionArchive>): never {
  const given = archives.size ? `bundles for ${[...archives.keys()].map((n) => `"${n}"`).join(', ')}` : 'no bundle';
  throw new Error(
    `No bundle for function "${def.name}" (handler "${def.handler}"): PlatformStackProps.archives holds ${given}; bundle every route and task the stack gets (archivesByName(await packageFunctionsAsync([...routes, ...tasks]))), or leave archives unset and the stack bundles them`,
  );
}

/** Indexes bundles by function name (PlatformStackProps.archives). */
export function archivesByName(archives: readonly FunctionArchive[]): Map<string, FunctionArchive> {
  return new Map(archives.map((a) => [a.name, a]));
}

/** Bundles every function once (one esbuild run) and indexes them by name. */
export function bundleAll(functions: readonly FunctionDefinition[], options: BundleOptions | string = {}): Map<string, FunctionArchive> {
  const opts = typeof options === 'string' ? { functionsDir: options } : options;
  return new Map(packageFunctions(functions, opts).map((a) => [a.name, a]));
}
