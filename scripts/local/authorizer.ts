/**
 * API Gateway's JWT authorizer, locally: what it checks before a route with
 * `auth` calls its function, and what it hands the function. Verification is
 * aws-jwt-verify's (signature against the pool's JWKS, `iss`, `exp`, `nbf`);
 * the rules around it are API Gateway's, from "Control access to HTTP APIs
 * with JWT authorizers"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html):
 *
 * - the token is the `Authorization` header, with or without `Bearer `;
 * - only RSA signatures, with the key of the token's `kid` in the issuer's JWKS;
 * - `iss` is the issuer; `aud`, or `client_id` when there is no `aud`, is one
 *   of the audiences (so Cognito ID tokens and access tokens both pass; API
 *   Gateway does not look at `token_use`);
 * - `exp` after now, `nbf` and `iat` before now, with no clock skew (none is documented);
 * - on a route with scopes, the token's `scope` (or `scp`) has at least one of them: else 403.
 *
 * Sources for the answers and the claims' rendering: docs/local-runtime.md#sign-in-locally.
 */
import { JwtVerifier } from 'aws-jwt-verify';
import {
  JwtExpiredError,
  JwtInvalidIssuerError,
  JwtInvalidSignatureAlgorithmError,
  JwtInvalidSignatureError,
  JwtNotBeforeError,
  JwtParseError,
  JwtWithoutValidKidError,
  KidNotFoundInJwksError,
} from 'aws-jwt-verify/error';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { AUTHORIZER_FORBIDDEN, authorizerUnauthorized, type HttpResponse } from './gateway-answers';

export interface JwtAuthorizerConfig {
  /** The issuer the authorizer is configured with (the user pool's). */
  readonly issuer: string;
  /** Audiences: the app client ids. */
  readonly audience: readonly string[];
  /** Where the issuer's signing keys are. */
  readonly jwksUri: string;
}

/** What a JWT authorizer passes the function in `requestContext.authorizer` (payload 2.0). */
export interface AuthorizerContext {
  readonly jwt: {
    readonly claims: Record<string, string>;
    /** The token's scopes on a route with scopes, else null. */
    readonly scopes: string[] | null;
  };
}

export type Authorization = { readonly allowed: true; readonly context: AuthorizerContext } | { readonly allowed: false; readonly response: HttpResponse };

export interface JwtAuthorizer {
  /** Checks a request's `Authorization` header for a route with these scopes (none: any valid token). */
  authorize(header: string | undefined, routeScopes?: readonly string[]): Promise<Authorization>;
}

/** "Currently, only RSA-based algorithms are supported." */
const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512'];

class Refusal extends Error {}

/** The JWKS over plain fetch: the local issuer is http on loopback (aws-jwt-verify's own fetcher speaks https only). */
const loopbackFetcher = {
  async fetch(uri: string): Promise<ArrayBuffer> {
    const res = await fetch(uri, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`${uri} answered ${res.status}`);
    return res.arrayBuffer();
  },
};

export function createJwtAuthorizer(config: JwtAuthorizerConfig): JwtAuthorizer {
  const verifier = JwtVerifier.create(
    {
      issuer: config.issuer,
      jwksUri: config.jwksUri,
      // Checked below as API Gateway does: `aud`, or `client_id` without `aud`.
      audience: null,
      customJwtCheck: ({ header, payload }) => {
        if (!RSA_ALGORITHMS.includes(String(header.alg))) throw new Refusal(`signing method ${header.alg} is not supported`);
        const audience = payload.aud ?? payload.client_id;
        const audiences = Array.isArray(audience) ? audience : [audience];
        if (!audiences.some((a) => typeof a === 'string' && config.audience.includes(a))) throw new Refusal('the token does not have a valid audience');
        if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000) throw new Refusal('the token was issued in the future');
      },
    },
    { jwksCache: new SimpleJwksCache({ fetcher: loopbackFetcher }) },
  );

  return {
    async authorize(header, routeScopes = []) {
      if (!header) return { allowed: false, response: authorizerUnauthorized() };
      const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : header;
      if (token.split('.').length !== 3) return { allowed: false, response: authorizerUnauthorized('token contains an invalid number of segments') };
      let payload: JwtPayload;
      try {
        payload = await verifier.verify(token);
      } catch (err) {
        return { allowed: false, response: authorizerUnauthorized(describeRefusal(err)) };
      }
      const scopes = scopesOf(payload);
      if (routeScopes.length > 0 && !routeScopes.some((s) => scopes.includes(s))) return { allowed: false, response: AUTHORIZER_FORBIDDEN() };
      return { allowed: true, context: { jwt: { claims: renderClaims(payload), scopes: routeScopes.length > 0 ? scopes : null } } };
    },
  };
}

/** `error_description` of a refusal. Only the audience's and the segments' wording is AWS's own (recorded); the rest is ours. */
function describeRefusal(err: unknown): string {
  if (err instanceof Refusal) return err.message;
  if (err instanceof JwtExpiredError) return 'the token has expired';
  if (err instanceof JwtNotBeforeError) return 'the token is not valid yet';
  if (err instanceof JwtInvalidIssuerError) return 'the token does not have a valid issuer';
  if (err instanceof JwtInvalidSignatureAlgorithmError) return 'the token signing method is not supported';
  if (err instanceof JwtInvalidSignatureError) return 'the token signature is invalid';
  if (err instanceof KidNotFoundInJwksError || err instanceof JwtWithoutValidKidError) return 'the token signing key is not known';
  if (err instanceof JwtParseError) return 'the token could not be decoded';
  return 'the token is not valid';
}

/** The token's scopes: `scp` (a list or a string), else `scope` (space-separated, as Cognito's access tokens). */
export function scopesOf(payload: JwtPayload): string[] {
  for (const claim of [payload.scp, payload.scope]) {
    if (Array.isArray(claim) && claim.length) return claim.map(String);
    if (typeof claim === 'string' && claim.trim()) return claim.trim().split(/\s+/);
  }
  return [];
}

/**
 * Claims as API Gateway renders them in `requestContext.authorizer.jwt.claims`:
 * every value a string (numbers and booleans as text), a list as its items
 * space-separated in brackets (`"[organizers admins]"`), null claims left out,
 * an object as JSON. Measured on a live HTTP API: floci-io/floci#2011.
 */
export function renderClaims(payload: Record<string, unknown>): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (value === null || value === undefined) continue;
    claims[name] = Array.isArray(value) ? `[${value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(' ')}]` : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return claims;
}
