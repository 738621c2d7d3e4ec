/**
 * The whole stack on the fixture app and environments (test/fixtures): how the
 * environment config and the registry reach the constructs, and how the constructs are wired together
 * (grants, security-group chain, ordering, outputs). Each construct's own
 * defaults are tested alone in test/infra/constructs/.
 */
import { Testing } from 'cdktf';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { RdsCluster } from '@cdktf/provider-aws/lib/rds-cluster';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { hashMigrations } from '../../infra/constructs/migrations';
import {
  configFor,
  FixtureBundles,
  onlyResource,
  policyDocumentOf,
  refTo,
  resourcesOf,
  rolePolicyStatements,
  synthStack,
  type SynthResult,
  type TfJson,
} from './helpers';
import { FIXTURE_GROUP, FIXTURE_SCOPE, fixtureRoutes, fixtureTasks, signedInFixtureRoutes } from '../fixtures/registry';

Testing.setupJest();

let bundles: FixtureBundles;
let dev: SynthResult;
let prod: SynthResult;

beforeAll(() => {
  bundles = new FixtureBundles();
  dev = synthStack(configFor('dev'), bundles);
  prod = synthStack(configFor('prod'), bundles);
});

function functionPolicy(json: TfJson, fnName: string) {
  return rolePolicyStatements(json, `fn-${fnName}_`);
}

const DATA_KEY = '${aws_kms_key.data-key_5D719C34.arn}';
const MASTER_SECRET = '${aws_rds_cluster.database_cluster_FAF2FB92.master_user_secret[0].secret_arn}';
const APP_SECRET = '${aws_secretsmanager_secret.app-role-secret_6F8EA5AE.arn}';

function lambdaOf(json: TfJson, fnName: string): Record<string, any> {
  return resourcesOf(json, 'aws_lambda_function').find(([, f]) => f.function_name === `sps-${json.provider.aws![0]!.default_tags[0].tags.environment}-${fnName}`)![1];
}

describe('provider and state', () => {
  test('pins hashicorp/aws 5.100.0 exactly', () => {
    expect(dev.json.terraform.required_providers.aws.version).toBe('5.100.0');
    expect(dev.json.terraform.required_version).toBe('>= 1.10.0');
  });

  test('tags every resource with project and environment', () => {
    expect(dev.synth).toHaveProviderWithProperties(AwsProvider, {
      region: 'eu-west-1',
      default_tags: [{ tags: expect.objectContaining({ project: 'sps', environment: 'dev' }) }],
    });
  });

  test('uses local state when no TF_STATE_BUCKET is given', () => {
    expect(Object.keys(dev.json.terraform.backend)).toEqual(['local']);
  });

  test('uses encrypted S3 state with native locking when a bucket is given', () => {
    const { json } = synthStack(configFor('dev'), bundles, { stateBackend: { bucket: 'my-state', keyPrefix: 'team' } });
    expect(json.terraform.backend.s3).toEqual(
      expect.objectContaining({ bucket: 'my-state', key: 'team/dev.tfstate', region: 'eu-west-1', encrypt: true, use_lockfile: true }),
    );
  });
});

