/**
 * Security group helpers alone: groups without inline rules, and one
 * described rule per direction for each allowed connection.
 */
import { Testing } from 'cdktf';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { allowTcp, allowToPrefixList, securityGroup } from '../../../infra/constructs/security-groups';
import { onlyResource, synthScope } from '../helpers';

Testing.setupJest();

const description = 'PostgreSQL from functions to the RDS Proxy';

function synthLink() {
  return synthScope((scope) => {
    const functions = securityGroup(scope, 'functions', { name: 'test-functions', description: 'Functions', vpcId: 'vpc-test' });
    const proxy = securityGroup(scope, 'proxy', { name: 'test-proxy', description: 'Proxy', vpcId: 'vpc-test' });
    allowTcp(scope, 'functions-to-proxy', { from: functions, to: proxy, port: 5432, description });
  });
}

describe('securityGroup', () => {
  test('is named, described and tagged with its name, in the given VPC', () => {
    expect(synthLink().synth).toHaveResourceWithProperties(SecurityGroup, {
      name: 'test-functions',
      description: 'Functions',
      vpc_id: 'vpc-test',
      tags: { Name: 'test-functions' },
    });
  });

  test('revokes its rules on delete, so Terraform can replace a group other rules reference', () => {
    expect(synthLink().synth).toHaveResourceWithProperties(SecurityGroup, { name: 'test-proxy', revoke_rules_on_delete: true });
  });

  test('has no inline rules', () => {
    for (const group of Object.values(synthLink().json.resource.aws_security_group!)) {
      expect(group.ingress).toBeUndefined();
      expect(group.egress).toBeUndefined();
    }
  });
});

describe('allowTcp', () => {
  test.each([
    ['egress', 'on `from` to `to`', VpcSecurityGroupEgressRule, 'functions', 'proxy'],
    ['ingress', 'on `to` from `from`', VpcSecurityGroupIngressRule, 'proxy', 'functions'],
  ])('makes one %s rule %s, with the description', (direction, _where, rule, group, referenced) => {
    const { synth, json } = synthLink();
    expect(Object.keys(json.resource[`aws_vpc_security_group_${direction}_rule`]!)).toHaveLength(1);
    expect(synth).toHaveResourceWithProperties(rule, {
      security_group_id: `\${aws_security_group.${group}.id}`,
      referenced_security_group_id: `\${aws_security_group.${referenced}.id}`,
      description,
    });
  });

  test('opens TCP on the given port only, and no IP range', () => {
    const { json } = synthLink();
    for (const rule of [onlyResource(json, 'aws_vpc_security_group_egress_rule'), onlyResource(json, 'aws_vpc_security_group_ingress_rule')]) {
      expect(rule).toMatchObject({ ip_protocol: 'tcp', from_port: 5432, to_port: 5432 });
      expect(rule.cidr_ipv4).toBeUndefined();
      expect(rule.cidr_ipv6).toBeUndefined();
    }
  });
});

describe('allowToPrefixList', () => {
  test('makes one egress rule to the prefix list, TCP on the given port, with the description', () => {
    const { synth } = synthScope((scope) => {
      allowToPrefixList(scope, 'to-dynamodb', 'sg-functions', 'pl-dynamodb', 443, 'HTTPS to DynamoDB');
    });
    expect(synth).toHaveResourceWithProperties(VpcSecurityGroupEgressRule, {
      security_group_id: 'sg-functions',
      prefix_list_id: 'pl-dynamodb',
      ip_protocol: 'tcp',
      from_port: 443,
      to_port: 443,
      description: 'HTTPS to DynamoDB',
    });
  });
});
