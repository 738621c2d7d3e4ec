/**
 * The compliant fixture's VPC endpoints, as infra/constructs/network.ts and
 * the stack's function security group build them: DynamoDB's gateway endpoint
 * on the private route tables (the function may leave to its prefix list on
 * 443) and an SNS interface endpoint with private DNS in the private subnets,
 * HTTPS from the function's group only. SPS-VPC-3 has both kinds to judge.
 */
import type { TerraformStack } from 'cdktf';
import type { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import type { Subnet } from '@cdktf/provider-aws/lib/subnet';
import type { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';

export function addEndpoints(stack: TerraformStack, vpc: Vpc, subnets: Subnet[], tables: RouteTable[], fnSg: SecurityGroup): void {
  const dynamodb = new VpcEndpoint(stack, 'dynamodb-endpoint', {
    vpcId: vpc.id,
    serviceName: 'com.amazonaws.eu-west-1.dynamodb',
    vpcEndpointType: 'Gateway',
    routeTableIds: tables.map((t) => t.id),
  });
  new VpcSecurityGroupEgressRule(stack, 'fn-to-dynamodb', {
    securityGroupId: fnSg.id,
    prefixListId: dynamodb.prefixListId,
    ipProtocol: 'tcp',
    fromPort: 443,
    toPort: 443,
    description: 'HTTPS to DynamoDB (gateway endpoint)',
  });
  const endpointSg = new SecurityGroup(stack, 'endpoints-sg', { name: 'fixture-endpoints', description: 'Interface endpoints', vpcId: vpc.id });
  new VpcEndpoint(stack, 'sns-endpoint', {
    vpcId: vpc.id,
    serviceName: 'com.amazonaws.eu-west-1.sns',
    vpcEndpointType: 'Interface',
    privateDnsEnabled: true,
    subnetIds: subnets.map((s) => s.id),
    securityGroupIds: [endpointSg.id],
  });
  new VpcSecurityGroupEgressRule(stack, 'fn-to-endpoints', {
    securityGroupId: fnSg.id,
    referencedSecurityGroupId: endpointSg.id,
    ipProtocol: 'tcp',
    fromPort: 443,
    toPort: 443,
    description: 'HTTPS to the interface endpoints',
  });
  new VpcSecurityGroupIngressRule(stack, 'endpoints-from-fn', {
    securityGroupId: endpointSg.id,
    referencedSecurityGroupId: fnSg.id,
    ipProtocol: 'tcp',
    fromPort: 443,
    toPort: 443,
    description: 'HTTPS from functions',
  });
}