describe('network', () => {
  test('the VPC and its private subnets follow the environment (CIDR, one subnet per AZ)', () => {
    expect(dev.synth).toHaveResourceWithProperties(Vpc, { cidr_block: '10.20.0.0/16' });
    expect(resourcesOf(dev.json, 'aws_subnet').map(([, s]) => s.availability_zone).sort()).toEqual(['eu-west-1a', 'eu-west-1b']);
  });

  test('NAT on: a NAT gateway per AZ, and functions may reach the internet over HTTPS through them', () => {
    const { json } = synthStack(configFor('dev', { natGateways: true }), bundles);
    expect(resourcesOf(json, 'aws_nat_gateway')).toHaveLength(2);
    expect(resourcesOf(json, 'aws_vpc_security_group_egress_rule').map(([, r]) => r).filter((r) => r.cidr_ipv4)).toEqual([
      expect.objectContaining({ security_group_id: '${aws_security_group.functions-sg.id}', cidr_ipv4: '0.0.0.0/0', from_port: 443, to_port: 443 }),
    ]);
  });

  test('interface endpoints: rds-data for the Data API, secretsmanager for the migration task', () => {
    const iface = resourcesOf(dev.json, 'aws_vpc_endpoint').filter(([, e]) => e.vpc_endpoint_type === 'Interface');
    expect(iface.map(([, e]) => e.service_name).sort()).toEqual(['com.amazonaws.eu-west-1.rds-data', 'com.amazonaws.eu-west-1.secretsmanager']);
  });

  test('no interface endpoint when no function uses the Data API and there is no migration task', () => {
    const routes = fixtureRoutes.filter((r) => r.data?.sql !== 'data-api');
    const { json } = synthStack(configFor('dev'), bundles, { routes, tasks: [] });
    expect(resourcesOf(json, 'aws_vpc_endpoint').filter(([, e]) => e.vpc_endpoint_type === 'Interface')).toEqual([]);
  });

  test('every log group (flow logs, functions, database, proxy, API) keeps the environment\'s retention', () => {
    for (const [json, days] of [[dev.json, 14], [prod.json, 90]] as const) {
      const groups = resourcesOf(json, 'aws_cloudwatch_log_group').map(([, g]) => g);
      const kinds = new Set(groups.map((g) => String(g.name).replace(/sps-(dev|prod).*$/, '')));
      expect(kinds).toEqual(new Set(['/vpc/', '/aws/lambda/', '/aws/rds/cluster/', '/aws/rds/proxy/', '/aws/apigateway/']));
      for (const g of groups) expect([g.name, g.retention_in_days]).toEqual([g.name, days]);
    }
  });
});

describe('security groups', () => {
  test('chain function SG -> proxy SG:5432 -> database SG:5432', () => {
    const ingress = resourcesOf(dev.json, 'aws_vpc_security_group_ingress_rule').map(([, r]) => r);
    const pairs = ingress.map((r) => [r.security_group_id, r.referenced_security_group_id, r.from_port]);
    expect(pairs).toContainEqual(['${aws_security_group.proxy_sg_280C8B74.id}', '${aws_security_group.functions-sg.id}', 5432]);
    expect(pairs).toContainEqual(['${aws_security_group.database_sg_18332A00.id}', '${aws_security_group.proxy_sg_280C8B74.id}', 5432]);
  });

  test('no ingress from an IP range anywhere: every ingress rule references a security group', () => {
    for (const [, rule] of resourcesOf(dev.json, 'aws_vpc_security_group_ingress_rule')) {
      expect(rule.referenced_security_group_id).toBeDefined();
      expect(rule.cidr_ipv4).toBeUndefined();
      expect(rule.cidr_ipv6).toBeUndefined();
    }
  });

  test('function egress only to the proxy, DynamoDB (prefix list) and the endpoints, all HTTPS/5432', () => {
    const egress = resourcesOf(dev.json, 'aws_vpc_security_group_egress_rule')
      .map(([, r]) => r)
      .filter((r) => r.security_group_id === '${aws_security_group.functions-sg.id}');
    expect(egress.map((r) => [r.from_port, r.referenced_security_group_id ?? r.prefix_list_id]).sort()).toEqual(
      [
        [443, refTo(dev.json, 'aws_security_group', 'id', 'network_endpoints-sg_')],
        [443, refTo(dev.json, 'aws_vpc_endpoint', 'prefix_list_id', 'network_dynamodb-endpoint_')],
        [5432, '${aws_security_group.proxy_sg_280C8B74.id}'],
      ].sort(),
    );
    expect(egress.every((r) => r.cidr_ipv4 === undefined)).toBe(true);
  });

  test('every security group and rule has a description', () => {
    for (const type of ['aws_security_group', 'aws_vpc_security_group_ingress_rule', 'aws_vpc_security_group_egress_rule']) {
      for (const [, r] of resourcesOf(dev.json, type)) expect(String(r.description ?? '')).not.toBe('');
    }
  });
});

