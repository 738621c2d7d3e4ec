/**
 * DatabaseProxy alone (in front of a real Database): TLS and IAM auth required,
 * no SQL in the logs, a role that reads the user secrets and nothing else.
 */
import { TerraformOutput, Testing } from 'cdktf';
import type { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DbProxy } from '@cdktf/provider-aws/lib/db-proxy';
import { DbProxyDefaultTargetGroup } from '@cdktf/provider-aws/lib/db-proxy-default-target-group';
import { DatabaseProxy, type DatabaseProxyProps } from '../../../infra/constructs/proxy';
import type { DatabaseProps } from '../../../infra/constructs/database';
import { addressOf, onlyResource, permissionsBoundaryTests, refTo, rolePolicyStatements, synthScope, testDatabase, testKey, trustOf, type TfJson } from '../helpers';

Testing.setupJest();

const APP_SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:sps-test/db/app_user-AbCdEf';

function synthProxy(props: Partial<DatabaseProxyProps> = {}, database: Partial<DatabaseProps> = {}, use?: (proxy: DatabaseProxy, scope: Construct) => void) {
  return synthScope((scope) => {
    const kmsKey = testKey(scope);
    const proxy = new DatabaseProxy(scope, 'proxy', {
      name: 'sps-test',
      region: 'eu-west-1',
      vpcId: 'vpc-test',
      subnetIds: ['subnet-a', 'subnet-b'],
      database: testDatabase(scope, { kmsKey, ...database }),
      kmsKey,
      logRetentionDays: 14,
      ...props,
    });
    use?.(proxy, scope);
  });
}

/** The RDS-managed master secret of the test database. */
function masterSecretOf(json: TfJson): string {
  return refTo(json, 'aws_rds_cluster', 'master_user_secret[0].secret_arn');
}

function poolOf(props: Partial<DatabaseProxyProps> = {}): Record<string, any> {
  return onlyResource(synthProxy(props).json, 'aws_db_proxy_default_target_group').connection_pool_config;
}

