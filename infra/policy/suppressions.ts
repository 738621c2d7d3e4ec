/**
 * Policy suppressions: one rule, one resource, and the reason (at least 10
 * characters) that the rule does not apply there. Every suppression is listed
 * in the report (`npm run check`, reports/policy.json); a suppression that
 * matches nothing is reported as stale.
 *
 * `resource` is a Terraform address, a construct path (`*` matches within one
 * path segment, `**` across segments), or a selector on a literal attribute
 * such as `aws_apigatewayv2_route[route_key="GET /health"]`.
 *
 * Infrastructure code can also suppress on the construct itself with
 * `suppressPolicy(resource, rule, reason)` (infra/policy/suppress.ts).
 */
import { routes as registryRoutes } from '../../functions/registry';
import { publicReasonProblem } from '../../functions/registry-schema';
import type { RouteDefinition } from '../../functions/registry-types';
import { environments } from '../config/environments';
import type { Suppression } from './types';

const route = (routeKey: string, reason: string): Suppression => ({
  rule: 'SPS-API-3',
  resource: `aws_apigatewayv2_route[route_key="${routeKey}"]`,
  reason,
});

/**
 * Routes without authorization: the registry's `public` reason is the written
 * decision (functions/registry.ts), if it is one the registry accepts (for a
 * route that writes data, it says how abuse is bounded: publicReasonProblem).
 * A route without one is reported by SPS-API-3 until it gets `auth` or a
 * reason.
 */
function routeSuppressions(routes: readonly RouteDefinition[]): Suppression[] {
  return routes.flatMap((r) => (r.public !== undefined && !publicReasonProblem(r) ? [route(`${r.method} ${r.path}`, r.public)] : []));
}

/**
 * CORS preflight: browsers send OPTIONS without credentials, so these routes
 * can never require authorization; they reach the middy CORS middleware only.
 */
function preflightSuppressions(routes: readonly RouteDefinition[]): Suppression[] {
  return [...new Set(routes.map((r) => r.path))].map((path) =>
    route(`OPTIONS ${path}`, 'CORS preflight: browsers send OPTIONS without credentials, so it cannot carry authorization'),
  );
}

/**
 * With `natGateways: true` the stack opens HTTPS (443 only) from the function
 * security group to the internet through NAT: that is the point of turning NAT
 * on, so SPS-SG-3 is suppressed for exactly that rule in those environments.
 */
export const NAT_EGRESS_RESOURCE = 'aws_vpc_security_group_egress_rule.functions-to-internet';
export const NAT_EGRESS_REASON =
  'natGateways is on for this environment: functions call internet APIs over HTTPS (443 only) through the NAT gateways';

function natSuppressions(envs: readonly { readonly name: string; readonly natGateways?: boolean }[]): Suppression[] {
  const natEnvironments = envs.filter((e) => e.natGateways === true).map((e) => e.name);
  return natEnvironments.length ? [{ rule: 'SPS-SG-3', resource: NAT_EGRESS_RESOURCE, reason: NAT_EGRESS_REASON, stacks: natEnvironments }] : [];
}

/**
 * The application role's secret (infra/constructs/app-role-secret.ts) is
 * filled by the migrate task, not by a rotation Lambda: SPS-SM-2's automatic
 * rotation is replaced by a documented procedure.
 */
const appSecretSuppressions: Suppression[] = [
  {
    rule: 'SPS-SM-2',
    resource: 'aws_secretsmanager_secret.app-role-secret_*',
    reason: 'The migrate task generates this password and sets it on the role; rotate it by putting a new value and running migrate again (docs/infrastructure.md). No rotation Lambda.',
  },
];

/** The suppressions of an app: made from its routes and its environments. */
export function suppressionsFor(routes: readonly RouteDefinition[], envs: readonly { readonly name: string; readonly natGateways?: boolean }[]): Suppression[] {
  return [...routeSuppressions(routes), ...preflightSuppressions(routes), ...natSuppressions(envs), ...appSecretSuppressions];
}

/** This repository's: functions/registry.ts and infra/config/environments.ts. */
export const suppressions: Suppression[] = suppressionsFor(registryRoutes, Object.values(environments));