describe('data at rest', () => {
  test('one customer-managed key encrypts the tables, the cluster, its master secret and the application secret', () => {
    expect(onlyResource(dev.json, 'aws_kms_key')).toBeDefined();
    expect(onlyResource(dev.json, 'aws_dynamodb_table').server_side_encryption).toEqual({ enabled: true, kms_key_arn: DATA_KEY });
    expect(onlyResource(dev.json, 'aws_rds_cluster')).toMatchObject({ kms_key_id: DATA_KEY, master_user_secret_kms_key_id: DATA_KEY });
    expect(onlyResource(dev.json, 'aws_secretsmanager_secret')).toMatchObject({ name: 'sps-dev/db/app_user', kms_key_id: DATA_KEY });
  });

  test('no password anywhere in the configuration: RDS keeps the master\'s, the migration task writes the application role\'s', () => {
    expect(onlyResource(dev.json, 'aws_rds_cluster').master_password).toBeUndefined();
    expect(dev.json.resource.aws_secretsmanager_secret_version).toBeUndefined();
    expect(dev.synth).not.toMatch(/master_password"|"password"\s*:/);
  });

  test('tables from the table definitions, named <project>-<environment>-<table>', () => {
    expect(dev.synth).toHaveResourceWithProperties(DynamodbTable, {
      name: 'sps-dev-posts',
      hash_key: 'id',
      ttl: { attribute_name: 'expiresAt', enabled: true },
      global_secondary_index: [expect.objectContaining({ name: 'gsi1', hash_key: 'gsi1pk', range_key: 'gsi1sk' })],
    });
  });

  test('deletionProtection: prod protects the table and the cluster and keeps a final snapshot and the secret; dev deletes at once', () => {
    expect(onlyResource(prod.json, 'aws_dynamodb_table').deletion_protection_enabled).toBe(true);
    expect(onlyResource(prod.json, 'aws_rds_cluster')).toMatchObject({ deletion_protection: true, skip_final_snapshot: false, final_snapshot_identifier: 'sps-prod-final' });
    expect(onlyResource(prod.json, 'aws_secretsmanager_secret').recovery_window_in_days).toBe(30);
    expect(onlyResource(dev.json, 'aws_dynamodb_table').deletion_protection_enabled).toBe(false);
    expect(onlyResource(dev.json, 'aws_rds_cluster')).toMatchObject({ deletion_protection: false, skip_final_snapshot: true });
    expect(onlyResource(dev.json, 'aws_secretsmanager_secret').recovery_window_in_days).toBe(0);
  });

  test('table streams only when configured', () => {
    expect(onlyResource(dev.json, 'aws_dynamodb_table').stream_enabled).toBe(false);
    const { json } = synthStack(configFor('dev', { dynamodb: { stream: 'NEW_AND_OLD_IMAGES' } }), bundles);
    expect(onlyResource(json, 'aws_dynamodb_table')).toMatchObject({ stream_enabled: true, stream_view_type: 'NEW_AND_OLD_IMAGES' });
  });
});

describe('Aurora', () => {
  test('follows the environment: engine version, capacity, backups; prod spreads two instances over AZs', () => {
    expect(dev.synth).toHaveResourceWithProperties(RdsCluster, {
      engine_version: '16.6',
      serverlessv2_scaling_configuration: { min_capacity: 0.5, max_capacity: 4 },
      backup_retention_period: 7,
    });
    expect(onlyResource(prod.json, 'aws_rds_cluster').backup_retention_period).toBe(14);
    const instances = resourcesOf(prod.json, 'aws_rds_cluster_instance').map(([, i]) => i);
    expect(instances).toHaveLength(2);
    expect(new Set(instances.map((i) => i.availability_zone)).size).toBe(2);
  });

  test('Data API per config', () => {
    expect(onlyResource(dev.json, 'aws_rds_cluster').enable_http_endpoint).toBe(true);
    const routes = fixtureRoutes.filter((r) => r.data?.sql !== 'data-api');
    const { json } = synthStack(configFor('dev', { dataApi: { enabled: false } }), bundles, { routes });
    expect(onlyResource(json, 'aws_rds_cluster').enable_http_endpoint).toBe(false);
  });
});

describe('RDS Proxy', () => {
  test('lets in the master user (migrations) and the application role, each with an IAM token, and its role reads (and decrypts) their two secrets only', () => {
    const auth = onlyResource(dev.json, 'aws_db_proxy').auth as { iam_auth: string; secret_arn: string }[];
    expect(auth.map((a) => [a.iam_auth, a.secret_arn])).toEqual([
      ['REQUIRED', MASTER_SECRET],
      ['REQUIRED', APP_SECRET],
    ]);
    expect(rolePolicyStatements(dev.json, 'proxy_').map((st) => st.resources)).toEqual([[MASTER_SECRET, APP_SECRET], [DATA_KEY]]);
  });

  test('the target is registered only once the cluster instances exist', () => {
    expect(onlyResource(prod.json, 'aws_db_proxy_target').depends_on).toEqual([
      expect.stringMatching(/^aws_rds_cluster_instance\.database_instance-1_/),
      expect.stringMatching(/^aws_rds_cluster_instance\.database_instance-2_/),
    ]);
  });

  test('connection_borrow_timeout stays under the shortest timeout of a function that uses the proxy', () => {
    const fixture = fixtureRoutes.map((r) => (r.name === 'registrations-create' ? { ...r, timeoutSeconds: 6 } : r));
    const { json } = synthStack(configFor('dev'), bundles, { routes: fixture });
    expect(onlyResource(json, 'aws_db_proxy_default_target_group').connection_pool_config.connection_borrow_timeout).toBe(5);
    expect(onlyResource(dev.json, 'aws_db_proxy_default_target_group').connection_pool_config.connection_borrow_timeout).toBe(14);
  });

  test('no proxy (and no proxy rules) when proxy.enabled is false', () => {
    const routes = fixtureRoutes.filter((r) => r.data?.sql !== 'proxy');
    const { json } = synthStack(configFor('dev', { proxy: { enabled: false } }), bundles, { routes, tasks: [] });
    expect(json.resource.aws_db_proxy).toBeUndefined();
  });
});

describe('functions', () => {
  test('one Lambda per registry entry, with the environment\'s architecture and the entry\'s memory and timeout (or the defaults)', () => {
    const fns = resourcesOf(dev.json, 'aws_lambda_function').map(([, f]) => f);
    expect(fns.map((f) => f.function_name).sort()).toEqual([...fixtureRoutes, ...fixtureTasks].map((d) => `sps-dev-${d.name}`).sort());
    for (const f of fns) expect(f.architectures).toEqual(['arm64']);
    expect(lambdaOf(dev.json, 'posts-get')).toMatchObject({ memory_size: 512, timeout: 10 });
    expect(lambdaOf(dev.json, 'registrations-create')).toMatchObject({ memory_size: 256, timeout: 15 });
  });

  test('in the private subnets with the function SG; the locked default SG takes its place on destroy', () => {
    for (const [, f] of resourcesOf(dev.json, 'aws_lambda_function')) {
      expect(f.vpc_config.subnet_ids).toHaveLength(2);
      expect(f.vpc_config.subnet_ids.every((s: string) => s.includes('aws_subnet.network_private-'))).toBe(true);
      expect(f.vpc_config.security_group_ids).toEqual(['${aws_security_group.functions-sg.id}']);
      expect(f.replacement_security_group_ids).toEqual([refTo(dev.json, 'aws_default_security_group', 'id')]);
    }
  });

  test('each function runs its own bundle: source_code_hash is that zip\'s SHA-256', () => {
    const f = lambdaOf(dev.json, 'posts-list');
    expect(f.source_code_hash).toBe(bundles.archives.get('posts-list')!.sha256Base64);
    expect(f.filename).toMatch(/^assets\/fn-posts-list_code_[A-F0-9]+\/[A-F0-9]{32}\/posts-list\.zip$/);
  });

  test('table grants: read-only or read-write on that table and its indexes only', () => {
    const table = refTo(dev.json, 'aws_dynamodb_table', 'arn', 'table-posts_');
    const read = functionPolicy(dev.json, 'posts-list').find((s) => s.sid === 'ReadTablePosts')!;
    expect(read.resources).toEqual([table, `${table}/index/*`]);
    expect(read.actions).not.toContain('dynamodb:PutItem');
    const write = functionPolicy(dev.json, 'posts-create').find((s) => s.sid === 'ReadWriteTablePosts')!;
    expect(write.actions).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']));
    expect(write.resources).toEqual([table, `${table}/index/*`]);
  });

  test('proxy routes get rds-db:connect as the application role only; the migrate task as the master user', () => {
    const connect = (fn: string) => functionPolicy(dev.json, fn).find((s) => s.actions.includes('rds-db:connect'))!.resources;
    expect(connect('registrations-create')).toHaveLength(1);
    expect(connect('registrations-create')[0]).toContain('"rds-db"');
    expect(connect('registrations-create')[0]).toContain('"dbuser"');
    expect(connect('registrations-create')[0]).toMatch(/element\(split\(":", aws_db_proxy\.proxy_5B0EBCF1\.arn\), 6\)\}\/app_user/);
    expect(connect('migrate')[0]).toMatch(/\/app_admin"\]\)\}$/);
  });

  test('only the migrate task may write the application secret; no function may read the master secret', () => {
    const app = '${aws_secretsmanager_secret.app-role-secret_6F8EA5AE.arn}';
    expect(functionPolicy(dev.json, 'migrate').find((s) => s.sid === 'KeepAppSecret')).toMatchObject({
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
      resources: [app],
    });
    for (const [id, policy] of resourcesOf(dev.json, 'aws_iam_role_policy').filter(([id]) => id.startsWith('fn-'))) {
      const statements = policyDocumentOf(dev.json, policy.policy).statement as { actions: string[]; resources?: string[] }[];
      const resources = statements.flatMap((s) => s.resources ?? []);
      expect([id, resources.some((r) => r.includes('master_user_secret'))]).toEqual([id, false]);
      if (!id.startsWith('fn-migrate_')) expect([id, statements.some((s) => s.actions.includes('secretsmanager:PutSecretValue'))]).toEqual([id, false]);
    }
  });

  test('Data API functions get the five statement actions on the cluster and read the secret through Secrets Manager', () => {
    const statements = functionPolicy(dev.json, 'events-get');
    expect(statements.find((s) => s.sid === 'DataApiOnCluster')).toMatchObject({
      actions: [
        'rds-data:ExecuteStatement',
        'rds-data:BatchExecuteStatement',
        'rds-data:BeginTransaction',
        'rds-data:CommitTransaction',
        'rds-data:RollbackTransaction',
      ],
      resources: ['${aws_rds_cluster.database_cluster_FAF2FB92.arn}'],
    });
    expect(statements.find((s) => s.sid === 'ReadAppSecret')).toMatchObject({
      actions: ['secretsmanager:GetSecretValue'],
      resources: ['${aws_secretsmanager_secret.app-role-secret_6F8EA5AE.arn}'],
    });
    expect(statements.find((s) => s.sid === 'DecryptSecretsViaSecretsManager')!.condition).toEqual([
      { test: 'StringEquals', variable: 'kms:ViaService', values: ['secretsmanager.eu-west-1.amazonaws.com'] },
    ]);
  });

  test('no wildcard action anywhere, and "*" resources only for the ENI actions', () => {
    for (const [, doc] of Object.entries(dev.json.data!.aws_iam_policy_document!)) {
      for (const s of doc.statement) {
        for (const a of s.actions) expect(a).not.toContain('*');
        if ((s.resources ?? []).includes('*')) expect(s.sid).toBe('VpcNetworkInterfaces');
      }
    }
  });

  test('environment follows the team contract (only what the function uses)', () => {
    expect(lambdaOf(dev.json, 'posts-list').environment.variables).toEqual({
      APP_ENV: 'dev',
      CORS_ORIGINS: 'http://localhost:5173,http://127.0.0.1:5173',
      CORS_METHODS: 'GET,POST',
      ROUTE_ACCESS: 'public',
      TABLE_POSTS: refTo(dev.json, 'aws_dynamodb_table', 'name', 'table-posts_'),
    });
    expect(lambdaOf(dev.json, 'registrations-create').environment.variables).toMatchObject({
      DB_PROXY_ENDPOINT: '${aws_db_proxy.proxy_5B0EBCF1.endpoint}',
      DB_PORT: '5432',
      DB_NAME: 'app',
      DB_USER: 'app_user',
    });
    expect(lambdaOf(dev.json, 'events-get').environment.variables).toMatchObject({
      DB_CLUSTER_ARN: '${aws_rds_cluster.database_cluster_FAF2FB92.arn}',
      DB_SECRET_ARN: '${aws_secretsmanager_secret.app-role-secret_6F8EA5AE.arn}',
      DB_USER: 'app_user',
    });
    expect(lambdaOf(dev.json, 'migrate').environment.variables).toMatchObject({
      DB_USER: 'app_admin',
      APP_DB_USER: 'app_user',
      APP_DB_SECRET_ARN: '${aws_secretsmanager_secret.app-role-secret_6F8EA5AE.arn}',
    });
  });

  test('reserved concurrency from the environment (prod) unless the entry sets its own; tasks reserve none', () => {
    expect(lambdaOf(prod.json, 'posts-list').reserved_concurrent_executions).toBe(50);
    expect(lambdaOf(prod.json, 'migrate').reserved_concurrent_executions).toBeUndefined();
    expect(lambdaOf(dev.json, 'posts-list').reserved_concurrent_executions).toBeUndefined();
  });

  test('fails at synth when reservations leave the account fewer than 100 unreserved executions', () => {
    expect(() => synthStack(configFor('prod', { accountConcurrencyLimit: 300 }), bundles)).toThrow(
      /reservedConcurrency: the functions reserve 250 concurrent executions \(posts-list 50, .*\), but an account limit of 300 \(accountConcurrencyLimit\) leaves only 200 to reserve, because AWS keeps 100 unreserved; lower reservedConcurrency/,
    );
    expect(() => synthStack(configFor('prod', { accountConcurrencyLimit: 10 }), bundles)).toThrow(/leaves only 0 to reserve, because AWS keeps 10 unreserved/);
  });
});

describe('HTTP API', () => {
  test('one route per registry entry plus an OPTIONS route per path', () => {
    const keys = resourcesOf(dev.json, 'aws_apigatewayv2_route').map(([, r]) => r.route_key).sort();
    const paths = [...new Set(fixtureRoutes.map((r) => r.path))];
    expect(keys).toEqual([...fixtureRoutes.map((r) => `${r.method} ${r.path}`), ...paths.map((p) => `OPTIONS ${p}`)].sort());
  });

  test('default route throttling from the environment', () => {
    expect(onlyResource(dev.json, 'aws_apigatewayv2_stage').default_route_settings).toMatchObject({ throttling_rate_limit: 100, throttling_burst_limit: 200 });
    expect(onlyResource(prod.json, 'aws_apigatewayv2_stage').default_route_settings).toMatchObject({ throttling_rate_limit: 500, throttling_burst_limit: 1000 });
  });

  test('outputs: API URL, table name, proxy endpoint, cluster ARN, secret ARN', () => {
    expect(Object.keys(dev.json.output!)).toEqual(
      expect.arrayContaining(['api_url', 'table_posts', 'proxy_endpoint', 'cluster_arn', 'secret_arn']),
    );
  });
});

describe('sign-in', () => {
  const poolId = () => refTo(dev.json, 'aws_cognito_user_pool', 'id');
  const routeOf = (json: TfJson, key: string) => resourcesOf(json, 'aws_apigatewayv2_route').find(([, r]) => r.route_key === key)![1];

  test('one user pool per environment, <project>-<env>-users, with the config\'s MFA and token lifetimes', () => {
    expect(onlyResource(dev.json, 'aws_cognito_user_pool')).toMatchObject({ name: 'sps-dev-users', mfa_configuration: 'OPTIONAL', user_pool_tier: 'ESSENTIALS' });
    expect(onlyResource(prod.json, 'aws_cognito_user_pool').name).toBe('sps-prod-users');
    expect(onlyResource(dev.json, 'aws_cognito_user_pool_client')).toMatchObject({ name: 'sps-dev-web', access_token_validity: 60, id_token_validity: 60, refresh_token_validity: 30 });
  });

  test('the config\'s auth settings reach the pool and its client', () => {
    const { json } = synthStack(
      configFor('dev', { auth: { groups: [FIXTURE_GROUP], mfa: 'ON', accessTokenMinutes: 15, idTokenMinutes: 30, refreshTokenDays: 7, featurePlan: 'PLUS', threatProtection: 'ENFORCED' } }),
      bundles,
    );
    expect(onlyResource(json, 'aws_cognito_user_pool')).toMatchObject({ mfa_configuration: 'ON', user_pool_tier: 'PLUS', user_pool_add_ons: { advanced_security_mode: 'ENFORCED' } });
    expect(onlyResource(json, 'aws_cognito_user_pool_client')).toMatchObject({ access_token_validity: 15, id_token_validity: 30, refresh_token_validity: 7 });
  });

  test('deletion protection follows the environment: ACTIVE in prod, INACTIVE in dev', () => {
    expect(onlyResource(prod.json, 'aws_cognito_user_pool').deletion_protection).toBe('ACTIVE');
    expect(onlyResource(dev.json, 'aws_cognito_user_pool').deletion_protection).toBe('INACTIVE');
  });

  test('the config\'s groups are groups of the pool', () => {
    expect(resourcesOf(dev.json, 'aws_cognito_user_group').map(([, g]) => [g.name, g.user_pool_id])).toEqual([[FIXTURE_GROUP, poolId()]]);
  });

  test('the API\'s JWT authorizer trusts the pool (issuer) and its browser client (audience)', () => {
    expect(onlyResource(dev.json, 'aws_apigatewayv2_authorizer')).toMatchObject({
      authorizer_type: 'JWT',
      identity_sources: ['$request.header.Authorization'],
      jwt_configuration: { issuer: `https://cognito-idp.eu-west-1.amazonaws.com/${poolId()}`, audience: [refTo(dev.json, 'aws_cognito_user_pool_client', 'id')] },
    });
  });

  test('routes with auth use the authorizer, with their scopes; auth.groups are the handler chain\'s, not API Gateway\'s', () => {
    const authorizer = refTo(dev.json, 'aws_apigatewayv2_authorizer', 'id');
    expect(routeOf(dev.json, 'POST /posts')).toMatchObject({ authorization_type: 'JWT', authorizer_id: authorizer });
    expect(routeOf(dev.json, 'POST /posts').authorization_scopes).toBeUndefined();
    expect(routeOf(dev.json, 'GET /events/{id}')).toMatchObject({ authorization_type: 'JWT', authorizer_id: authorizer });
    expect(routeOf(dev.json, 'GET /events/{id}').authorization_scopes).toBeUndefined();
    expect(routeOf(dev.json, 'POST /events/{id}/registrations')).toMatchObject({ authorization_type: 'JWT', authorizer_id: authorizer, authorization_scopes: [FIXTURE_SCOPE] });
  });

  test('public routes and every OPTIONS route have no authorization', () => {
    const publicKeys = signedInFixtureRoutes.filter((r) => r.public).map((r) => `${r.method} ${r.path}`);
    const preflight = [...new Set(signedInFixtureRoutes.map((r) => r.path))].map((p) => `OPTIONS ${p}`);
    expect(publicKeys).toEqual(['GET /posts', 'GET /posts/{id}']);
    for (const key of [...publicKeys, ...preflight]) {
      expect([key, routeOf(dev.json, key).authorization_type, routeOf(dev.json, key).authorizer_id]).toEqual([key, 'NONE', undefined]);
    }
  });

  test('functions learn their access from the contract: signed-in routes and their groups', () => {
    expect(lambdaOf(dev.json, 'posts-create').environment.variables).toMatchObject({ ROUTE_ACCESS: 'signed-in' });
    expect(lambdaOf(dev.json, 'posts-create').environment.variables.AUTH_GROUPS).toBeUndefined();
    expect(lambdaOf(dev.json, 'events-get').environment.variables).toMatchObject({ ROUTE_ACCESS: 'signed-in', AUTH_GROUPS: FIXTURE_GROUP });
    expect(lambdaOf(dev.json, 'posts-list').environment.variables.ROUTE_ACCESS).toBe('public');
  });

  test('outputs: user pool id, app client id, JWT issuer (for the web front end and dev tools)', () => {
    expect(dev.json.output).toMatchObject({
      user_pool_id: { value: poolId() },
      user_pool_client_id: { value: refTo(dev.json, 'aws_cognito_user_pool_client', 'id') },
      jwt_issuer: { value: `https://cognito-idp.eu-west-1.amazonaws.com/${poolId()}` },
    });
  });

  test('an app whose routes are all public still gets the pool and the authorizer (sign-in is ready for the first auth route)', () => {
    const { json } = synthStack(configFor('dev'), bundles, { routes: fixtureRoutes });
    expect(resourcesOf(json, 'aws_cognito_user_pool')).toHaveLength(1);
    expect(resourcesOf(json, 'aws_apigatewayv2_authorizer')).toHaveLength(1);
    for (const [, r] of resourcesOf(json, 'aws_apigatewayv2_route')) expect(r.authorization_type).toBe('NONE');
  });
});

describe('migrations', () => {
  test('the migrate task is invoked once everything on its path to the database exists', () => {
    const inv = onlyResource(dev.json, 'aws_lambda_invocation');
    expect(inv.function_name).toMatch(/aws_lambda_function\.fn-migrate_/);
    expect(inv.depends_on).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^aws_db_proxy_target\./),
        expect.stringMatching(/^aws_rds_cluster_instance\./),
        expect.stringMatching(/^aws_secretsmanager_secret\.app-role-secret_/),
        expect.stringMatching(/^aws_vpc_endpoint\.network_secretsmanager-endpoint_/),
        ...['functions-to-proxy', 'proxy-to-database', 'functions-to-endpoints'].flatMap((rule) => [
          expect.stringMatching(new RegExp(`^aws_vpc_security_group_egress_rule\\.${rule}-egress`)),
          expect.stringMatching(new RegExp(`^aws_vpc_security_group_ingress_rule\\.${rule}-ingress`)),
        ]),
      ]),
    );
  });

  test('the migrations come from <functionsDir>/migrations, or the migrationsDir given', () => {
    expect(onlyResource(dev.json, 'aws_lambda_invocation').triggers.migrations).toBe(hashMigrations('/nonexistent').hash);
    const dir = new URL('./fixtures/migrations', import.meta.url).pathname;
    const { json } = synthStack(configFor('dev'), bundles, { migrationsDir: dir });
    expect(onlyResource(json, 'aws_lambda_invocation').triggers.migrations).toBe(hashMigrations(dir).hash);
  });
});
