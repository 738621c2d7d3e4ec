/**
 * Construct tests: one per secure default, on the synthesized Terraform JSON
 * (cdktf's jest matchers where they fit, parsed JSON elsewhere).
 */
import { Testing } from 'cdktf';
import { Apigatewayv2Api } from '@cdktf/provider-aws/lib/apigatewayv2-api';
import { Apigatewayv2Stage } from '@cdktf/provider-aws/lib/apigatewayv2-stage';
import { DbProxy } from '@cdktf/provider-aws/lib/db-proxy';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { RdsCluster } from '@cdktf/provider-aws/lib/rds-cluster';
import { RdsClusterParameterGroup } from '@cdktf/provider-aws/lib/rds-cluster-parameter-group';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { VPC_ENI_ACTIONS } from '../../infra/constructs/function';
import { hashMigrations } from '../../infra/constructs/migrations';
import {
  configFor,
  FixtureBundles,
  onlyResource,
  policyDocumentOf,
  resourcesOf,
  synthStack,
  type SynthResult,
  type TfJson,
} from './helpers';
import { fixtureRoutes, fixtureTasks } from './fixtures/registry';

Testing.setupJest();

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R> {
      toHaveResourceWithProperties(resource: { tfResourceType: string }, properties: Record<string, unknown>): R;
      toHaveResource(resource: { tfResourceType: string }): R;
      toHaveProviderWithProperties(resource: { tfResourceType: string }, properties: Record<string, unknown>): R;
    }
  }
}

let bundles: FixtureBundles;
let dev: SynthResult;
let prod: SynthResult;

beforeAll(() => {
  bundles = new FixtureBundles();
  dev = synthStack(configFor('dev'), bundles);
  prod = synthStack(configFor('prod'), bundles);
});
afterAll(() => bundles.dispose());

function functionPolicy(json: TfJson, fnName: string): { sid: string; actions: string[]; resources: string[]; condition?: any[] }[] {
  const [, policy] = resourcesOf(json, 'aws_iam_role_policy').find(([id]) => id.startsWith(`fn-${fnName}_`))!;
  return policyDocumentOf(json, policy.policy).statement;
}

