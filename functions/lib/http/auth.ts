/**
 * Who is calling. On a route whose registry entry declares `auth`, API
 * Gateway's JWT authorizer has verified the token (signature, issuer,
 * audience, expiry, scopes) before the function runs, and payload 2.0 carries
 * its claims in `requestContext.authorizer.jwt.claims`
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).
 * The chain only reads them: it never verifies or parses a token itself.
 *
 * The route's access reaches the function from its registry entry through
 * the environment (infra/function-contract.ts): ROUTE_ACCESS and AUTH_GROUPS.
 */
import { AppError } from './errors';
import type { HttpEvent } from './types';

/** The verified caller of a signed-in route, from the token's claims. */
export interface User {
  /** The user's stable id in the pool (`sub`). */
  readonly sub: string;
  /** The verified email: ID tokens carry it; access tokens do not. */
  readonly email: string | undefined;
  /** Groups from `cognito:groups`. */
  readonly groups: readonly string[];
  /** `id` or `access`. */
  readonly tokenUse: string | undefined;
}

export type Claims = Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>;

/** The authorizer's claims of a payload 2.0 event, when a JWT authorizer ran. */
export function claimsOf(event: HttpEvent): Claims | undefined {
  return (event.requestContext as { authorizer?: { jwt?: { claims?: Claims } } }).authorizer?.jwt?.claims;
}

/**
 * Group names of a `cognito:groups` claim. API Gateway renders an array
 * claim as one string, its items space-separated in brackets: `"[organizers
 * admins]"` (measured on a live HTTP API: floci-io/floci#2011); a JSON array
 * is taken as it is.
 */
export function groupsOf(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.map(String);
  if (typeof claim !== 'string' || claim === '') return [];
  const inner = claim.startsWith('[') && claim.endsWith(']') ? claim.slice(1, -1) : claim;
  return inner.split(' ').filter(Boolean);
}

/** The user of verified claims, or undefined without a subject. */
export function userOf(claims: Claims | undefined): User | undefined {
  const sub = claims?.sub;
  if (typeof sub !== 'string' || sub === '') return undefined;
  const email = claims?.email;
  const verified = claims?.email_verified;
  return {
    sub,
    // An unverified address is no address: it would let anyone claim someone else's.
    email: typeof email === 'string' && (verified === true || verified === 'true') ? email : undefined,
    groups: groupsOf(claims?.['cognito:groups']),
    tokenUse: typeof claims?.token_use === 'string' ? claims.token_use : undefined,
  };
}

export const unauthorized = () => new AppError(401, 'unauthorized', 'Sign in to use this route');
export const forbidden = (message: string) => new AppError(403, 'forbidden', message);

interface AccessRules {
  readonly signedIn: boolean;
  readonly groups: readonly string[];
}

/**
 * The route's access, from the environment the stack (or the local runtime)
 * gives the function. Fails closed: groups always imply sign-in, an unknown
 * value is refused, and a function running as Lambda without ROUTE_ACCESS
 * refuses to load (its access would be unknown). Without Lambda's variables
 * (framework tests, scripts) a missing ROUTE_ACCESS means public.
 */
export function accessFromEnv(env: NodeJS.ProcessEnv = process.env): AccessRules {
  const groups = (env.AUTH_GROUPS ?? '').split(',').map((g) => g.trim()).filter(Boolean);
  const declared = env.ROUTE_ACCESS;
  if (declared !== undefined && declared !== 'signed-in' && declared !== 'public') {
    throw new Error(`ROUTE_ACCESS=${JSON.stringify(declared)}: expected "signed-in" or "public" (infra/function-contract.ts sets it)`);
  }
  if (declared === undefined && env.AWS_LAMBDA_FUNCTION_NAME) {
    throw new Error(`ROUTE_ACCESS is not set for ${env.AWS_LAMBDA_FUNCTION_NAME}: the stack sets it for every route (infra/function-contract.ts); refusing to serve a route whose access is unknown`);
  }
  return { signedIn: declared === 'signed-in' || groups.length > 0, groups };
}

/**
 * Before anything reads the request: a signed-in route without verified
 * claims is a 401 (the authorizer should have refused it: defence in depth),
 * and a caller in none of the route's groups a 403 `forbidden`.
 */
export function access(rules: AccessRules = accessFromEnv()) {
  const accessBefore = (request: { event: HttpEvent }) => {
    if (!rules.signedIn || request.event.requestContext?.http?.method === 'OPTIONS') return;
    const user = userOf(claimsOf(request.event));
    if (!user) throw unauthorized();
    if (rules.groups.length > 0 && !rules.groups.some((g) => user.groups.includes(g))) {
      throw forbidden(`Only members of ${rules.groups.join(' or ')} may do this`);
    }
  };
  return { before: accessBefore };
}

/** The caller, or a 401 when the request carries no verified claims (a public route). */
export function requireUser(event: HttpEvent): User {
  const user = userOf(claimsOf(event));
  if (!user) throw unauthorized();
  return user;
}
