/**
 * RDS Proxy in front of Aurora: TLS required, IAM authentication required,
 * the proxy itself reads the RDS-managed master secret with a role allowed
 * nothing else.
 */
import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DbProxy } from '@cdktf/provider-aws/lib/db-proxy';
import { DbProxyDefaultTargetGroup } from '@cdktf/provider-aws/lib/db-proxy-default-target-group';
import { DbProxyTarget } from '@cdktf/provider-aws/lib/db-proxy-target';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import type { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { securityGroup } from './security-groups';
import { Fn } from 'cdktf';
import { arnPart, assumeRolePolicy, policyDocument, type PolicyStatement } from '../iam';
import type { Database } from './database';
import type { DataKey } from './kms-key';

export interface DatabaseProxyProps {
  /** Proxy name, e.g. `sps-dev`. */
  readonly name: string;
  readonly region: string;
  readonly vpcId: string;
  readonly subnetIds: string[];
  readonly database: Database;
  readonly kmsKey: DataKey;
  /** Clients must use TLS. @default true */
  readonly requireTls?: boolean;
  /** Clients must authenticate with an IAM token. @default "REQUIRED" */
  readonly iamAuth?: 'REQUIRED' | 'DISABLED';
  /** Seconds before an idle client connection is closed. @default 1800 */
  readonly idleClientTimeoutSeconds?: number;
  /** Share of the database's max_connections the proxy may use. @default 90 */
  readonly maxConnectionsPercent?: number;
  /** Log SQL statements (may contain data). @default false */
  readonly debugLogging?: boolean;
  /** Retention of the proxy's log group. */
  readonly logRetentionDays: number;
}

export class DatabaseProxy extends Construct {
  readonly securityGroup: SecurityGroup;
  readonly role: IamRole;
  readonly rolePolicy: IamRolePolicy;
  readonly logGroup: CloudwatchLogGroup;
  readonly proxy: DbProxy;
  readonly targetGroup: DbProxyDefaultTargetGroup;
  readonly target: DbProxyTarget;

  constructor(scope: Construct, id: string, private readonly props: DatabaseProxyProps) {
    super(scope, id);
    this.securityGroup = this.createSecurityGroup();
    [this.role, this.rolePolicy] = this.createRole();
    this.logGroup = this.createLogGroup();
    this.proxy = this.createProxy();
    this.targetGroup = this.createTargetGroup();
    this.target = this.createTarget();
  }

  get endpoint(): string {
    return this.proxy.endpoint;
  }

  /**
   * `arn:<partition>:rds-db:<region>:<account>:dbuser:prx-<id>/<user>`, built
   * from the proxy's ARN (`arn:...:rds:<region>:<account>:db-proxy:prx-<id>`).
   */
  dbUserArn(user: string): string {
    const arn = this.proxy.arn;
    const resourceId = Fn.element(Fn.split(':', arn), 6);
    return Fn.join(':', [
      'arn',
      arnPart(arn, 'partition'),
      'rds-db',
      arnPart(arn, 'region'),
      arnPart(arn, 'account'),
      'dbuser',
      `${resourceId}/${user}`,
    ]);
  }

  /** `rds-db:connect` as `user` through this proxy only. */
  grantConnect(user: string): PolicyStatement {
    return { sid: 'ConnectThroughProxy', actions: ['rds-db:connect'], resources: [this.dbUserArn(user)] };
  }

  private createSecurityGroup(): SecurityGroup {
    return securityGroup(this, 'sg', {
      name: `${this.props.name}-proxy`,
      description: 'RDS Proxy: PostgreSQL in from functions, out to Aurora only',
      vpcId: this.props.vpcId,
    });
  }

  private createRole(): [IamRole, IamRolePolicy] {
    const trust = assumeRolePolicy(this, 'trust', 'rds.amazonaws.com');
    const role = new IamRole(this, 'role', {
      name: `${this.props.name}-rds-proxy`,
      description: 'RDS Proxy: reads the Aurora master secret, nothing else',
      assumeRolePolicy: trust.json,
    });
    const doc = policyDocument(this, 'policy-doc', [
      { sid: 'ReadMasterSecret', actions: ['secretsmanager:GetSecretValue'], resources: [this.props.database.secretArn] },
      this.props.kmsKey.grantDecryptVia('secretsmanager', this.props.region),
    ]);
    const policy = new IamRolePolicy(this, 'policy', { name: 'read-master-secret', role: role.id, policy: doc.json });
    return [role, policy];
  }

  private createLogGroup(): CloudwatchLogGroup {
    return new CloudwatchLogGroup(this, 'logs', {
      name: `/aws/rds/proxy/${this.props.name}`,
      retentionInDays: this.props.logRetentionDays,
    });
  }

  private createProxy(): DbProxy {
    const p = this.props;
    return new DbProxy(this, 'proxy', {
      name: p.name,
      engineFamily: 'POSTGRESQL',
      roleArn: this.role.arn,
      vpcSubnetIds: p.subnetIds,
      vpcSecurityGroupIds: [this.securityGroup.id],
      requireTls: p.requireTls ?? true,
      debugLogging: p.debugLogging ?? false,
      idleClientTimeout: p.idleClientTimeoutSeconds ?? 1800,
      auth: [
        {
          authScheme: 'SECRETS',
          iamAuth: p.iamAuth ?? 'REQUIRED',
          secretArn: p.database.secretArn,
          description: 'Aurora master secret managed by RDS',
        },
      ],
      dependsOn: [this.rolePolicy, this.logGroup],
    });
  }

  private createTargetGroup(): DbProxyDefaultTargetGroup {
    return new DbProxyDefaultTargetGroup(this, 'target-group', {
      dbProxyName: this.proxy.name,
      connectionPoolConfig: {
        maxConnectionsPercent: this.props.maxConnectionsPercent ?? 90,
        maxIdleConnectionsPercent: 50,
        connectionBorrowTimeout: 120,
      },
    });
  }

  private createTarget(): DbProxyTarget {
    return new DbProxyTarget(this, 'target', {
      dbProxyName: this.proxy.name,
      targetGroupName: this.targetGroup.name,
      dbClusterIdentifier: this.props.database.cluster.clusterIdentifier,
    });
  }
}
