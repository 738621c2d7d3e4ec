/**
 * One Lambda function of the registry: bundled zip asset, its own log group
 * and execution role (VPC ENI permissions + writing its own logs + the grants
 * its registry entry asks for), placed in the private subnets.
 */
import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { AssetType, TerraformAsset } from 'cdktf';
import type { FunctionArchive } from '../bundling';
import { assumeRolePolicy, policyDocument, type PolicyStatement } from '../iam';

/** Actions AWS documents for VPC functions (AWSLambdaVPCAccessExecutionRole). */
export const VPC_ENI_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
] as const;

export interface ServiceFunctionProps {
  /** Physical function name, e.g. `sps-dev-posts-create` (at most 64 characters). */
  readonly functionName: string;
  /** The bundled, zipped code (see infra/bundling/). */
  readonly code: FunctionArchive;
  /** @default "Runs <functionName>" */
  readonly description?: string;
  /** Memory in MB. */
  readonly memoryMb: number;
  /** Timeout in seconds. */
  readonly timeoutSeconds: number;
  /** @default "arm64" */
  readonly architecture?: 'arm64' | 'x86_64';
  /** @default "nodejs22.x" */
  readonly runtime?: string;
  /** Private subnets the function's ENIs live in. */
  readonly subnetIds: string[];
  /** The function security group. */
  readonly securityGroupIds: string[];
  /**
   * Groups swapped onto the ENIs on destroy so `terraform destroy` does not wait
   * ~20 minutes for Lambda to release them. @default - the VPC's default group
   */
  readonly replacementSecurityGroupIds?: string[];
  readonly environment: Record<string, string>;
  /** Grants from the registry entry (tables, proxy, Data API). @default [] */
  readonly grants?: readonly PolicyStatement[];
  readonly logRetentionDays: number;
  /** @default - unreserved */
  readonly reservedConcurrency?: number;
  /** Permissions boundary ARN of the execution role. @default - none */
  readonly permissionsBoundary?: string;
}

export class ServiceFunction extends Construct {
  readonly asset: TerraformAsset;
  readonly logGroup: CloudwatchLogGroup;
  readonly role: IamRole;
  readonly rolePolicy: IamRolePolicy;
  readonly lambda: LambdaFunction;

  constructor(scope: Construct, id: string, private readonly props: ServiceFunctionProps) {
    super(scope, id);
    // The asset hash is the zip's SHA-256: the asset path (and the Lambda's
    // source_code_hash) change only when the bundled code does.
    this.asset = new TerraformAsset(this, 'code', {
      path: props.code.zipFile,
      type: AssetType.FILE,
      assetHash: props.code.sha256Hex.slice(0, 32).toUpperCase(),
    });
    this.logGroup = this.createLogGroup();
    [this.role, this.rolePolicy] = this.createRole();
    this.lambda = this.createFunction();
  }

  get functionName(): string {
    return this.lambda.functionName;
  }

  private createLogGroup(): CloudwatchLogGroup {
    return new CloudwatchLogGroup(this, 'logs', {
      name: `/aws/lambda/${this.props.functionName}`,
      retentionInDays: this.props.logRetentionDays,
    });
  }

  private createRole(): [IamRole, IamRolePolicy] {
    const trust = assumeRolePolicy(this, 'trust', 'lambda.amazonaws.com');
    const role = new IamRole(this, 'role', {
      name: `${this.props.functionName}`.slice(0, 64),
      description: `Execution role of ${this.props.functionName}`,
      assumeRolePolicy: trust.json,
      permissionsBoundary: this.props.permissionsBoundary,
    });
    const doc = policyDocument(this, 'policy-doc', [
      {
        sid: 'VpcNetworkInterfaces',
        actions: [...VPC_ENI_ACTIONS],
        // AWS requires "*": these EC2 actions do not support resource-level
        // permissions for Lambda's ENI management (see AWSLambdaVPCAccessExecutionRole).
        resources: ['*'],
      },
      {
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [`${this.logGroup.arn}:*`],
      },
      ...(this.props.grants ?? []),
    ]);
    const policy = new IamRolePolicy(this, 'policy', { name: 'function', role: role.id, policy: doc.json });
    return [role, policy];
  }

  private createFunction(): LambdaFunction {
    const p = this.props;
    return new LambdaFunction(this, 'function', {
      functionName: p.functionName,
      description: p.description ?? `Runs ${p.functionName}`,
      runtime: p.runtime ?? 'nodejs22.x',
      architectures: [p.architecture ?? 'arm64'],
      handler: p.code.handler,
      filename: this.asset.path,
      sourceCodeHash: p.code.sha256Base64,
      role: this.role.arn,
      memorySize: p.memoryMb,
      timeout: p.timeoutSeconds,
      reservedConcurrentExecutions: p.reservedConcurrency,
      // Source maps only when the bundle ships them (SPS_SOURCEMAPS=1): reading them costs cold-start time.
      environment: { variables: { ...(p.code.mapBytes > 0 ? { NODE_OPTIONS: '--enable-source-maps' } : {}), ...p.environment } },
      vpcConfig: { subnetIds: p.subnetIds, securityGroupIds: p.securityGroupIds },
      replaceSecurityGroupsOnDestroy: true,
      replacementSecurityGroupIds: p.replacementSecurityGroupIds,
      loggingConfig: { logFormat: 'JSON', logGroup: this.logGroup.name },
      // The role's ENI permissions and the log group must exist first, or the
      // first apply fails with "execution role does not have permissions to
      // call CreateNetworkInterface".
      dependsOn: [this.rolePolicy, this.logGroup],
    });
  }
}
