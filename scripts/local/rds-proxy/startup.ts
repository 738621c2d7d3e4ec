/**
 * Which StartupMessage parameters RDS Proxy (PostgreSQL) accepts, and the
 * error it sends for the rest. Sources:
 *
 * - AWS docs, "Considerations for connecting to a proxy with PostgreSQL"
 *   (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-connecting.html):
 *   "the startup message can include the following currently recognized
 *   parameters: user, database, replication" and "the following additional
 *   runtime parameters: application_name, client_encoding, DateStyle,
 *   TimeZone, extra_float_digits". That is the whole allow-list.
 * - AWS docs, "Troubleshooting for RDS Proxy"
 *   (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy.troubleshooting.html):
 *   "Feature not supported: RDS Proxy currently doesn't support the option
 *   option_name.", "…doesn't support streaming replication mode.", "…supports
 *   only version 3.0 of the PostgreSQL messaging protocol.", "A user name is
 *   missing from the connection startup packet. Provide a user name for this
 *   connection."
 * - Reported refusals: statement_timeout (ForumMagnum/ForumMagnum#11415,
 *   dropbox/aana_sdk#262), jit (asyncpg FeatureNotSupportedError, richyen.com
 *   2026-03-12), ssl_renegotiation_limit (mithrandyr/SimplySql#66, "0A000"),
 *   options / `-c` flags ("…doesn't support command-line options.",
 *   psycopg/psycopg2#1577, stac-utils/pgstac#156).
 *
 * Everything else (idle_in_transaction_session_timeout, lock_timeout,
 * search_path, _pq_.* …) has no report either way and is not on the list: it
 * is refused here too. A false alarm costs a line of code; a miss costs a
 * failed deploy (docs/local-runtime.md lists these as inferred).
 */

/** Accepted parameters (AWS's list) and whether the emulator passes them on to Postgres. */
export const ACCEPTED_PARAMETERS: ReadonlyMap<string, { readonly forward: boolean }> = new Map([
  ['user', { forward: false }],
  ['database', { forward: false }],
  ['application_name', { forward: true }],
  ['client_encoding', { forward: true }],
  ['DateStyle', { forward: true }],
  ['TimeZone', { forward: true }],
  ['extra_float_digits', { forward: true }],
]);

/** Refusals confirmed by reports (the rest of the non-listed names are refused by inference). */
export const REPORTED_REFUSALS = ['statement_timeout', 'jit', 'ssl_renegotiation_limit', 'options', 'replication'] as const;

/** SQLSTATE feature_not_supported: what clients report for these refusals ("0A000: Feature not supported…"). */
export const FEATURE_NOT_SUPPORTED = '0A000';

export interface StartupRefusal {
  readonly code: string;
  readonly message: string;
}

/** The proxy's refusal of a startup packet, or undefined when it accepts it. */
export function checkStartup(params: ReadonlyMap<string, string>): StartupRefusal | undefined {
  if (!params.get('user')) {
    return { code: '28000', message: 'A user name is missing from the connection startup packet. Provide a user name for this connection.' };
  }
  for (const name of params.keys()) {
    if (ACCEPTED_PARAMETERS.has(name)) continue;
    if (name === 'options') {
      return { code: FEATURE_NOT_SUPPORTED, message: "Feature not supported: RDS Proxy currently doesn't support command-line options." };
    }
    if (name === 'replication') {
      const value = params.get(name)!.toLowerCase();
      if (['false', 'off', 'no', '0'].includes(value)) continue;
      return { code: FEATURE_NOT_SUPPORTED, message: "Feature not supported: RDS Proxy currently doesn't support streaming replication mode." };
    }
    return { code: FEATURE_NOT_SUPPORTED, message: `Feature not supported: RDS Proxy currently doesn't support the option ${name}.` };
  }
  return undefined;
}

/** What the proxy answers when the protocol version is not 3.0. */
export const UNSUPPORTED_PROTOCOL: StartupRefusal = {
  code: FEATURE_NOT_SUPPORTED,
  message: 'Feature not supported: RDS Proxy supports only version 3.0 of the PostgreSQL messaging protocol.',
};

/**
 * A plaintext connection to a proxy with require_tls: clients report
 * "FATAL: This RDS Proxy requires TLS connections (SQLSTATE 28000)".
 */
export const TLS_REQUIRED: StartupRefusal = { code: '28000', message: 'This RDS Proxy requires TLS connections' };

/**
 * Authentication failures, in the proxy's documented words (troubleshooting
 * page; the same text in duckdb/duckdb-postgres#576). No source gives their
 * SQLSTATE; 28000 (invalid authorization) as for the TLS refusal.
 */
export const iamAuthFailed = (role: string): StartupRefusal => ({
  code: '28000',
  message: `The IAM authentication failed for the role ${role}. Check the IAM token for this role and try again.`,
});
export const noCredentials = (role: string): StartupRefusal => ({
  code: '28000',
  message: `This RDS proxy has no credentials for the role ${role}. Check the credentials for this role and try again.`,
});