/** Logical id of the one resource of `type` whose id starts with `prefix`. */
function idOf(json: TfJson, type: string, prefix: string): string {
  const ids = Object.keys(json.resource[type] ?? {}).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one ${type} with id ${prefix}*, found ${ids.join(', ') || 'none'}`);
  return ids[0]!;
}

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
  test('the VPC has DNS support and hostnames on', () => {
    expect(dev.synth).toHaveResourceWithProperties(Vpc, { cidr_block: '10.20.0.0/16', enable_dns_support: true, enable_dns_hostnames: true });
  });

  test('one private subnet per AZ, no public IPs, and no route to an internet gateway by default', () => {
    const subnets = resourcesOf(dev.json, 'aws_subnet').map(([, s]) => s);
    expect(subnets.map((s) => s.availability_zone).sort()).toEqual(['eu-west-1a', 'eu-west-1b']);
    expect(subnets.every((s) => s.map_public_ip_on_launch === false)).toBe(true);
    expect(dev.json.resource.aws_internet_gateway).toBeUndefined();
    expect(dev.json.resource.aws_nat_gateway).toBeUndefined();
    expect(dev.json.resource.aws_route).toBeUndefined();
  });

  test('NAT on: public subnets and one NAT gateway per AZ, private routes through the NAT of their AZ', () => {
    const { json } = synthStack(configFor('dev', { natGateways: true }), bundles);
    expect(resourcesOf(json, 'aws_nat_gateway')).toHaveLength(2);
    expect(resourcesOf(json, 'aws_subnet').filter(([, s]) => s.tags.tier === 'public')).toHaveLength(2);
    const natRoutes = resourcesOf(json, 'aws_route').filter(([, r]) => r.nat_gateway_id);
    expect(natRoutes).toHaveLength(2);
    expect(natRoutes.every(([, r]) => String(r.route_table_id).includes('private-rt'))).toBe(true);
  });

  test('DynamoDB gateway endpoint on every private route table', () => {
    const endpoint = resourcesOf(dev.json, 'aws_vpc_endpoint').find(([, e]) => e.vpc_endpoint_type === 'Gateway')![1];
    expect(endpoint.service_name).toBe('com.amazonaws.eu-west-1.dynamodb');
    expect(endpoint.route_table_ids).toHaveLength(2);
  });

  test('interface endpoints (private DNS): rds-data for the Data API, secretsmanager for the migration task', () => {
    const iface = resourcesOf(dev.json, 'aws_vpc_endpoint').filter(([, e]) => e.vpc_endpoint_type === 'Interface');
    expect(iface.map(([, e]) => e.service_name).sort()).toEqual(['com.amazonaws.eu-west-1.rds-data', 'com.amazonaws.eu-west-1.secretsmanager']);
    for (const [, e] of iface) expect(e.private_dns_enabled).toBe(true);
  });

  test('no interface endpoint when no function uses the Data API and there is no migration task', () => {
    const routes = fixtureRoutes.filter((r) => r.data?.sql !== 'data-api');
    const { json } = synthStack(configFor('dev'), bundles, { routes, tasks: [] });
    expect(resourcesOf(json, 'aws_vpc_endpoint').filter(([, e]) => e.vpc_endpoint_type === 'Interface')).toEqual([]);
  });

  test('flow logs of all traffic to a log group with retention', () => {
    const flow = onlyResource(dev.json, 'aws_flow_log');
    expect(flow.traffic_type).toBe('ALL');
    const group = resourcesOf(dev.json, 'aws_cloudwatch_log_group').find(([, g]) => String(g.name).includes('flow-logs'))![1];
    expect(group.retention_in_days).toBe(14);
  });

  test('the default security group denies everything', () => {
    expect(dev.synth).toHaveResourceWithProperties(DefaultSecurityGroup, { ingress: [], egress: [] });
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
        [443, `\${aws_security_group.${idOf(dev.json, 'aws_security_group', 'network_endpoints-sg_')}.id}`],
        [443, `\${aws_vpc_endpoint.${idOf(dev.json, 'aws_vpc_endpoint', 'network_dynamodb-endpoint_')}.prefix_list_id}`],
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

describe('KMS and DynamoDB', () => {
  test('customer-managed key with rotation on', () => {
    expect(dev.synth).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true, deletion_window_in_days: 30 });
  });

  test('tables are on demand, PITR, KMS-encrypted with our key, with TTL', () => {
    expect(dev.synth).toHaveResourceWithProperties(DynamodbTable, {
      name: 'sps-dev-posts',
      billing_mode: 'PAY_PER_REQUEST',
      hash_key: 'id',
      point_in_time_recovery: { enabled: true },
      server_side_encryption: { enabled: true, kms_key_arn: '${aws_kms_key.data-key_5D719C34.arn}' },
      ttl: { attribute_name: 'expiresAt', enabled: true },
      global_secondary_index: [expect.objectContaining({ name: 'gsi1', hash_key: 'gsi1pk', range_key: 'gsi1sk' })],
    });
  });

  test('deletion protection on the table in prod, off in dev', () => {
    expect(onlyResource(prod.json, 'aws_dynamodb_table').deletion_protection_enabled).toBe(true);
    expect(onlyResource(dev.json, 'aws_dynamodb_table').deletion_protection_enabled).toBe(false);
  });

  test('streams only when configured', () => {
    expect(onlyResource(dev.json, 'aws_dynamodb_table').stream_enabled).toBe(false);
    const { json } = synthStack(configFor('dev', { dynamodb: { stream: 'NEW_AND_OLD_IMAGES' } }), bundles);
    expect(onlyResource(json, 'aws_dynamodb_table')).toMatchObject({ stream_enabled: true, stream_view_type: 'NEW_AND_OLD_IMAGES' });
  });
});

describe('Aurora', () => {
  test('Serverless v2, encrypted with our key, IAM auth, postgresql logs, backups, tags to snapshots', () => {
    expect(dev.synth).toHaveResourceWithProperties(RdsCluster, {
      engine: 'aurora-postgresql',
      engine_mode: 'provisioned',
      engine_version: '16.6',
      serverlessv2_scaling_configuration: { min_capacity: 0.5, max_capacity: 4 },
      storage_encrypted: true,
      kms_key_id: '${aws_kms_key.data-key_5D719C34.arn}',
      iam_database_authentication_enabled: true,
      enabled_cloudwatch_logs_exports: ['postgresql'],
      backup_retention_period: 7,
      copy_tags_to_snapshot: true,
    });
  });

  test('the master password is managed by RDS in a secret encrypted with our key; no password in the config', () => {
    const cluster = onlyResource(dev.json, 'aws_rds_cluster');
    expect(cluster.manage_master_user_password).toBe(true);
    expect(cluster.master_user_secret_kms_key_id).toBe('${aws_kms_key.data-key_5D719C34.arn}');
    expect(cluster.master_password).toBeUndefined();
    expect(dev.synth).not.toMatch(/master_password"|"password"\s*:/);
  });

  test('instances are db.serverless and not publicly accessible; prod spreads two over AZs', () => {
    const instances = resourcesOf(prod.json, 'aws_rds_cluster_instance').map(([, i]) => i);
    expect(instances).toHaveLength(2);
    expect(instances.every((i) => i.instance_class === 'db.serverless' && i.publicly_accessible === false)).toBe(true);
    expect(new Set(instances.map((i) => i.availability_zone)).size).toBe(2);
  });

  test('prod: deletion protection and a final snapshot', () => {
    expect(onlyResource(prod.json, 'aws_rds_cluster')).toMatchObject({
      deletion_protection: true,
      skip_final_snapshot: false,
      final_snapshot_identifier: 'sps-prod-final',
    });
  });

  test('dev: no deletion protection, no final snapshot', () => {
    expect(onlyResource(dev.json, 'aws_rds_cluster')).toMatchObject({ deletion_protection: false, skip_final_snapshot: true });
  });

  test('an automatic minor upgrade never plans a downgrade: engine_version is not managed after creation', () => {
    expect(onlyResource(dev.json, 'aws_rds_cluster').lifecycle).toEqual({ ignore_changes: ['engine_version'] });
    const instances = resourcesOf(prod.json, 'aws_rds_cluster_instance');
    expect(instances).toHaveLength(2);
    for (const [, i] of instances) expect(i).toMatchObject({ auto_minor_version_upgrade: true, lifecycle: { ignore_changes: ['engine_version'] } });
  });

  test('TLS forced by the cluster parameter group (family from the engine major)', () => {
    expect(dev.synth).toHaveResourceWithProperties(RdsClusterParameterGroup, {
      family: 'aurora-postgresql16',
      parameter: [{ name: 'rds.force_ssl', value: '1' }],
    });
  });

  test('Data API per config', () => {
    expect(onlyResource(dev.json, 'aws_rds_cluster').enable_http_endpoint).toBe(true);
    const routes = fixtureRoutes.filter((r) => r.data?.sql !== 'data-api');
    const { json } = synthStack(configFor('dev', { dataApi: { enabled: false } }), bundles, { routes });
    expect(onlyResource(json, 'aws_rds_cluster').enable_http_endpoint).toBe(false);
  });
});

describe('RDS Proxy', () => {
  test('requires TLS and IAM auth for the master user (migrations) and the application role, no debug logging', () => {
    expect(dev.synth).toHaveResourceWithProperties(DbProxy, {
      engine_family: 'POSTGRESQL',
      require_tls: true,
      debug_logging: false,
      auth: [
        expect.objectContaining({
          auth_scheme: 'SECRETS',
          iam_auth: 'REQUIRED',
          secret_arn: '${aws_rds_cluster.database_cluster_FAF2FB92.master_user_secret[0].secret_arn}',
        }),
        expect.objectContaining({ auth_scheme: 'SECRETS', iam_auth: 'REQUIRED', secret_arn: '${aws_secretsmanager_secret.app-role-secret_6F8EA5AE.arn}' }),
      ],
    });
  });

  test('the application role secret is created empty (no secret version: its password is never in Terraform), KMS-encrypted', () => {
    expect(onlyResource(dev.json, 'aws_secretsmanager_secret')).toMatchObject({ name: 'sps-dev/db/app_user', kms_key_id: '${aws_kms_key.data-key_5D719C34.arn}', recovery_window_in_days: 0 });
    expect(onlyResource(prod.json, 'aws_secretsmanager_secret').recovery_window_in_days).toBe(30);
    expect(dev.json.resource.aws_secretsmanager_secret_version).toBeUndefined();
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

  test('default target group pointing at the cluster', () => {
    expect(onlyResource(dev.json, 'aws_db_proxy_target').db_cluster_identifier).toBe(
      '${aws_rds_cluster.database_cluster_FAF2FB92.cluster_identifier}',
    );
    expect(onlyResource(dev.json, 'aws_db_proxy_default_target_group').db_proxy_name).toBe('${aws_db_proxy.proxy_5B0EBCF1.name}');
  });

  test('its role reads only the two user secrets, and decrypts only through Secrets Manager', () => {
    const [, policy] = resourcesOf(dev.json, 'aws_iam_role_policy').find(([id]) => id.startsWith('proxy_'))!;
    const statements = policyDocumentOf(dev.json, policy.policy).statement;
    expect(statements).toEqual([
      expect.objectContaining({
        actions: ['secretsmanager:GetSecretValue'],
        resources: ['${aws_rds_cluster.database_cluster_FAF2FB92.master_user_secret[0].secret_arn}', '${aws_secretsmanager_secret.app-role-secret_6F8EA5AE.arn}'],
      }),
      expect.objectContaining({
        actions: ['kms:Decrypt'],
        resources: ['${aws_kms_key.data-key_5D719C34.arn}'],
        condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: ['secretsmanager.eu-west-1.amazonaws.com'] }],
      }),
    ]);
  });

  test('no proxy (and no proxy rules) when proxy.enabled is false', () => {
    const routes = fixtureRoutes.filter((r) => r.data?.sql !== 'proxy');
    const { json } = synthStack(configFor('dev', { proxy: { enabled: false } }), bundles, { routes, tasks: [] });
    expect(json.resource.aws_db_proxy).toBeUndefined();
  });
});

describe('functions', () => {
  test('one Lambda per registry entry, nodejs22.x, configured architecture, explicit memory and timeout', () => {
    const fns = resourcesOf(dev.json, 'aws_lambda_function').map(([, f]) => f);
    expect(fns.map((f) => f.function_name).sort()).toEqual([...fixtureRoutes, ...fixtureTasks].map((d) => `sps-dev-${d.name}`).sort());
    for (const f of fns) {
      expect(f.runtime).toBe('nodejs22.x');
      expect(f.architectures).toEqual(['arm64']);
      expect(typeof f.memory_size).toBe('number');
      expect(typeof f.timeout).toBe('number');
    }
    expect(lambdaOf(dev.json, 'posts-get')).toMatchObject({ memory_size: 512, timeout: 10 });
    expect(lambdaOf(dev.json, 'registrations-create')).toMatchObject({ memory_size: 256, timeout: 15 });
  });

  test('in the private subnets with the function SG, security groups replaced on destroy', () => {
    for (const [, f] of resourcesOf(dev.json, 'aws_lambda_function')) {
      expect(f.vpc_config.subnet_ids).toHaveLength(2);
      expect(f.vpc_config.subnet_ids.every((s: string) => s.includes('aws_subnet.network_private-'))).toBe(true);
      expect(f.vpc_config.security_group_ids).toEqual(['${aws_security_group.functions-sg.id}']);
      expect(f.replace_security_groups_on_destroy).toBe(true);
    }
  });

  test('depends on its role policy and its log group; the log group has retention', () => {
    const f = lambdaOf(dev.json, 'posts-list');
    expect(f.depends_on).toEqual(
      expect.arrayContaining([expect.stringMatching(/^aws_iam_role_policy\.fn-posts-list_/), expect.stringMatching(/^aws_cloudwatch_log_group\.fn-posts-list_/)]),
    );
    const group = resourcesOf(dev.json, 'aws_cloudwatch_log_group').find(([, g]) => g.name === '/aws/lambda/sps-dev-posts-list')![1];
    expect(group.retention_in_days).toBe(14);
  });

  test('execution role: the ENI actions AWS documents for VPC functions, and writing its own log group only', () => {
    const statements = functionPolicy(dev.json, 'posts-list');
    expect(statements.find((s) => s.sid === 'VpcNetworkInterfaces')!.actions).toEqual([...VPC_ENI_ACTIONS]);
    expect(statements.find((s) => s.sid === 'WriteOwnLogs')).toMatchObject({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [expect.stringMatching(/^\$\{aws_cloudwatch_log_group\.fn-posts-list_logs_[A-F0-9]+\.arn\}:\*$/)],
    });
  });

  test('table grants: read-only or read-write on that table and its indexes only', () => {
    const table = `\${aws_dynamodb_table.${idOf(dev.json, 'aws_dynamodb_table', 'table-posts_')}.arn}`;
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
      TABLE_POSTS: `\${aws_dynamodb_table.${idOf(dev.json, 'aws_dynamodb_table', 'table-posts_')}.name}`,
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

  test('code is a hashed zip asset: source_code_hash is the zip SHA-256', () => {
    const f = lambdaOf(dev.json, 'posts-list');
    const archive = bundles.archives.get('posts-list')!;
    expect(f.source_code_hash).toBe(archive.sha256Base64);
    expect(f.filename).toMatch(/^assets\/fn-posts-list_code_[A-F0-9]+\/[A-F0-9]{32}\/posts-list\.zip$/);
  });
});

describe('HTTP API', () => {
  test('payload 2.0 Lambda proxy integrations, and NO cors_configuration', () => {
    expect(dev.synth).toHaveResourceWithProperties(Apigatewayv2Api, { protocol_type: 'HTTP' });
    expect(onlyResource(dev.json, 'aws_apigatewayv2_api').cors_configuration).toBeUndefined();
    for (const [, i] of resourcesOf(dev.json, 'aws_apigatewayv2_integration')) {
      expect(i).toMatchObject({ integration_type: 'AWS_PROXY', payload_format_version: '2.0' });
      expect(i.timeout_milliseconds).toBeLessThanOrEqual(30000);
    }
  });

  test('one route per registry entry plus an OPTIONS route per path', () => {
    const keys = resourcesOf(dev.json, 'aws_apigatewayv2_route').map(([, r]) => r.route_key).sort();
    const paths = [...new Set(fixtureRoutes.map((r) => r.path))];
    expect(keys).toEqual([...fixtureRoutes.map((r) => `${r.method} ${r.path}`), ...paths.map((p) => `OPTIONS ${p}`)].sort());
  });

  test('$default stage: auto-deploy, JSON access logs, default route throttling', () => {
    expect(dev.synth).toHaveResourceWithProperties(Apigatewayv2Stage, {
      name: '$default',
      auto_deploy: true,
      default_route_settings: expect.objectContaining({ throttling_rate_limit: 100, throttling_burst_limit: 200 }),
    });
    const stage = onlyResource(prod.json, 'aws_apigatewayv2_stage');
    expect(stage.default_route_settings).toMatchObject({ throttling_rate_limit: 500, throttling_burst_limit: 1000 });
    expect(JSON.parse(stage.access_log_settings.format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
  });

  test('Lambda permissions scoped to this API and the function path', () => {
    const perms = resourcesOf(dev.json, 'aws_lambda_permission').map(([, p]) => p);
    expect(perms.length).toBeGreaterThan(0);
    for (const p of perms) {
      expect(p.principal).toBe('apigateway.amazonaws.com');
      expect(p.source_arn).toMatch(/^\$\{aws_apigatewayv2_api\.http-api_[A-F0-9]+\.execution_arn\}\/\*\/\*\/[^*]+$/);
    }
  });

  test('outputs: API URL, table name, proxy endpoint, cluster ARN, secret ARN', () => {
    expect(Object.keys(dev.json.output!)).toEqual(
      expect.arrayContaining(['api_url', 'table_posts', 'proxy_endpoint', 'cluster_arn', 'secret_arn']),
    );
  });
});

describe('migrations', () => {
  test('the migrate task is invoked once everything on its path exists, re-run when SQL or code changes', () => {
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
    expect(inv.triggers.migrations).toBe(hashMigrations('/nonexistent').hash);
    expect(inv.triggers.code).toMatch(/source_code_hash/);
  });

  test('the migrations hash follows the SQL files', () => {
    const { json } = synthStack(configFor('dev'), bundles, { migrationsDir: new URL('./fixtures/migrations', import.meta.url).pathname });
    const hash = onlyResource(json, 'aws_lambda_invocation').triggers.migrations;
    expect(hash).toMatch(/^[a-f0-9]{64}$/);
    expect(hash).toBe(hashMigrations(new URL('./fixtures/migrations', import.meta.url).pathname).hash);
  });
});
