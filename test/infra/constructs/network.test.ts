/**
 * Network alone: private isolated subnets, NAT only when asked, a DynamoDB
 * gateway endpoint, interface endpoints with private DNS, flow logs, and a
 * default security group that denies everything.
 */
import { Testing } from 'cdktf';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { Route } from '@cdktf/provider-aws/lib/route';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { Network, type NetworkProps } from '../../../infra/constructs/network';
import { addressOf, onlyResource, permissionsBoundaryTests, refTo, resourcesOf, rolePolicyStatements, synthScope, trustOf } from '../helpers';

Testing.setupJest();

function synthNetwork(props: Partial<NetworkProps> = {}) {
  return synthScope((scope) => {
    new Network(scope, 'network', {
      namePrefix: 'sps-test',
      region: 'eu-west-1',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      cidr: '10.0.0.0/16',
      logRetentionDays: 14,
      ...props,
    });
  });
}

describe('Network', () => {
  test('the VPC has the given CIDR, with DNS support and hostnames on', () => {
    expect(synthNetwork().synth).toHaveResourceWithProperties(Vpc, { cidr_block: '10.0.0.0/16', enable_dns_support: true, enable_dns_hostnames: true });
  });

  test('one private subnet per zone, each a sixteenth of the VPC, with no public IPs', () => {
    const { json } = synthNetwork();
    const cidrBlock = `${addressOf(json, 'aws_vpc')}.cidr_block`;
    expect(resourcesOf(json, 'aws_subnet').map(([, s]) => [s.availability_zone, s.cidr_block, s.map_public_ip_on_launch, s.tags.tier])).toEqual([
      ['eu-west-1a', `\${cidrsubnet(${cidrBlock}, 4, 0)}`, false, 'private'],
      ['eu-west-1b', `\${cidrsubnet(${cidrBlock}, 4, 1)}`, false, 'private'],
    ]);
  });

  test('has no internet gateway, NAT gateway or route out by default', () => {
    const { json } = synthNetwork();
    expect(json.resource.aws_internet_gateway).toBeUndefined();
    expect(json.resource.aws_nat_gateway).toBeUndefined();
    expect(json.resource.aws_route).toBeUndefined();
  });

  test('GIVEN natGateways true WHEN synthesized THEN one public subnet and one NAT gateway per zone', () => {
    const { json } = synthNetwork({ natGateways: true });
    const publicSubnets = resourcesOf(json, 'aws_subnet').filter(([, s]) => s.tags.tier === 'public');
    expect(publicSubnets.map(([, s]) => [s.availability_zone, s.map_public_ip_on_launch])).toEqual([
      ['eu-west-1a', false],
      ['eu-west-1b', false],
    ]);
    expect(resourcesOf(json, 'aws_nat_gateway').map(([, n]) => n.subnet_id)).toEqual(publicSubnets.map(([id]) => `\${aws_subnet.${id}.id}`));
    expect(resourcesOf(json, 'aws_eip')).toHaveLength(2);
  });

  test('GIVEN natGateways true WHEN synthesized THEN each private route table routes out through the NAT gateway of its zone', () => {
    const { json } = synthNetwork({ natGateways: true });
    const natRoutes = resourcesOf(json, 'aws_route').filter(([, r]) => r.nat_gateway_id);
    expect(natRoutes.map(([, r]) => [r.destination_cidr_block, r.route_table_id, r.nat_gateway_id])).toEqual(
      ['eu-west-1a', 'eu-west-1b'].map((az) => [
        '0.0.0.0/0',
        refTo(json, 'aws_route_table', 'id', `network_private-rt-${az}_`),
        refTo(json, 'aws_nat_gateway', 'id', `network_nat-${az}_`),
      ]),
    );
  });

  test('GIVEN natGateways true WHEN synthesized THEN the public subnets route out through the internet gateway', () => {
    const { synth, json } = synthNetwork({ natGateways: true });
    expect(synth).toHaveResourceWithProperties(Route, {
      destination_cidr_block: '0.0.0.0/0',
      route_table_id: refTo(json, 'aws_route_table', 'id', 'network_public-rt_'),
      gateway_id: refTo(json, 'aws_internet_gateway', 'id'),
    });
  });

  test('a DynamoDB gateway endpoint serves every private route table', () => {
    const { synth, json } = synthNetwork();
    expect(synth).toHaveResourceWithProperties(VpcEndpoint, {
      service_name: 'com.amazonaws.eu-west-1.dynamodb',
      vpc_endpoint_type: 'Gateway',
      route_table_ids: ['a', 'b'].map((az) => refTo(json, 'aws_route_table', 'id', `network_private-rt-eu-west-1${az}_`)),
    });
  });

  test('has no interface endpoint and no endpoint security group by default', () => {
    const { json } = synthNetwork();
    expect(resourcesOf(json, 'aws_vpc_endpoint').filter(([, e]) => e.vpc_endpoint_type === 'Interface')).toEqual([]);
    expect(json.resource.aws_security_group).toBeUndefined();
  });

  test('GIVEN interfaceEndpoints WHEN synthesized THEN one endpoint per service, with private DNS, in the private subnets, behind one group', () => {
    const { json } = synthNetwork({ interfaceEndpoints: ['secretsmanager', 'rds-data', 'secretsmanager'] });
    const group = refTo(json, 'aws_security_group', 'id');
    const subnets = ['a', 'b'].map((az) => refTo(json, 'aws_subnet', 'id', `network_private-eu-west-1${az}_`));
    const iface = resourcesOf(json, 'aws_vpc_endpoint').filter(([, e]) => e.vpc_endpoint_type === 'Interface').map(([, e]) => e);
    expect(iface.map((e) => e.service_name)).toEqual(['com.amazonaws.eu-west-1.rds-data', 'com.amazonaws.eu-west-1.secretsmanager']);
    for (const e of iface) expect(e).toMatchObject({ private_dns_enabled: true, subnet_ids: subnets, security_group_ids: [group] });
  });

  test('the endpoint security group names its services and has no rules of its own', () => {
    const { json } = synthNetwork({ interfaceEndpoints: ['rds-data'] });
    expect(onlyResource(json, 'aws_security_group')).toMatchObject({
      name: 'sps-test-endpoints',
      description: 'Interface VPC endpoints (rds-data): HTTPS in from function security groups only',
    });
    expect(json.resource.aws_vpc_security_group_ingress_rule).toBeUndefined();
  });

  test('flow logs capture all traffic by default', () => {
    expect(synthNetwork().synth).toHaveResourceWithProperties(FlowLog, { traffic_type: 'ALL' });
  });

  test('GIVEN flowLogTrafficType REJECT WHEN synthesized THEN flow logs capture rejected traffic only', () => {
    expect(synthNetwork({ flowLogTrafficType: 'REJECT' }).synth).toHaveResourceWithProperties(FlowLog, { traffic_type: 'REJECT' });
  });

  test('flow logs go to their own log group, kept for the given days', () => {
    const { json } = synthNetwork({ logRetentionDays: 30 });
    expect(onlyResource(json, 'aws_cloudwatch_log_group')).toMatchObject({ name: '/vpc/sps-test/flow-logs', retention_in_days: 30 });
    expect(onlyResource(json, 'aws_flow_log')).toMatchObject({
      vpc_id: refTo(json, 'aws_vpc', 'id'),
      log_destination_type: 'cloud-watch-logs',
      log_destination: refTo(json, 'aws_cloudwatch_log_group', 'arn'),
      iam_role_arn: refTo(json, 'aws_iam_role', 'arn'),
    });
  });

  test('the flow-log role can be assumed only by flow logs of this account', () => {
    const { json } = synthNetwork();
    expect(trustOf(json)).toMatchObject({
      principals: [{ type: 'Service', identifiers: ['vpc-flow-logs.amazonaws.com'] }],
      condition: [{ test: 'StringEquals', variable: 'aws:SourceAccount', values: [`\${element(split(":", ${addressOf(json, 'aws_vpc')}.arn), 4)}`] }],
    });
  });

  test('the flow-log role writes to its own log group only', () => {
    const { json } = synthNetwork();
    const group = refTo(json, 'aws_cloudwatch_log_group', 'arn');
    expect(rolePolicyStatements(json, 'network_')).toEqual([
      expect.objectContaining({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'], resources: [group, `${group}:*`] }),
    ]);
  });

  permissionsBoundaryTests('the flow-log role', synthNetwork);

  test('the default security group denies everything', () => {
    const { synth, json } = synthNetwork();
    expect(synth).toHaveResourceWithProperties(DefaultSecurityGroup, { vpc_id: refTo(json, 'aws_vpc', 'id'), ingress: [], egress: [] });
  });
});
