/**
 * The app's settings, from `/config.json`, fetched at start and never built
 * in: the stack writes one per environment next to the app (S3 + CloudFront),
 * and `npm run dev` serves one pointing at the local API and user pool.
 */

/** How the app signs users in: SRP in AWS; the password flow against the local emulator, which has no SRP. */
export type AuthFlow = 'USER_SRP_AUTH' | 'USER_PASSWORD_AUTH';

export interface AppConfig {
  /** The HTTP API's base URL. */
  readonly apiUrl: string;
  /** AWS region of the user pool. */
  readonly region: string;
  /** Cognito user pool id, e.g. `eu-west-1_AbCdEf123`. */
  readonly userPoolId: string;
  /** The pool's app client for this app (no secret). */
  readonly userPoolClientId: string;
  /** Local only: the user pool emulator's URL instead of `https://cognito-idp.<region>.amazonaws.com/`. */
  readonly cognitoEndpoint?: string;
  /** @default "USER_SRP_AUTH" */
  readonly authFlow: AuthFlow;
}

export class ConfigError extends Error {}

const isUrl = (v: unknown): v is string => {
  if (typeof v !== 'string') return false;
  try {
    return ['http:', 'https:'].includes(new URL(v).protocol);
  } catch {
    return false;
  }
};

/** Checks config.json's content; throws ConfigError naming the field. */
export function parseConfig(raw: unknown): AppConfig {
  const c = (raw ?? {}) as Record<string, unknown>;
  const text = (key: string) => {
    if (typeof c[key] !== 'string' || c[key] === '') throw new ConfigError(`config.json: "${key}" is missing`);
    return c[key] as string;
  };
  if (!isUrl(c.apiUrl)) throw new ConfigError('config.json: "apiUrl" must be the API\'s http(s) URL');
  if (c.cognitoEndpoint !== undefined && !isUrl(c.cognitoEndpoint)) throw new ConfigError('config.json: "cognitoEndpoint" must be an http(s) URL');
  const authFlow = c.authFlow ?? 'USER_SRP_AUTH';
  if (authFlow !== 'USER_SRP_AUTH' && authFlow !== 'USER_PASSWORD_AUTH') throw new ConfigError('config.json: "authFlow" must be USER_SRP_AUTH or USER_PASSWORD_AUTH');
  return {
    apiUrl: c.apiUrl,
    region: text('region'),
    userPoolId: text('userPoolId'),
    userPoolClientId: text('userPoolClientId'),
    ...(c.cognitoEndpoint ? { cognitoEndpoint: c.cognitoEndpoint as string } : {}),
    authFlow,
  };
}

export async function loadConfig(): Promise<AppConfig> {
  let res: Response;
  try {
    // Served `cache-control: no-cache` (revalidated), by the distribution and by npm run dev.
    res = await fetch('/config.json', { credentials: 'omit' });
  } catch {
    throw new ConfigError('The app could not load its settings (config.json): check your connection and reload.');
  }
  if (!res.ok) throw new ConfigError(`The app could not load its settings (config.json answered ${res.status}).`);
  return parseConfig(await res.json().catch(() => undefined));
}
