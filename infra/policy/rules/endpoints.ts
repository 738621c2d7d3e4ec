/**
 * SPS-VPC-3: a function in private subnets reaches every AWS API it calls
 * without the internet. Subnets without a NAT route reach AWS only through
 * VPC endpoints: an interface endpoint (with private DNS, so the SDK's default
 * hostname resolves to it, in the function's subnets, its security group
 * open on 443 to the function's), or a gateway endpoint on the subnets' route
 * tables (DynamoDB, S3) with the function's group allowed out to its prefix
 * list. Without one the SDK call hangs until the function times out: an error
 * that no plan shows. Sources: AWS PrivateLink guide ("Access an AWS service
 * using an interface VPC endpoint", private DNS), Lambda developer guide
 * ("Giving Lambda functions access to resources in an Amazon VPC": functions
 * in a VPC have no internet access without NAT), VPC guide (gateway endpoints).
 */
import { blocks, list, num, type StackModel, type TfResource } from '../model';
import { policiesOfRole } from '../iam-documents';
import type { CheckResult, Rule } from '../types';
import { fail, pass, routesOf, routeTablesOf } from './util';

/**
 * The service (endpoint name suffix) a role's allowed action makes the
 * function call from inside the VPC. Not listed, on purpose: `sqs:Receive*` /
 * `DeleteMessage` (an event source mapping's pollers run in Lambda's service,
 * outside the VPC), `kms:*` (used by SNS, SQS and Secrets Manager on the
 * caller's behalf), `rds-db:connect` (the token is signed locally, the proxy
 * is in the VPC), and `secretsmanager:GetSecretValue` next to `rds-data:*`
 * (the Data API requires the caller to hold it and reads the secret itself).
 */
function servicesCalled(actions: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  const usesDataApi = [...actions].some((a) => a.startsWith('rds-data:'));
  for (const action of actions) {
    const [prefix, name = ''] = action.split(':');
    if (prefix === 'sns' && name === 'Publish') out.add('sns');
    else if (prefix === 'sqs' && name.startsWith('SendMessage')) out.add('sqs');
    else if (prefix === 'rds-data') out.add('rds-data');
    else if (prefix === 'dynamodb') out.add('dynamodb');
    else if (prefix === 's3') out.add('s3');
    else if (prefix === 'secretsmanager' && (name !== 'GetSecretValue' || !usesDataApi)) out.add('secretsmanager');
  }
  return [...out].sort();
}

function allowedActions(model: StackModel, fn: TfResource): Set<string> | string {
  const role = model.targets(fn.values.role, 'aws_iam_role')[0];
  if (!role) return `role ${String(fn.values.role)} is not an aws_iam_role of this stack, so its calls cannot be read`;
  const actions = new Set<string>();
  for (const p of policiesOfRole(model, role)) {
    if (!p.document.ok) return `${p.source}: ${p.document.reason}`;
    for (const s of p.document.statements) if (s.effect === 'Allow') s.actions.forEach((a) => actions.add(a));
  }
  return actions;
}

const covers443 = (r: TfResource) => r.values.ip_protocol === '-1' || ((num(r.values.from_port) ?? -1) <= 443 && 443 <= (num(r.values.to_port) ?? -1));
const pointsAt = (model: StackModel, value: unknown, targets: readonly TfResource[]) => model.targets(value).some((t) => targets.some((x) => x.address === t.address));

/** The function's subnets route 0.0.0.0/0 to a NAT gateway and its group may leave on 443. */
function throughNat(model: StackModel, subnets: readonly TfResource[], groups: readonly TfResource[]): boolean {
  const natRoute = (s: TfResource) =>
    routeTablesOf(model, s).some((t) => routesOf(model, t).some((r) => (r.cidr_block ?? r.destination_cidr_block) === '0.0.0.0/0' && Boolean(r.nat_gateway_id)));
  const egress = model.ofType('aws_vpc_security_group_egress_rule').some((r) => pointsAt(model, r.values.security_group_id, groups) && r.values.cidr_ipv4 === '0.0.0.0/0' && covers443(r));
  return subnets.length > 0 && subnets.every(natRoute) && egress;
}

