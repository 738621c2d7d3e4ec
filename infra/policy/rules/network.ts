/** Security group and VPC rules. */
import { blocks, list, num, type StackModel, type TfResource } from '../model';
import type { CheckResult, Rule } from '../types';
import { fail, pass, show, whyPublic } from './util';

const ANYWHERE = new Set(['0.0.0.0/0', '::/0']);

/** One security group rule in a normalized shape, whatever resource declared it. */
interface SgRule {
  readonly holder: TfResource;
  readonly where: string;
  readonly direction: 'ingress' | 'egress';
  readonly description: unknown;
  readonly protocol: string;
  readonly fromPort?: number;
  readonly toPort?: number;
  readonly cidrs: string[];
}

export function securityGroupRules(model: StackModel): SgRule[] {
  const out: SgRule[] = [];
  for (const type of ['aws_security_group', 'aws_default_security_group']) {
    for (const sg of model.ofType(type)) {
      for (const direction of ['ingress', 'egress'] as const) {
        blocks(sg.values[direction]).forEach((r, i) =>
          out.push({
            holder: sg,
            where: `${direction}[${i}]`,
            direction,
            description: r.description,
            protocol: String(r.protocol ?? ''),
            fromPort: num(r.from_port),
            toPort: num(r.to_port),
            cidrs: [...list(r.cidr_blocks), ...list(r.ipv6_cidr_blocks)].map(String),
          }),
        );
      }
    }
  }
  for (const r of model.ofType('aws_security_group_rule')) {
    out.push({
      holder: r,
      where: 'rule',
      direction: r.values.type === 'egress' ? 'egress' : 'ingress',
      description: r.values.description,
      protocol: String(r.values.protocol ?? ''),
      fromPort: num(r.values.from_port),
      toPort: num(r.values.to_port),
      cidrs: [...list(r.values.cidr_blocks), ...list(r.values.ipv6_cidr_blocks)].map(String),
    });
  }
  for (const [type, direction] of [
    ['aws_vpc_security_group_ingress_rule', 'ingress'],
    ['aws_vpc_security_group_egress_rule', 'egress'],
  ] as const) {
    for (const r of model.ofType(type)) {
      out.push({
        holder: r,
        where: 'rule',
        direction,
        description: r.values.description,
        protocol: String(r.values.ip_protocol ?? ''),
        fromPort: num(r.values.from_port),
        toPort: num(r.values.to_port),
        cidrs: [r.values.cidr_ipv4, r.values.cidr_ipv6].filter((c) => c !== undefined).map(String),
      });
    }
  }
  return out;
}

const allPorts = (r: SgRule) =>
  r.protocol === '-1' || r.protocol === 'all' || ((r.fromPort ?? 0) <= 0 && (r.toPort ?? 65535) >= 65535);

const hasText = (v: unknown) => typeof v === 'string' && v.trim().length > 0 && v !== 'Managed by Terraform';

function perRuleHolder(model: StackModel, direction: 'ingress' | 'egress', judge: (r: SgRule) => string | undefined, ok: string): CheckResult[] {
  const byHolder = new Map<string, { holder: TfResource; problems: string[] }>();
  for (const r of securityGroupRules(model).filter((x) => x.direction === direction)) {
    const entry = byHolder.get(r.holder.address) ?? { holder: r.holder, problems: [] };
    const problem = judge(r);
    if (problem) entry.problems.push(`${r.where}: ${problem}`);
    byHolder.set(r.holder.address, entry);
  }
  return [...byHolder.values()].map((e) => (e.problems.length ? fail(e.holder, e.problems.join('; ')) : pass(e.holder, ok)));
}