describe('DatabaseProxy', () => {
  test('proxies PostgreSQL in the given subnets, behind its own security group', () => {
    const { synth, json } = synthProxy();
    expect(synth).toHaveResourceWithProperties(DbProxy, {
      name: 'sps-test',
      engine_family: 'POSTGRESQL',
      vpc_subnet_ids: ['subnet-a', 'subnet-b'],
      vpc_security_group_ids: [refTo(json, 'aws_security_group', 'id', 'proxy_')],
    });
  });

  test('requires TLS by default', () => {
    expect(synthProxy().synth).toHaveResourceWithProperties(DbProxy, { require_tls: true });
  });

  test('GIVEN requireTls false WHEN synthesized THEN TLS is optional', () => {
    expect(synthProxy({ requireTls: false }).synth).toHaveResourceWithProperties(DbProxy, { require_tls: false });
  });

  test('lets the master user in with an IAM token only, through the RDS-managed secret, by default', () => {
    const { synth, json } = synthProxy();
    expect(synth).toHaveResourceWithProperties(DbProxy, {
      auth: [{ auth_scheme: 'SECRETS', iam_auth: 'REQUIRED', secret_arn: masterSecretOf(json), description: 'Aurora master secret managed by RDS (migrations)' }],
    });
  });

  test('GIVEN userSecretArns WHEN synthesized THEN each user also logs in with an IAM token through its secret', () => {
    const { synth, json } = synthProxy({ userSecretArns: [APP_SECRET] });
    expect(synth).toHaveResourceWithProperties(DbProxy, {
      auth: [
        expect.objectContaining({ iam_auth: 'REQUIRED', secret_arn: masterSecretOf(json) }),
        { auth_scheme: 'SECRETS', iam_auth: 'REQUIRED', secret_arn: APP_SECRET, description: 'Application role (functions)' },
      ],
    });
  });

  test('GIVEN iamAuth DISABLED WHEN synthesized THEN no user needs an IAM token', () => {
    const auth = onlyResource(synthProxy({ iamAuth: 'DISABLED', userSecretArns: [APP_SECRET] }).json, 'aws_db_proxy').auth;
    expect(auth.map((a: { iam_auth: string }) => a.iam_auth)).toEqual(['DISABLED', 'DISABLED']);
  });

  test('does not log SQL statements by default', () => {
    expect(synthProxy().synth).toHaveResourceWithProperties(DbProxy, { debug_logging: false });
  });

  test('GIVEN debugLogging true WHEN synthesized THEN SQL statements are logged', () => {
    expect(synthProxy({ debugLogging: true }).synth).toHaveResourceWithProperties(DbProxy, { debug_logging: true });
  });

  test('closes idle client connections after 1800 s by default', () => {
    expect(synthProxy().synth).toHaveResourceWithProperties(DbProxy, { idle_client_timeout: 1800 });
  });

  test('GIVEN idleClientTimeoutSeconds 600 WHEN synthesized THEN idle clients are closed after 600 s', () => {
    expect(synthProxy({ idleClientTimeoutSeconds: 600 }).synth).toHaveResourceWithProperties(DbProxy, { idle_client_timeout: 600 });
  });

  test('waits 120 s to borrow a database connection by default', () => {
    expect(poolOf().connection_borrow_timeout).toBe(120);
  });

  test('GIVEN connectionBorrowTimeoutSeconds 14 WHEN synthesized THEN clients wait 14 s for a connection', () => {
    expect(poolOf({ connectionBorrowTimeoutSeconds: 14 }).connection_borrow_timeout).toBe(14);
  });

  test('uses at most 90% of the database connections, half of them idle, by default', () => {
    expect(poolOf()).toMatchObject({ max_connections_percent: 90, max_idle_connections_percent: 50 });
  });

  test('GIVEN maxConnectionsPercent 50 WHEN synthesized THEN the pool uses at most 50%', () => {
    expect(poolOf({ maxConnectionsPercent: 50 }).max_connections_percent).toBe(50);
  });

  test('its default target group belongs to the proxy and targets the cluster', () => {
    const { synth, json } = synthProxy();
    expect(synth).toHaveResourceWithProperties(DbProxyDefaultTargetGroup, { db_proxy_name: refTo(json, 'aws_db_proxy', 'name') });
    expect(onlyResource(json, 'aws_db_proxy_target')).toMatchObject({
      db_proxy_name: refTo(json, 'aws_db_proxy', 'name'),
      target_group_name: refTo(json, 'aws_db_proxy_default_target_group', 'name'),
      db_cluster_identifier: refTo(json, 'aws_rds_cluster', 'cluster_identifier'),
    });
  });

  test('registers the cluster as its target only once every cluster instance exists', () => {
    const { json } = synthProxy({}, { instances: 2 });
    expect(onlyResource(json, 'aws_db_proxy_target').depends_on).toEqual([
      expect.stringMatching(/^aws_rds_cluster_instance\.database_instance-1_/),
      expect.stringMatching(/^aws_rds_cluster_instance\.database_instance-2_/),
    ]);
  });

  test('its role reads only the database user secrets, and decrypts only through Secrets Manager', () => {
    const { json } = synthProxy({ userSecretArns: [APP_SECRET] });
    expect(rolePolicyStatements(json, 'proxy_')).toEqual([
      expect.objectContaining({ actions: ['secretsmanager:GetSecretValue'], resources: [masterSecretOf(json), APP_SECRET] }),
      expect.objectContaining({
        actions: ['kms:Decrypt'],
        resources: [refTo(json, 'aws_kms_key', 'arn')],
        condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: ['secretsmanager.eu-west-1.amazonaws.com'] }],
      }),
    ]);
  });

  test('its role can be assumed by RDS only', () => {
    expect(trustOf(synthProxy().json).principals).toEqual([{ type: 'Service', identifiers: ['rds.amazonaws.com'] }]);
  });

  permissionsBoundaryTests('its role', synthProxy);

  test('logs to its own log group with the given retention; the proxy waits for it and for its role policy', () => {
    const { synth, json } = synthProxy();
    expect(synth).toHaveResourceWithProperties(CloudwatchLogGroup, { name: '/aws/rds/proxy/sps-test', retention_in_days: 14 });
    expect(onlyResource(json, 'aws_db_proxy').depends_on).toEqual([
      addressOf(json, 'aws_iam_role_policy', 'proxy_'),
      addressOf(json, 'aws_cloudwatch_log_group', 'proxy_'),
    ]);
  });

  test('dbUserArn names a database user of this proxy: rds-db:…:dbuser:<proxy resource id>/<user>', () => {
    const { json } = synthProxy({}, {}, (proxy, scope) => new TerraformOutput(scope, 'user_arn', { value: proxy.dbUserArn('app_user') }));
    const arn = String(json.output!.user_arn!.value);
    const proxyArn = `${addressOf(json, 'aws_db_proxy')}.arn`;
    expect(arn).toBe(
      `\${join(":", ["arn", element(split(":", ${proxyArn}), 1), "rds-db", element(split(":", ${proxyArn}), 3), element(split(":", ${proxyArn}), 4), "dbuser", "\${element(split(":", ${proxyArn}), 6)}/app_user"])}`,
    );
  });
});
