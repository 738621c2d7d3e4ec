/**
 * The VPC: private isolated subnets per AZ (functions, proxy, database),
 * optional public subnets with one NAT gateway per AZ, a DynamoDB gateway
 * endpoint, interface endpoints for what functions must reach without NAT,
 * flow logs, and a default security group that denies everything.
 */
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { Eip } from '@cdktf/provider-aws/lib/eip';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway';
import { Route } from '@cdktf/provider-aws/lib/route';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import type { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { securityGroup } from './security-groups';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { arnPart, assumeRolePolicy, policyDocument } from '../iam';

export interface NetworkProps {
  /** Resource name prefix, e.g. `sps-dev`. */
  readonly namePrefix: string;
  readonly region: string;
  /** Explicit zones (no AWS look-up); one private subnet each. */
  readonly availabilityZones: readonly string[];
  /** IPv4 CIDR of the VPC; each subnet is a 1/16th of it. */
  readonly cidr: string;
  /** Public subnets + one NAT gateway per AZ. @default false */
  readonly natGateways?: boolean;
  /**
   * AWS services reached through interface endpoints (e.g. `rds-data`), with
   * private DNS. Their security group (`endpointSecurityGroup`) has no rules:
   * allow clients with `allowTcp(client, endpointSecurityGroup, 443)`.
   * @default - none
   */
  readonly interfaceEndpoints?: readonly string[];
  /** Flow log retention in days. */
  readonly logRetentionDays: number;
  /** Traffic captured by flow logs. @default "ALL" */
  readonly flowLogTrafficType?: 'ACCEPT' | 'REJECT' | 'ALL';
  /** Permissions boundary ARN of the flow-log role. @default - none */
  readonly permissionsBoundary?: string;
}

/** Subnet `n` of 16 equal slices of the VPC CIDR (private: 0..5, public: 8..13). */
const PUBLIC_OFFSET = 8;

export class Network extends Construct {
  readonly vpc: Vpc;
  readonly privateSubnets: Subnet[] = [];
  readonly privateRouteTables: RouteTable[] = [];
  readonly publicSubnets: Subnet[] = [];
  readonly natGateways: NatGateway[] = [];
  readonly internetGateway?: InternetGateway;
  readonly defaultSecurityGroup: DefaultSecurityGroup;
  readonly dynamodbEndpoint: VpcEndpoint;
  /** Security group of the interface endpoints (HTTPS in from allowed groups). */
  readonly endpointSecurityGroup?: SecurityGroup;
  readonly interfaceEndpoints: Record<string, VpcEndpoint> = {};
  readonly flowLogGroup: CloudwatchLogGroup;
  readonly flowLogRole: IamRole;
  readonly flowLog: FlowLog;

  constructor(scope: Construct, id: string, private readonly props: NetworkProps) {
    super(scope, id);
    this.vpc = this.createVpc();
    this.defaultSecurityGroup = this.lockDownDefaultSecurityGroup();
    this.createPrivateSubnets();
    if (props.natGateways ?? false) this.internetGateway = this.createPublicSubnetsAndNat();
    this.dynamodbEndpoint = this.createDynamodbGatewayEndpoint();
    this.endpointSecurityGroup = this.createInterfaceEndpoints();
    [this.flowLogGroup, this.flowLogRole, this.flowLog] = this.createFlowLogs();
  }

  get privateSubnetIds(): string[] {
    return this.privateSubnets.map((s) => s.id);
  }

  private createVpc(): Vpc {
    return new Vpc(this, 'vpc', {
      cidrBlock: this.props.cidr,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: { Name: this.props.namePrefix },
    });
  }

  /** AWS creates a default SG allowing all traffic between members; manage it with no rules. */
  private lockDownDefaultSecurityGroup(): DefaultSecurityGroup {
    return new DefaultSecurityGroup(this, 'default-sg', {
      vpcId: this.vpc.id,
      ingress: [],
      egress: [],
      tags: { Name: `${this.props.namePrefix}-default-deny-all` },
    });
  }

  private createPrivateSubnets(): void {
    this.props.availabilityZones.forEach((az, i) => {
      const subnet = new Subnet(this, `private-${az}`, {
        vpcId: this.vpc.id,
        availabilityZone: az,
        cidrBlock: Fn.cidrsubnet(this.vpc.cidrBlock, 4, i),
        mapPublicIpOnLaunch: false,
        tags: { Name: `${this.props.namePrefix}-private-${az}`, tier: 'private' },
      });
      // One route table per AZ: isolated (local route only) unless NAT is on.
      const table = new RouteTable(this, `private-rt-${az}`, {
        vpcId: this.vpc.id,
        tags: { Name: `${this.props.namePrefix}-private-${az}` },
      });
      new RouteTableAssociation(this, `private-rta-${az}`, { subnetId: subnet.id, routeTableId: table.id });
      this.privateSubnets.push(subnet);
      this.privateRouteTables.push(table);
    });
  }

  private createPublicSubnetsAndNat(): InternetGateway {
    const igw = new InternetGateway(this, 'igw', { vpcId: this.vpc.id, tags: { Name: this.props.namePrefix } });
    const publicTable = new RouteTable(this, 'public-rt', {
      vpcId: this.vpc.id,
      tags: { Name: `${this.props.namePrefix}-public` },
    });
    new Route(this, 'public-default-route', {
      routeTableId: publicTable.id,
      destinationCidrBlock: '0.0.0.0/0',
      gatewayId: igw.id,
    });
    this.props.availabilityZones.forEach((az, i) => {
      const subnet = new Subnet(this, `public-${az}`, {
        vpcId: this.vpc.id,
        availabilityZone: az,
        cidrBlock: Fn.cidrsubnet(this.vpc.cidrBlock, 4, PUBLIC_OFFSET + i),
        // NAT gateways get Elastic IPs; nothing else in these subnets gets a public IP.
        mapPublicIpOnLaunch: false,
        tags: { Name: `${this.props.namePrefix}-public-${az}`, tier: 'public' },
      });
      new RouteTableAssociation(this, `public-rta-${az}`, { subnetId: subnet.id, routeTableId: publicTable.id });
      const eip = new Eip(this, `nat-eip-${az}`, { domain: 'vpc', tags: { Name: `${this.props.namePrefix}-nat-${az}` } });
      const nat = new NatGateway(this, `nat-${az}`, {
        allocationId: eip.allocationId,
        subnetId: subnet.id,
        tags: { Name: `${this.props.namePrefix}-${az}` },
        dependsOn: [igw],
      });
      new Route(this, `private-default-route-${az}`, {
        routeTableId: this.privateRouteTables[i]!.id,
        destinationCidrBlock: '0.0.0.0/0',
        natGatewayId: nat.id,
      });
      this.publicSubnets.push(subnet);
      this.natGateways.push(nat);
    });
    return igw;
  }

  private createDynamodbGatewayEndpoint(): VpcEndpoint {
    return new VpcEndpoint(this, 'dynamodb-endpoint', {
      vpcId: this.vpc.id,
      serviceName: `com.amazonaws.${this.props.region}.dynamodb`,
      vpcEndpointType: 'Gateway',
      routeTableIds: this.privateRouteTables.map((t) => t.id),
      tags: { Name: `${this.props.namePrefix}-dynamodb` },
    });
  }

  private createInterfaceEndpoints(): SecurityGroup | undefined {
    const services = [...new Set(this.props.interfaceEndpoints ?? [])].sort();
    if (services.length === 0) return undefined;
    const sg = securityGroup(this, 'endpoints-sg', {
      name: `${this.props.namePrefix}-endpoints`,
      description: `Interface VPC endpoints (${services.join(', ')}): HTTPS in from function security groups only`,
      vpcId: this.vpc.id,
    });
    for (const service of services) {
      this.interfaceEndpoints[service] = new VpcEndpoint(this, `${service}-endpoint`, {
        vpcId: this.vpc.id,
        serviceName: `com.amazonaws.${this.props.region}.${service}`,
        vpcEndpointType: 'Interface',
        privateDnsEnabled: true,
        subnetIds: this.privateSubnetIds,
        securityGroupIds: [sg.id],
        tags: { Name: `${this.props.namePrefix}-${service}` },
      });
    }
    return sg;
  }

  private createFlowLogs(): [CloudwatchLogGroup, IamRole, FlowLog] {
    const group = new CloudwatchLogGroup(this, 'flow-logs', {
      name: `/vpc/${this.props.namePrefix}/flow-logs`,
      retentionInDays: this.props.logRetentionDays,
    });
    const trust = assumeRolePolicy(this, 'flow-logs-trust', 'vpc-flow-logs.amazonaws.com', [
      // Confused-deputy guard: only flow logs of this account may use the role.
      { test: 'StringEquals', variable: 'aws:SourceAccount', values: [arnPart(this.vpc.arn, 'account')] },
    ]);
    const role = new IamRole(this, 'flow-logs-role', {
      name: `${this.props.namePrefix}-vpc-flow-logs`,
      description: 'Lets VPC flow logs write to their own log group',
      assumeRolePolicy: trust.json,
      permissionsBoundary: this.props.permissionsBoundary,
    });
    const policy = policyDocument(this, 'flow-logs-policy-doc', [
      {
        sid: 'WriteOwnLogGroup',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [group.arn, `${group.arn}:*`],
      },
    ]);
    new IamRolePolicy(this, 'flow-logs-role-policy', { name: 'write-flow-logs', role: role.id, policy: policy.json });
    const flowLog = new FlowLog(this, 'flow-log', {
      vpcId: this.vpc.id,
      trafficType: this.props.flowLogTrafficType ?? 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logDestination: group.arn,
      iamRoleArn: role.arn,
      maxAggregationInterval: 600,
      tags: { Name: `${this.props.namePrefix}-flow-log` },
    });
    return [group, role, flowLog];
  }
}
