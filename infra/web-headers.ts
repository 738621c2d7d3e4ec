/**
 * The security headers of the web front end, written once: the CloudFront
 * response headers policy (infra/constructs/web-site.ts) is built from this
 * data, and the local runtime's web server sends the same headers
 * (`webSecurityHeaders`). Plain data and string functions, no cdktf import,
 * so any script can import it.
 *
 *   import { cognitoOrigin, webSecurityHeaders } from '../infra/web-headers';
 *   const headers = webSecurityHeaders({ api: 'http://127.0.0.1:3000', auth: [cognitoOrigin('eu-west-1')] });
 *   // { 'content-security-policy': "default-src 'self'; …", 'strict-transport-security': …, … }
 *
 * The page may load its own files only, call the API and Cognito only, and
 * never be framed. Sources: MDN (Content-Security-Policy, Strict-Transport-
 * Security, X-Content-Type-Options, X-Frame-Options, Referrer-Policy), the
 * OWASP HTTP Headers and CSP cheat sheets, hstspreload.org's submission
 * requirements (max-age of at least one year, includeSubDomains, preload).
 */

/** Where the front end may connect besides itself (CSP `connect-src`). */
export interface WebConnectOrigins {
  /** The HTTP API's origin (scheme and host, no path), e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com`. */
  readonly api: string;
  /** The sign-in service's origins, e.g. `[cognitoOrigin('eu-west-1')]`. */
  readonly auth: readonly string[];
}

/**
 * Strict-Transport-Security: two years (hstspreload.org asks for at least
 * one), every subdomain of the site's host, and the `preload` token. The
 * header covers the host that sends it and its subdomains only; adding a
 * domain to browsers' preload list is a separate submission for the apex
 * domain, never made by this header alone.
 */
export const HSTS = { maxAgeSeconds: 63_072_000, includeSubdomains: true, preload: true } as const;

/** X-Frame-Options for browsers that ignore CSP `frame-ancestors`. */
export const FRAME_OPTIONS = 'DENY';

/** Full URL to the same origin, only the origin cross-origin, nothing over HTTP. */
export const REFERRER_POLICY = 'strict-origin-when-cross-origin';

/** X-Content-Type-Options: files are used only as the type S3 says they are. */
export const CONTENT_TYPE_OPTIONS = 'nosniff';

/** Cognito's user pool API for a region, which the browser calls to sign in and refresh tokens. */
export function cognitoOrigin(region: string): string {
  return `https://cognito-idp.${region}.amazonaws.com`;
}

/** A CSP source must be one origin: no wildcard, quote, separator or space. */
const SOURCE = /^[^\s;,*'"]+$/;

/** The CSP directives, in order. */
export function cspDirectives(origins: WebConnectOrigins): [directive: string, sources: string[]][] {
  for (const origin of [origins.api, ...origins.auth]) {
    if (!SOURCE.test(origin)) {
      throw new Error(`web headers: connect origin ${JSON.stringify(origin)} is not a single origin; use e.g. "https://api.example.com" (no "*", no spaces, no ";")`);
    }
  }
  return [
    ['default-src', ["'self'"]],
    ['script-src', ["'self'"]],
    ['style-src', ["'self'"]],
    ['img-src', ["'self'", 'data:']],
    ['connect-src', ["'self'", origins.api, ...origins.auth]],
    ['object-src', ["'none'"]],
    ['base-uri', ["'self'"]],
    ['form-action', ["'self'"]],
    ['frame-ancestors', ["'none'"]],
  ];
}

/** The Content-Security-Policy header value. */
export function contentSecurityPolicy(origins: WebConnectOrigins): string {
  return cspDirectives(origins)
    .map(([directive, sources]) => `${directive} ${sources.join(' ')}`)
    .join('; ');
}

/** The Strict-Transport-Security header value. */
export function strictTransportSecurity(): string {
  return [`max-age=${HSTS.maxAgeSeconds}`, ...(HSTS.includeSubdomains ? ['includeSubDomains'] : []), ...(HSTS.preload ? ['preload'] : [])].join('; ');
}

/** Every security header the front end is served with, lower-case names (as CloudFront and node:http send them). */
export function webSecurityHeaders(origins: WebConnectOrigins): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(origins),
    'strict-transport-security': strictTransportSecurity(),
    'x-content-type-options': CONTENT_TYPE_OPTIONS,
    'x-frame-options': FRAME_OPTIONS,
    'referrer-policy': REFERRER_POLICY,
  };
}
