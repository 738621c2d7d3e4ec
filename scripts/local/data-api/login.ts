/** Who a call runs as: the login its secret holds, once IAM allows the caller (SigV4 signatures are not verified). */
import type { LocalIam } from '../iam';
import type { DatabaseLogin, LocalSecrets } from '../secrets';
import { accessDenied, badRequest } from './errors';

export interface LoginSources {
  /** The login used without a secrets store (protocol tests). */
  readonly pg: { readonly user: string; readonly password: string };
  readonly secrets?: LocalSecrets;
  readonly iam?: LocalIam;
}

/**
 * The login a request's secret holds, once the caller is allowed
 * `rds-data:<action>` on the cluster and `secretsmanager:GetSecretValue` on
 * the secret (the service reads it with the caller's rights).
 */
export function loginOf(sources: LoginSources, body: Record<string, unknown>, accessKeyId: string | undefined, action: string): DatabaseLogin {
  const secretArn = String(body.secretArn);
  if (!sources.secrets) return { username: sources.pg.user, password: sources.pg.password };
  if (sources.iam) {
    const who = sources.iam.principal(accessKeyId ?? '')?.name ?? 'unknown';
    for (const [act, resource] of [[`rds-data:${action}`, String(body.resourceArn)], ['secretsmanager:GetSecretValue', secretArn]] as const) {
      if (!accessKeyId || !sources.iam.allows(accessKeyId, act, resource)) throw accessDenied(who, act, resource);
    }
  }
  const login = sources.secrets.login(secretArn);
  if (!login) throw badRequest(`Error fetching secret ${secretArn}: it does not exist or holds no username and password`);
  return login;
}
