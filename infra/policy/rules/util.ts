/** Helpers shared by the rules: verdicts, keys, subnets, roles. */
import { blocks, list, type StackModel, type TfResource } from '../model';
import type { CheckResult, RuleContext } from '../types';

export const pass = (resource: TfResource, message: string): CheckResult => ({ resource, ok: true, message });
export const fail = (resource: TfResource, message: string): CheckResult => ({ resource, ok: false, message });

/** JSON of a value for messages, short. */
export function show(value: unknown): string {
  const s = JSON.stringify(value);
  if (s === undefined) return 'unset';
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/** Is the environment one where deletion protection is required? */
export function protectionRequired(ctx: RuleContext): boolean {
  return ctx.config?.deletionProtection === true || ctx.stack === 'prod';
}

/**
 * Does `value` designate a customer-managed KMS key? A reference to an
 * `aws_kms_key` (or an alias of one) in the stack, or a literal key ARN.
 * AWS-managed aliases (`alias/aws/...`) and unset values are not.
 */
export function isCustomerManagedKey(model: StackModel, value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false;
  if (model.targets(value, 'aws_kms_key').length > 0) return true;
  const alias = model.targets(value, 'aws_kms_alias')[0];
  if (alias) return model.targets(alias.values.target_key_id, 'aws_kms_key').length > 0;
  return typeof value === 'string' && /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/.test(value);
}

/** Route tables of a subnet: explicit associations, else the VPC's default route table. */
export function routeTablesOf(model: StackModel, subnet: TfResource): TfResource[] {
  const explicit = model
    .referrers(subnet, 'aws_route_table_association', 'subnet_id')
    .flatMap((a) => model.targets(a.values.route_table_id, 'aws_route_table'));
  if (explicit.length > 0) return explicit;
  const vpc = model.targets(subnet.values.vpc_id, 'aws_vpc')[0];
  if (!vpc) return [];
  // The VPC's main route table: replaced by aws_main_route_table_association, else the managed default one.
  const main = model
    .referrers(vpc, 'aws_main_route_table_association', 'vpc_id')
    .flatMap((a) => model.targets(a.values.route_table_id, 'aws_route_table'));
  return main.length > 0 ? main : model.referrers(vpc, 'aws_default_route_table', 'default_route_table_id');
}

/** Is a route a route to an internet gateway (a public route)? */
function isInternetRoute(model: StackModel, route: Record<string, unknown>): boolean {
  const gw = route.gateway_id;
  if (model.targets(gw, 'aws_internet_gateway').length > 0) return true;
  return typeof gw === 'string' && gw.startsWith('igw-');
}

/** A route table's routes: its inline `route` blocks and the `aws_route` resources on it. */
export function routesOf(model: StackModel, table: TfResource): Record<string, unknown>[] {
  return [...blocks(table.values.route), ...model.referrers(table, 'aws_route', 'route_table_id').map((r) => r.values)];
}

/** Why a subnet is public, or undefined when it is private (no route to an internet gateway, no public IPs). */
export function whyPublic(model: StackModel, subnet: TfResource): string | undefined {
  for (const table of routeTablesOf(model, subnet)) {
    if (routesOf(model, table).some((r) => isInternetRoute(model, r))) {
      return `its route table ${table.address} routes to an internet gateway`;
    }
  }
  if (subnet.values.map_public_ip_on_launch === true) return 'it assigns public IPs on launch';
  return undefined;
}

/**
 * Checks that a list attribute references only private subnets of this stack.
 * Returns a problem, or undefined when every entry is a private subnet.
 */
export function privateSubnetProblem(model: StackModel, subnetIds: unknown): string | undefined {
  const entries = list(subnetIds);
  if (entries.length === 0) return 'no subnets are set';
  for (const entry of entries) {
    const subnet = model.singleRef(entry)?.resource;
    if (!subnet || subnet.type !== 'aws_subnet') {
      return `subnet ${show(entry)} is not a reference to an aws_subnet of this stack, so it cannot be verified`;
    }
    const why = whyPublic(model, subnet);
    if (why) return `subnet ${subnet.address} is public: ${why}`;
  }
  return undefined;
}

/** The registry name of a Lambda function of an environment stack (`<project>-<env>-<name>`). */
export function registryEntryOf(ctx: RuleContext, fn: TfResource) {
  const name = ctx.model.resolveString(fn.values.function_name);
  if (!name || !ctx.config) return undefined;
  const prefix = `${ctx.config.project}-${ctx.config.name}-`;
  if (!name.startsWith(prefix)) return undefined;
  return ctx.functions.find((f) => f.name === name.slice(prefix.length));
}