export const securityGroupRulesPack: Rule[] = [
  {
    id: 'SPS-SG-1',
    title: 'Every security group and rule has a description',
    mapsTo: ['CKV_AWS_23'],
    rationale: 'Descriptions tell the next reader why a path is open; "Managed by Terraform" tells nothing.',
    fix: 'Set description on the aws_security_group and on each rule.',
    resourceTypes: ['aws_security_group', 'aws_security_group_rule', 'aws_vpc_security_group_ingress_rule', 'aws_vpc_security_group_egress_rule'],
    check: ({ model }) => {
      const out: CheckResult[] = [];
      for (const sg of model.ofType('aws_security_group')) {
        const missing = blocks(sg.values.ingress).concat(blocks(sg.values.egress)).filter((r) => !hasText(r.description)).length;
        if (!hasText(sg.values.description)) out.push(fail(sg, `description=${show(sg.values.description)}`));
        else if (missing > 0) out.push(fail(sg, `${missing} inline rule(s) without a description`));
        else out.push(pass(sg, 'described'));
      }
      for (const type of ['aws_security_group_rule', 'aws_vpc_security_group_ingress_rule', 'aws_vpc_security_group_egress_rule']) {
        for (const r of model.ofType(type)) out.push(hasText(r.values.description) ? pass(r, 'described') : fail(r, 'rule without a description'));
      }
      return out;
    },
  },
  {
    id: 'SPS-SG-2',
    title: 'No security group ingress from 0.0.0.0/0 or ::/0',
    mapsTo: ['AwsSolutions-EC23', 'CKV_AWS_277', 'CKV_AWS_24', 'CKV_AWS_25', 'CKV_AWS_260'],
    rationale: 'Nothing in this stack is reached from the internet directly; ingress comes from named security groups.',
    fix: 'Use referenced_security_group_id (the caller group) instead of a CIDR.',
    resourceTypes: ['aws_security_group', 'aws_security_group_rule', 'aws_vpc_security_group_ingress_rule'],
    check: ({ model }) =>
      perRuleHolder(model, 'ingress', (r) => {
        const open = r.cidrs.find((c) => ANYWHERE.has(c));
        return open ? `ingress from ${open}` : undefined;
      }, 'no ingress from anywhere'),
  },
  {
    id: 'SPS-SG-3',
    title: 'Security group egress is restricted',
    mapsTo: ['CKV_AWS_382'],
    rationale: 'Egress limited to the next hop (security group, prefix list, port) stops exfiltration and lateral movement.',
    fix: 'Replace egress to 0.0.0.0/0 or ::/0 with referenced_security_group_id / prefix_list_id on one port.',
    resourceTypes: ['aws_security_group', 'aws_security_group_rule', 'aws_vpc_security_group_egress_rule'],
    check: ({ model }) =>
      perRuleHolder(model, 'egress', (r) => {
        const open = r.cidrs.find((c) => ANYWHERE.has(c));
        if (open && allPorts(r)) return `egress to ${open} on all ports`;
        if (open) return `egress to ${open} on port ${r.fromPort}${r.toPort !== r.fromPort ? `-${r.toPort}` : ''}`;
        return undefined;
      }, 'egress to named destinations only'),
  },
  {
    id: 'SPS-SG-4',
    title: "Each VPC's default security group is managed with no rules",
    mapsTo: ['CKV2_AWS_12', 'NIST.800.53.R5-VPCDefaultSecurityGroupClosed'],
    rationale: 'Anything launched without a group lands in the default one, which allows all traffic between members.',
    fix: 'Add aws_default_security_group for the VPC with ingress = [] and egress = [].',
    resourceTypes: ['aws_vpc', 'aws_default_security_group'],
    check: ({ model }) =>
      model.ofType('aws_vpc').map((vpc) => {
        const dsg = model.referrers(vpc, 'aws_default_security_group', 'vpc_id')[0];
        if (!dsg) return fail(vpc, 'no aws_default_security_group manages the default group (AWS leaves it open)');
        const rules = blocks(dsg.values.ingress).length + blocks(dsg.values.egress).length;
        if (dsg.values.ingress === undefined || dsg.values.egress === undefined) {
          return fail(vpc, `${dsg.address} must set ingress = [] and egress = [] explicitly`);
        }
        return rules > 0 ? fail(vpc, `${dsg.address} has ${rules} rule(s)`) : pass(vpc, `${dsg.address} denies everything`);
      }),
  },
];

export const vpcRules: Rule[] = [
  {
    id: 'SPS-VPC-1',
    title: 'VPC flow logs are on',
    mapsTo: ['CKV2_AWS_11', 'AwsSolutions-VPC7'],
    rationale: 'Flow logs are the record of who talked to what, needed in any network investigation.',
    fix: 'Add an aws_flow_log with vpc_id = the VPC, to a log group with retention.',
    resourceTypes: ['aws_vpc'],
    check: ({ model }) =>
      model.ofType('aws_vpc').map((vpc) => {
        const log = model.referrers(vpc, 'aws_flow_log', 'vpc_id')[0];
        return log ? pass(vpc, `${log.address} (${log.values.traffic_type ?? 'ALL'})`) : fail(vpc, 'no aws_flow_log for this VPC');
      }),
  },
  {
    id: 'SPS-VPC-2',
    title: 'Private subnets do not auto-assign public IPs',
    mapsTo: ['CKV_AWS_130', 'NIST.800.53.R5-VPCSubnetAutoAssignPublicIpDisabled'],
    rationale: 'A public IP on a private-tier ENI is an exposure waiting for a route.',
    fix: 'Set map_public_ip_on_launch = false on subnets without an internet-gateway route.',
    resourceTypes: ['aws_subnet'],
    check: ({ model }) =>
      model.ofType('aws_subnet').map((s) => {
        const routedPublic = whyPublic(model, { ...s, values: { ...s.values, map_public_ip_on_launch: false } });
        if (routedPublic) return pass(s, `public subnet (${routedPublic}): not in scope`);
        return s.values.map_public_ip_on_launch === true ? fail(s, 'private subnet with map_public_ip_on_launch = true') : pass(s, 'private, no public IPs');
      }),
  },
];
