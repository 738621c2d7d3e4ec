/**
 * Database alone: Aurora Serverless v2 PostgreSQL, encrypted with our key,
 * IAM auth, TLS forced, password kept by RDS, protected from deletion.
 */
import { Testing } from 'cdktf';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group';
import { RdsCluster } from '@cdktf/provider-aws/lib/rds-cluster';
import { RdsClusterInstance } from '@cdktf/provider-aws/lib/rds-cluster-instance';
import { RdsClusterParameterGroup } from '@cdktf/provider-aws/lib/rds-cluster-parameter-group';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import type { DatabaseProps } from '../../../infra/constructs/database';
import { addressOf, onlyResource, refTo, resourcesOf, synthScope, testDatabase } from '../helpers';

Testing.setupJest();

function synthDatabase(props: Partial<DatabaseProps> = {}) {
  return synthScope((scope) => testDatabase(scope, props));
}

function clusterOf(props: Partial<DatabaseProps> = {}): Record<string, any> {
  return onlyResource(synthDatabase(props).json, 'aws_rds_cluster');
}

describe('Database', () => {
  test('runs Aurora PostgreSQL Serverless v2 at the given version and capacity', () => {
    expect(synthDatabase().synth).toHaveResourceWithProperties(RdsCluster, {
      cluster_identifier: 'sps-test',
      engine: 'aurora-postgresql',
      engine_mode: 'provisioned',
      engine_version: '16.6',
      serverlessv2_scaling_configuration: { min_capacity: 0.5, max_capacity: 4 },
    });
  });

  test('GIVEN minCapacity 0 WHEN synthesized THEN the cluster pauses after 300 idle seconds by default', () => {
    expect(clusterOf({ minCapacity: 0 }).serverlessv2_scaling_configuration.seconds_until_auto_pause).toBe(300);
  });

  test('GIVEN minCapacity 0 and secondsUntilAutoPause 900 WHEN synthesized THEN the cluster pauses after 900 s', () => {
    expect(clusterOf({ minCapacity: 0, secondsUntilAutoPause: 900 }).serverlessv2_scaling_configuration.seconds_until_auto_pause).toBe(900);
  });

  test('encrypts storage with the given key', () => {
    const { synth, json } = synthDatabase();
    expect(synth).toHaveResourceWithProperties(RdsCluster, { storage_encrypted: true, kms_key_id: refTo(json, 'aws_kms_key', 'arn') });
  });

  test('turns IAM database authentication on', () => {
    expect(synthDatabase().synth).toHaveResourceWithProperties(RdsCluster, { iam_database_authentication_enabled: true });
  });

  test('lets RDS keep the master password in a secret encrypted with the given key; no password in the configuration', () => {
    const { synth, json } = synthDatabase();
    const cluster = onlyResource(json, 'aws_rds_cluster');
    expect(cluster).toMatchObject({ master_username: 'app_admin', manage_master_user_password: true });
    expect(cluster.master_user_secret_kms_key_id).toBe(refTo(json, 'aws_kms_key', 'arn'));
    expect(cluster.master_password).toBeUndefined();
    expect(synth).not.toMatch(/master_password"|"password"\s*:/);
  });

  test('forces TLS through its cluster parameter group', () => {
    const { synth, json } = synthDatabase();
    expect(synth).toHaveResourceWithProperties(RdsClusterParameterGroup, { family: 'aurora-postgresql16', parameter: [{ name: 'rds.force_ssl', value: '1' }] });
    expect(onlyResource(json, 'aws_rds_cluster').db_cluster_parameter_group_name).toBe(refTo(json, 'aws_rds_cluster_parameter_group', 'name'));
  });

  test('takes the parameter group family from the engine major, replacing the group before destroying the old one', () => {
    expect(synthDatabase({ engineVersion: '17.4' }).synth).toHaveResourceWithProperties(RdsClusterParameterGroup, {
      name: 'sps-test-aurora-postgresql17',
      family: 'aurora-postgresql17',
      lifecycle: { create_before_destroy: true },
    });
  });

  test('never plans a downgrade after an automatic minor upgrade: engine_version is ignored after creation', () => {
    const { json } = synthDatabase({ instances: 2 });
    expect(onlyResource(json, 'aws_rds_cluster').lifecycle).toEqual({ ignore_changes: ['engine_version'] });
    const instances = resourcesOf(json, 'aws_rds_cluster_instance');
    expect(instances).toHaveLength(2);
    for (const [, i] of instances) expect(i).toMatchObject({ auto_minor_version_upgrade: true, lifecycle: { ignore_changes: ['engine_version'] } });
  });

  test('is protected from deletion and leaves a final snapshot by default', () => {
    expect(synthDatabase().synth).toHaveResourceWithProperties(RdsCluster, {
      deletion_protection: true,
      skip_final_snapshot: false,
      final_snapshot_identifier: 'sps-test-final',
    });
  });

  test('GIVEN deletionProtection false WHEN synthesized THEN it is deleted without protection or final snapshot', () => {
    const cluster = clusterOf({ deletionProtection: false });
    expect(cluster).toMatchObject({ deletion_protection: false, skip_final_snapshot: true });
    expect(cluster.final_snapshot_identifier).toBeUndefined();
  });

  test('keeps 7 days of backups by default', () => {
    expect(synthDatabase().synth).toHaveResourceWithProperties(RdsCluster, { backup_retention_period: 7 });
  });

  test('GIVEN backupRetentionDays 14 WHEN synthesized THEN backups are kept 14 days', () => {
    expect(synthDatabase({ backupRetentionDays: 14 }).synth).toHaveResourceWithProperties(RdsCluster, { backup_retention_period: 14 });
  });

  test('copies tags to the snapshots of the cluster and its instances', () => {
    const { synth } = synthDatabase();
    expect(synth).toHaveResourceWithProperties(RdsCluster, { copy_tags_to_snapshot: true });
    expect(synth).toHaveResourceWithProperties(RdsClusterInstance, { copy_tags_to_snapshot: true });
  });

  test('exports postgresql logs to a log group it owns, with the given retention, created first', () => {
    const { synth, json } = synthDatabase();
    expect(synth).toHaveResourceWithProperties(CloudwatchLogGroup, { name: '/aws/rds/cluster/sps-test/postgresql', retention_in_days: 14 });
    const cluster = onlyResource(json, 'aws_rds_cluster');
    expect(cluster.enabled_cloudwatch_logs_exports).toEqual(['postgresql']);
    expect(cluster.depends_on).toEqual([addressOf(json, 'aws_cloudwatch_log_group')]);
  });

  test('has no Data API by default', () => {
    expect(synthDatabase().synth).toHaveResourceWithProperties(RdsCluster, { enable_http_endpoint: false });
  });

  test('GIVEN dataApi true WHEN synthesized THEN the Data API is on', () => {
    expect(synthDatabase({ dataApi: true }).synth).toHaveResourceWithProperties(RdsCluster, { enable_http_endpoint: true });
  });

  test('has one db.serverless instance, not publicly accessible, by default', () => {
    const { synth, json } = synthDatabase();
    expect(resourcesOf(json, 'aws_rds_cluster_instance')).toHaveLength(1);
    expect(synth).toHaveResourceWithProperties(RdsClusterInstance, {
      identifier: 'sps-test-1',
      instance_class: 'db.serverless',
      publicly_accessible: false,
      cluster_identifier: refTo(json, 'aws_rds_cluster', 'id'),
    });
  });

  test('GIVEN three instances and two zones WHEN synthesized THEN the instances take the zones in turn', () => {
    const instances = resourcesOf(synthDatabase({ instances: 3 }).json, 'aws_rds_cluster_instance').map(([, i]) => i);
    expect(instances.map((i) => [i.identifier, i.availability_zone])).toEqual([
      ['sps-test-1', 'eu-west-1a'],
      ['sps-test-2', 'eu-west-1b'],
      ['sps-test-3', 'eu-west-1a'],
    ]);
  });

  test('lives in a subnet group of the given subnets, behind its own security group in the given VPC', () => {
    const { synth, json } = synthDatabase();
    expect(synth).toHaveResourceWithProperties(DbSubnetGroup, { name: 'sps-test-database', subnet_ids: ['subnet-a', 'subnet-b'] });
    expect(synth).toHaveResourceWithProperties(SecurityGroup, { name: 'sps-test-database', vpc_id: 'vpc-test' });
    expect(onlyResource(json, 'aws_rds_cluster')).toMatchObject({
      db_subnet_group_name: refTo(json, 'aws_db_subnet_group', 'name'),
      vpc_security_group_ids: [refTo(json, 'aws_security_group', 'id')],
      port: 5432,
    });
  });

  test('its security group lets nothing in until a rule is added', () => {
    const { json } = synthDatabase();
    expect(onlyResource(json, 'aws_security_group').ingress).toBeUndefined();
    expect(json.resource.aws_vpc_security_group_ingress_rule).toBeUndefined();
  });
});
