/**
 * Cross-resource checks as a cdktf Aspect (the cdktf home for cdk-nag-style
 * rules): after every construct and escape-hatch change is applied, refuse a
 * stack that lost a secure default. Each finding is an error annotation, so
 * synth fails with the construct path and the fix.
 */
import { Annotations, type IAspect } from 'cdktf';
import type { IConstruct } from 'constructs';
import { Apigatewayv2Api } from '@cdktf/provider-aws/lib/apigatewayv2-api';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DbProxy } from '@cdktf/provider-aws/lib/db-proxy';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { RdsCluster } from '@cdktf/provider-aws/lib/rds-cluster';
import { RdsClusterInstance } from '@cdktf/provider-aws/lib/rds-cluster-instance';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';

const ANYWHERE = ['0.0.0.0/0', '::/0'];

/** The rules; each returns the problems of one construct (empty when fine). */
function findings(node: IConstruct): string[] {
  const problems: string[] = [];
  if (node instanceof LambdaFunction) {
    if (!node.vpcConfigInput?.subnetIds?.length) {
      problems.push('Lambda function without vpc_config: place it in the private subnets (ServiceFunction does this)');
    }
  } else if (node instanceof CloudwatchLogGroup) {
    if (!node.retentionInDaysInput) problems.push('log group without retention: set retention_in_days (config logRetentionDays)');
  } else if (node instanceof VpcSecurityGroupIngressRule) {
    for (const cidr of [node.cidrIpv4Input, node.cidrIpv6Input]) {
      if (cidr && ANYWHERE.includes(cidr)) {
        problems.push(`security group ingress from ${cidr}: allow a referenced security group instead`);
      }
    }
  } else if (node instanceof RdsCluster) {
    if (node.masterPasswordInput !== undefined) {
      problems.push('master_password is set: it would be stored in Terraform state; use manage_master_user_password = true');
    }
    if (node.storageEncryptedInput !== true) problems.push('storage_encrypted is not true: encrypt the cluster with the KMS key');
    if (node.iamDatabaseAuthenticationEnabledInput !== true) problems.push('IAM database authentication is off: set iam_database_authentication_enabled = true');
  } else if (node instanceof RdsClusterInstance) {
    if (node.publiclyAccessibleInput === true) problems.push('publicly_accessible = true: database instances stay private');
  } else if (node instanceof DbProxy) {
    if (node.requireTlsInput !== true) problems.push('require_tls is not true: the proxy must require TLS');
    const auth = node.authInput;
    if (Array.isArray(auth) && auth.some((a) => a.iamAuth !== 'REQUIRED')) {
      problems.push('proxy auth without iam_auth = "REQUIRED": clients must authenticate with IAM tokens');
    }
  } else if (node instanceof Apigatewayv2Api) {
    if (node.corsConfigurationInput !== undefined) {
      problems.push('cors_configuration is set: API Gateway would then ignore the CORS headers of the functions; CORS lives in the middy chain');
    }
  } else if (node instanceof DynamodbTable) {
    if (node.serverSideEncryptionInput?.enabled !== true) problems.push('server-side encryption with the KMS key is off');
    if (node.pointInTimeRecoveryInput?.enabled !== true) problems.push('point-in-time recovery is off');
  }
  return problems;
}

export class SecureDefaults implements IAspect {
  visit(node: IConstruct): void {
    for (const problem of findings(node)) Annotations.of(node).addError(`SecureDefaults: ${problem}`);
  }
}
