/**
 * What the diagram shows, read from a synthesized stack: subnets in address
 * order, each function with its routes and the data it reaches (from its IAM
 * grants), and functions grouped by the same access.
 */
import { policiesOfRole } from '../../infra/policy/iam-documents';
import { expressionsIn, type StackModel, type TfResource } from '../../infra/policy/model';

/** How a function reaches a datastore, read from its IAM grants. */
export type Access = 'proxy' | 'secret' | 'data-api' | 'read-write' | 'read';

/** Order of access kinds in groups and edges: SQL first, then DynamoDB. */
const ACCESS_ORDER: readonly Access[] = ['proxy', 'secret', 'data-api', 'read-write', 'read'];

/** IPv4 `cidrsubnet(prefix, newbits, netnum)`, as Terraform computes it. */
export function cidrsubnet(prefix: string, newbits: number, netnum: number): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(prefix);
  if (!m) return undefined;
  const bits = Number(m[5]) + newbits;
  if (bits > 32) return undefined;
  const addr = ipv4(prefix)! + netnum * 2 ** (32 - bits);
  return `${[24, 16, 8, 0].map((s) => Math.floor(addr / 2 ** s) % 256).join('.')}/${bits}`;
}

/** The address of an IPv4 CIDR as a number. */
function ipv4(cidr: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\//.exec(cidr);
  return m ? m.slice(1, 5).reduce((acc, o) => acc * 256 + Number(o), 0) : undefined;
}

/** The CIDR of a subnet: literal, or `cidrsubnet(<vpc cidr>, n, i)` evaluated. */
function subnetCidr(model: StackModel, subnet: TfResource): string {
  const raw = subnet.values.cidr_block;
  if (typeof raw === 'string' && !raw.includes('${')) return raw;
  const expr = typeof raw === 'string' ? expressionsIn(raw)[0] ?? '' : '';
  const m = /^cidrsubnet\(([^,]+),\s*(\d+),\s*(\d+)\)$/.exec(expr.trim());
  if (!m) return 'computed';
  const prefix = model.resolveString(`\${${m[1].trim()}}`);
  return (prefix && cidrsubnet(prefix, Number(m[2]), Number(m[3]))) ?? 'computed';
}

export interface SubnetView {
  readonly zone: string;
  readonly cidr: string;
}

/** Subnets in address order, then by zone (computed CIDRs last), as a reader scans them. */
export function subnetsInOrder(model: StackModel, subnets: readonly TfResource[]): SubnetView[] {
  const order = (cidr: string) => ipv4(cidr) ?? Number.MAX_SAFE_INTEGER;
  return subnets
    .map((s) => ({ zone: String(s.values.availability_zone ?? '?'), cidr: subnetCidr(model, s) }))
    .sort((a, b) => order(a.cidr) - order(b.cidr) || a.zone.localeCompare(b.zone));
}

/** A datastore a function reaches (a table, the proxy, an endpoint) and how. */
export interface Reach {
  readonly target: TfResource;
  readonly access: Access;
}

export interface FunctionView {
  readonly resource: TfResource;
  /** The function's name without the `<project>-<env>-` prefix. */
  readonly name: string;
  /** Route keys, without the CORS preflight (OPTIONS) routes. */
  readonly routes: string[];
  readonly invokedOnApply: boolean;
  /** What it reaches, in ACCESS_ORDER. */
  readonly reach: Reach[];
}

/** Functions that reach the same datastores the same way (and are all routes, or all tasks). */
export interface FunctionGroup {
  readonly members: FunctionView[];
  readonly reach: Reach[];
  readonly routed: boolean;
}

const WRITE = /:(Put|Update|Delete|BatchWrite|TransactWrite)/;

/** Where a function's grants let it go: tables (read or read-write), the proxy, the Data API and Secrets Manager endpoints. */
function reachOf(model: StackModel, fn: TfResource): Reach[] {
  const reach = new Map<string, Reach>();
  const role = model.targets(fn.values.role, 'aws_iam_role')[0];
  const endpoint = (service: string) => model.ofType('aws_vpc_endpoint').find((e) => String(e.values.service_name).endsWith(`.${service}`));
  const add = (target: TfResource, access: Access) => reach.set(target.address, { target, access });
  for (const policy of role ? policiesOfRole(model, role) : []) {
    if (!policy.document.ok) continue;
    for (const s of policy.document.statements.filter((x) => x.effect === 'Allow')) {
      for (const target of model.targets(s.resources)) {
        if (target.type === 'aws_dynamodb_table') {
          add(target, s.actions.some((a) => WRITE.test(a)) || reach.get(target.address)?.access === 'read-write' ? 'read-write' : 'read');
        } else if (target.type === 'aws_db_proxy' && s.actions.includes('rds-db:connect')) {
          add(target, 'proxy');
        } else if (target.type === 'aws_rds_cluster' && s.actions.some((a) => a.startsWith('rds-data:'))) {
          add(endpoint('rds-data') ?? target, 'data-api');
        } else if (target.type === 'aws_secretsmanager_secret' && s.actions.includes('secretsmanager:PutSecretValue')) {
          // Reading a secret is the Data API's business (server-side); writing one goes through the endpoint.
          add(endpoint('secretsmanager') ?? target, 'secret');
        }
      }
    }
  }
  return [...reach.values()].sort((a, b) => ACCESS_ORDER.indexOf(a.access) - ACCESS_ORDER.indexOf(b.access) || a.target.address.localeCompare(b.target.address));
}

/** Every Lambda function of the stack, with its routes and the data it reaches. */
export function functionViews(model: StackModel, prefix: string): FunctionView[] {
  const routesByFn = new Map<string, string[]>();
  for (const route of model.ofType('aws_apigatewayv2_route')) {
    const integration = model.targets(route.values.target, 'aws_apigatewayv2_integration')[0];
    const fn = integration && model.targets(integration.values.integration_uri, 'aws_lambda_function')[0];
    const key = String(route.values.route_key);
    if (fn && !key.startsWith('OPTIONS ')) routesByFn.set(fn.address, [...(routesByFn.get(fn.address) ?? []), key]);
  }
  return model.ofType('aws_lambda_function').map((fn) => {
    const name = model.resolveString(fn.values.function_name) ?? fn.name;
    return {
      resource: fn,
      name: name.startsWith(prefix) ? name.slice(prefix.length) : name,
      routes: (routesByFn.get(fn.address) ?? []).sort(),
      invokedOnApply: model.referrers(fn, 'aws_lambda_invocation', 'function_name').length > 0,
      reach: reachOf(model, fn),
    };
  });
}

/** Groups functions by what they reach and whether the API invokes them; SQL groups first, members by name. */
export function groupFunctions(functions: readonly FunctionView[]): FunctionGroup[] {
  const signature = (f: FunctionView) => f.reach.map((r) => `${ACCESS_ORDER.indexOf(r.access)} ${r.target.address}`).join(', ');
  const groups = new Map<string, FunctionGroup>();
  for (const f of [...functions].sort((a, b) => a.name.localeCompare(b.name))) {
    const key = `${signature(f)} | ${f.routes.length > 0}`;
    const group = groups.get(key) ?? { members: [], reach: f.reach, routed: f.routes.length > 0 };
    group.members.push(f);
    groups.set(key, group);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, g]) => g);
}
