/**
 * Aurora Serverless v2 PostgreSQL: encrypted with our key, private, IAM auth on,
 * TLS forced, master password generated and kept by RDS in Secrets Manager (no
 * password in Terraform config, plan or state).
 */
import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group';
import { RdsCluster } from '@cdktf/provider-aws/lib/rds-cluster';
import { RdsClusterInstance } from '@cdktf/provider-aws/lib/rds-cluster-instance';
import { RdsClusterParameterGroup } from '@cdktf/provider-aws/lib/rds-cluster-parameter-group';
import type { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { securityGroup } from './security-groups';
import type { DataKey } from './kms-key';

export interface DatabaseProps {
  /** Cluster identifier, e.g. `sps-dev`. */
  readonly identifier: string;
  readonly vpcId: string;
  /** Private subnets (at least two AZs). */
  readonly subnetIds: string[];
  /** Zones for the instances, used round-robin. */
  readonly availabilityZones: readonly string[];
  readonly kmsKey: DataKey;
  /** Aurora PostgreSQL version, e.g. "16.6"; the parameter group family follows the major. */
  readonly engineVersion: string;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  /** `db.serverless` instances. @default 1 */
  readonly instances?: number;
  readonly databaseName: string;
  readonly masterUsername: string;
  /** @default 7 */
  readonly backupRetentionDays?: number;
  /** Deletion protection and a final snapshot on delete. @default true */
  readonly deletionProtection?: boolean;
  /** Aurora Data API (`enable_http_endpoint`). @default false */
  readonly dataApi?: boolean;
  /** Retention of the `postgresql` log export. */
  readonly logRetentionDays: number;
  /** Seconds idle before auto-pause when minCapacity is 0. @default 300 */
  readonly secondsUntilAutoPause?: number;
}

export class Database extends Construct {
  readonly securityGroup: SecurityGroup;
  readonly subnetGroup: DbSubnetGroup;
  readonly parameterGroup: RdsClusterParameterGroup;
  readonly logGroup: CloudwatchLogGroup;
  readonly cluster: RdsCluster;
  readonly instances: RdsClusterInstance[];

  constructor(scope: Construct, id: string, private readonly props: DatabaseProps) {
    super(scope, id);
    this.securityGroup = this.createSecurityGroup();
    this.subnetGroup = this.createSubnetGroup();
    this.parameterGroup = this.createParameterGroup();
    this.logGroup = this.createLogGroup();
    this.cluster = this.createCluster();
    this.instances = this.createInstances();
  }

  /** ARN of the RDS-managed master secret (Secrets Manager). */
  get secretArn(): string {
    return this.cluster.masterUserSecret.get(0).secretArn;
  }

  private createSecurityGroup(): SecurityGroup {
    return securityGroup(this, 'sg', {
      name: `${this.props.identifier}-database`,
      description: 'Aurora PostgreSQL: PostgreSQL in from the RDS Proxy only',
      vpcId: this.props.vpcId,
    });
  }

  private createSubnetGroup(): DbSubnetGroup {
    return new DbSubnetGroup(this, 'subnets', {
      name: `${this.props.identifier}-database`,
      description: `Private subnets of ${this.props.identifier}`,
      subnetIds: this.props.subnetIds,
    });
  }

  private createParameterGroup(): RdsClusterParameterGroup {
    const major = this.props.engineVersion.split('.')[0];
    return new RdsClusterParameterGroup(this, 'params', {
      name: `${this.props.identifier}-aurora-postgresql${major}`,
      family: `aurora-postgresql${major}`,
      description: `TLS-only Aurora PostgreSQL ${major} (${this.props.identifier})`,
      parameter: [{ name: 'rds.force_ssl', value: '1' }],
      lifecycle: { createBeforeDestroy: true },
    });
  }

  /** RDS would create this group without retention; own it so retention applies. */
  private createLogGroup(): CloudwatchLogGroup {
    return new CloudwatchLogGroup(this, 'postgresql-logs', {
      name: `/aws/rds/cluster/${this.props.identifier}/postgresql`,
      retentionInDays: this.props.logRetentionDays,
    });
  }

  private createCluster(): RdsCluster {
    const p = this.props;
    const deletionProtection = p.deletionProtection ?? true;
    return new RdsCluster(this, 'cluster', {
      clusterIdentifier: p.identifier,
      engine: 'aurora-postgresql',
      engineMode: 'provisioned',
      engineVersion: p.engineVersion,
      databaseName: p.databaseName,
      masterUsername: p.masterUsername,
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: p.kmsKey.arn,
      storageEncrypted: true,
      kmsKeyId: p.kmsKey.arn,
      iamDatabaseAuthenticationEnabled: true,
      enableHttpEndpoint: p.dataApi ?? false,
      port: 5432,
      dbSubnetGroupName: this.subnetGroup.name,
      vpcSecurityGroupIds: [this.securityGroup.id],
      dbClusterParameterGroupName: this.parameterGroup.name,
      enabledCloudwatchLogsExports: ['postgresql'],
      backupRetentionPeriod: p.backupRetentionDays ?? 7,
      copyTagsToSnapshot: true,
      deletionProtection,
      skipFinalSnapshot: !deletionProtection,
      finalSnapshotIdentifier: deletionProtection ? `${p.identifier}-final` : undefined,
      // AWS upgrades the minor version itself (auto_minor_version_upgrade on
      // the instances). The provider then reads the newer version into state
      // and would plan a "downgrade" to the configured one, which AWS refuses
      // ("Cannot upgrade aurora-postgresql from 16.8 to 16.6"; aws 5.100 has no
      // diff suppression for it). The configured version is the one created;
      // upgrades are AWS's or a deliberate change of this construct.
      lifecycle: { ignoreChanges: ['engine_version'] },
      serverlessv2ScalingConfiguration: {
        minCapacity: p.minCapacity,
        maxCapacity: p.maxCapacity,
        secondsUntilAutoPause: p.minCapacity === 0 ? (p.secondsUntilAutoPause ?? 300) : undefined,
      },
      dependsOn: [this.logGroup],
    });
  }

  private createInstances(): RdsClusterInstance[] {
    const p = this.props;
    return Array.from({ length: p.instances ?? 1 }, (_, i) => {
      return new RdsClusterInstance(this, `instance-${i + 1}`, {
        identifier: `${p.identifier}-${i + 1}`,
        clusterIdentifier: this.cluster.id,
        instanceClass: 'db.serverless',
        engine: this.cluster.engine,
        engineVersion: this.cluster.engineVersion,
        availabilityZone: p.availabilityZones[i % p.availabilityZones.length],
        dbSubnetGroupName: this.subnetGroup.name,
        publiclyAccessible: false,
        autoMinorVersionUpgrade: true,
        copyTagsToSnapshot: true,
        lifecycle: { ignoreChanges: ['engine_version'] },
      });
    });
  }
}
