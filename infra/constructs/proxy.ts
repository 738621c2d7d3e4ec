/**
 * RDS Proxy in front of Aurora: TLS required, IAM authentication required for
 * every user it knows (the master user, for migrations, and the application
 * role), each through its Secrets Manager secret, which the proxy reads with a
 * role allowed nothing else.
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
import { arnPart, assumeRolePolicy, policyDocument } from '../iam';
import type { Database } from './database';
import type { DataKey } from './kms-key';

export interface DatabaseProxyProps {
  /** Proxy name, e.g. `sps-dev`. */
  readonly name: string;
  readonly region: string;
  readonly vpcId: string;
  readonly subnetIds: string[];
  readonly database: Database;
  /**
   * Secrets of the other database users clients log in as (the application
   * role's), besides the master secret. @default - none
   */
  readonly userSecretArns?: readonly string[];
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
  /**
   * Seconds a client waits for a database connection when the pool is full or
   * no instance is available (failover), before "Timed-out waiting to acquire
   * database connection". Keep it below the shortest timeout of a function
   * that uses the proxy, so the function answers 503 instead of timing out.
   * @default 120
   */
  readonly connectionBorrowTimeoutSeconds?: number;
  /** Retention of the proxy's log group. */
  readonly logRetentionDays: number;
  /** Permissions boundary ARN of the proxy's role. @default - none */
  readonly permissionsBoundary?: string;
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
      description: 'RDS Proxy: reads the database user secrets, nothing else',
      assumeRolePolicy: trust.json,
      permissionsBoundary: this.props.permissionsBoundary,
    });
    const doc = policyDocument(this, 'policy-doc', [
      {
        sid: 'ReadUserSecrets',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.props.database.secretArn, ...(this.props.userSecretArns ?? [])],
      },
      this.props.kmsKey.grantDecryptVia('secretsmanager', this.props.region),
    ]);
    const policy = new IamRolePolicy(this, 'policy', { name: 'read-user-secrets', role: role.id, policy: doc.json });
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
          description: 'Aurora master secret managed by RDS (migrations)',
        },
        ...(p.userSecretArns ?? []).map((secretArn) => ({
          authScheme: 'SECRETS',
          iamAuth: p.iamAuth ?? 'REQUIRED',
          secretArn,
          description: 'Application role (functions)',
        })),
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
        connectionBorrowTimeout: this.props.connectionBorrowTimeoutSeconds ?? 120,
      },
    });
  }

  /**
   * Registered once the cluster's instances exist: AWS refuses instances in
   * most transitional states, and the provider retries only "CREATING" and
   * only for 5 minutes (aws 5.100 `resourceProxyTargetCreate`), less than a
   * writer takes to be created.
   */
  private createTarget(): DbProxyTarget {
    return new DbProxyTarget(this, 'target', {
      dbProxyName: this.proxy.name,
      targetGroupName: this.targetGroup.name,
      dbClusterIdentifier: this.props.database.cluster.clusterIdentifier,
      dependsOn: this.props.database.instances,
    });
  }
}
