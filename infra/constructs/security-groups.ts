/**
 * Security group rules as single-purpose resources (one rule each, with a
 * description), so the chain function → proxy → database reads as a list.
 */
import type { Construct } from 'constructs';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';

export interface GroupProps {
  /** Group name, also its `Name` tag. */
  readonly name: string;
  /** What the group is for and what it lets through. */
  readonly description: string;
  readonly vpcId: string;
}

/**
 * A security group with no inline rules: its rules are the single-purpose
 * resources below. `revoke_rules_on_delete` lets Terraform replace a group that
 * other groups' rules still reference.
 */
export function securityGroup(scope: Construct, id: string, props: GroupProps): SecurityGroup {
  return new SecurityGroup(scope, id, { ...props, revokeRulesOnDelete: true, tags: { Name: props.name } });
}

export interface SecurityGroupLink {
  /** Group that opens the connection (gets the egress rule). */
  readonly from: { readonly id: string };
  /** Group that accepts it (gets the ingress rule). */
  readonly to: { readonly id: string };
  readonly port: number;
  /** Rule description, e.g. "PostgreSQL from functions to the RDS Proxy". */
  readonly description: string;
}

/** Egress on `from` to `to`, and ingress on `to` from `from`, TCP `port` only. */
export function allowTcp(scope: Construct, id: string, link: SecurityGroupLink): [VpcSecurityGroupEgressRule, VpcSecurityGroupIngressRule] {
  const egress = new VpcSecurityGroupEgressRule(scope, `${id}-egress`, {
    securityGroupId: link.from.id,
    referencedSecurityGroupId: link.to.id,
    ipProtocol: 'tcp',
    fromPort: link.port,
    toPort: link.port,
    description: link.description,
  });
  const ingress = new VpcSecurityGroupIngressRule(scope, `${id}-ingress`, {
    securityGroupId: link.to.id,
    referencedSecurityGroupId: link.from.id,
    ipProtocol: 'tcp',
    fromPort: link.port,
    toPort: link.port,
    description: link.description,
  });
  return [egress, ingress];
}

/** Egress from `groupId` to an AWS-managed prefix list (e.g. DynamoDB's gateway endpoint). */
export function allowToPrefixList(
  scope: Construct,
  id: string,
  groupId: string,
  prefixListId: string,
  port: number,
  description: string,
): VpcSecurityGroupEgressRule {
  return new VpcSecurityGroupEgressRule(scope, id, {
    securityGroupId: groupId,
    prefixListId,
    ipProtocol: 'tcp',
    fromPort: port,
    toPort: port,
    description,
  });
}