/** Why `service` is unreachable from the function, or undefined when an endpoint serves it. */
function endpointProblem(model: StackModel, service: string, subnets: readonly TfResource[], groups: readonly TfResource[]): string | undefined {
  const endpoints = model.ofType('aws_vpc_endpoint').filter((e) => String(model.resolveString(e.values.service_name) ?? e.values.service_name).endsWith(`.${service}`));
  if (endpoints.length === 0) return `no VPC endpoint for ${service} (and no NAT route)`;
  const problems: string[] = [];
  for (const e of endpoints) {
    if (e.values.vpc_endpoint_type === 'Gateway') {
      const tables = subnets.flatMap((s) => routeTablesOf(model, s));
      if (!tables.every((t) => pointsAt(model, e.values.route_table_ids, [t]))) problems.push(`${e.address} is not on the route tables of the function's subnets`);
      else if (!model.ofType('aws_vpc_security_group_egress_rule').some((r) => pointsAt(model, r.values.security_group_id, groups) && pointsAt(model, r.values.prefix_list_id, [e]) && covers443(r))) {
        problems.push(`the function's security group may not leave on 443 to ${e.address}'s prefix list`);
      } else return undefined;
      continue;
    }
    if (e.values.private_dns_enabled !== true) problems.push(`${e.address} has private DNS off (the SDK's default hostname would not reach it)`);
    else if (!subnets.every((s) => pointsAt(model, e.values.subnet_ids, [s]))) problems.push(`${e.address} is not in every subnet of the function`);
    else {
      const endpointGroups = model.targets(e.values.security_group_ids, 'aws_security_group');
      const ingress = model.ofType('aws_vpc_security_group_ingress_rule').some((r) => pointsAt(model, r.values.security_group_id, endpointGroups) && pointsAt(model, r.values.referenced_security_group_id, groups) && covers443(r));
      const egress = model.ofType('aws_vpc_security_group_egress_rule').some((r) => pointsAt(model, r.values.security_group_id, groups) && pointsAt(model, r.values.referenced_security_group_id, endpointGroups) && covers443(r));
      if (!ingress || !egress) problems.push(`${e.address}'s security group and the function's do not allow HTTPS (443) from the function`);
      else return undefined;
    }
  }
  return problems.join('; ');
}

export const endpointRules: Rule[] = [
  {
    id: 'SPS-VPC-3',
    title: 'Functions in the VPC reach every AWS API they call through a VPC endpoint (or a NAT route)',
    mapsTo: ['(no cdk-nag/checkov equivalent)'],
    rationale: 'Private subnets have no internet: an SDK call to a service without an endpoint hangs until the function times out, an error no plan shows.',
    fix: 'Add the interface endpoint (private DNS on, in the function subnets, HTTPS from the function security group) or gateway endpoint for the service; the stack adds them from the registry (data.publishes, sql, tables).',
    resourceTypes: ['aws_lambda_function', 'aws_vpc_endpoint'],
    check: ({ model }) =>
      model.ofType('aws_lambda_function').flatMap((fn): CheckResult[] => {
        const vpc = blocks(fn.values.vpc_config)[0];
        if (!vpc) return []; // SPS-LAMBDA-1 judges functions outside the VPC
        const actions = allowedActions(model, fn);
        if (typeof actions === 'string') return [fail(fn, actions)];
        const services = servicesCalled(actions);
        if (services.length === 0) return [pass(fn, 'calls no AWS API from the VPC')];
        const subnets = list(vpc.subnet_ids).flatMap((s) => model.targets(s, 'aws_subnet'));
        const groups = list(vpc.security_group_ids).flatMap((g) => model.targets(g, 'aws_security_group'));
        if (throughNat(model, subnets, groups)) return [pass(fn, `${services.join(', ')} through the NAT gateways`)];
        const problems = services.map((s) => endpointProblem(model, s, subnets, groups)).filter((p): p is string => p !== undefined);
        return [problems.length ? fail(fn, problems.join('; ')) : pass(fn, `${services.join(', ')} through VPC endpoints`)];
      }),
  },
];
