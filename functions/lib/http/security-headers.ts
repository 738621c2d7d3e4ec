/**
 * `@middy/http-security-headers` trimmed to what matters for a JSON API
 * (fewer headers: fewer bytes and less work per response): nothing may frame,
 * sniff or run our responses as a document, HTTPS only, no referrer, and
 * browsers may not embed them cross-origin without CORS. The document-only
 * policies (permissions, COOP/COEP, legacy Adobe/IE/DNS-prefetch headers) are
 * left out.
 *
 * A module of its own (data only) so that bench:handlers can build its
 * "required libraries only" floor with the same configuration.
 */
export const SECURITY_HEADERS = {
  contentSecurityPolicy: {
    'default-src': "'none'",
    'base-uri': '',
    'form-action': '',
    'report-to': '',
    'require-trusted-types-for': '',
    // '' would still emit the bare directive; a falsy non-string drops it.
    sandbox: false as unknown as string,
    'upgrade-insecure-requests': false as unknown as string,
  },
  crossOriginEmbedderPolicy: false,
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  permissionsPolicy: false,
  dnsPrefetchControl: false,
  downloadOptions: false,
  frameOptions: false,
  permittedCrossDomainPolicies: false,
};
