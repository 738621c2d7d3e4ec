/**
 * The user pool and app client the local emulator gets: the environment's
 * `auth` settings (groups, MFA, token lifetimes), so a token minted locally
 * lasts as long and carries the same groups as one from the deployed pool.
 */
import type { CreateUserPoolClientCommandInput, CreateUserPoolCommandInput } from '@aws-sdk/client-cognito-identity-provider';
import type { RouteDefinition } from '../../../functions/registry-types';
import type { EnvironmentConfig } from '../../../infra/config';

export interface LocalAuthSettings {
  /** Groups of the pool. */
  readonly groups: readonly string[];
  readonly mfa: 'OFF' | 'OPTIONAL' | 'ON';
  readonly accessTokenMinutes: number;
  readonly idTokenMinutes: number;
  readonly refreshTokenDays: number;
}

/** The shape the environment config's `auth` section is read with (every field optional). */
interface AuthSection {
  readonly groups?: readonly string[];
  readonly mfa?: string;
  readonly accessTokenValidityMinutes?: number;
  readonly idTokenValidityMinutes?: number;
  readonly refreshTokenValidityDays?: number;
}

/** Cognito's own defaults for an app client's tokens: one hour, one hour, 30 days. */
const COGNITO_DEFAULTS = { accessTokenMinutes: 60, idTokenMinutes: 60, refreshTokenDays: 30 } as const;

/**
 * The environment's auth settings, with Cognito's defaults for what it does
 * not set. Without groups in the config, the pool gets the groups the routes
 * ask for (`auth.groups` of the registry entries).
 */
export function authSettingsOf(config: EnvironmentConfig, routes: readonly RouteDefinition[]): LocalAuthSettings {
  // TODO(#15): read `config.auth` typed once the config schema has its `auth` section.
  const auth = (config as { auth?: AuthSection }).auth ?? {};
  const routeGroups = routes.flatMap((r) => r.auth?.groups ?? []);
  const mfa = (auth.mfa ?? 'optional').toUpperCase();
  return {
    groups: [...new Set(auth.groups ?? routeGroups)].sort(),
    mfa: mfa === 'ON' || mfa === 'OFF' ? mfa : 'OPTIONAL',
    accessTokenMinutes: auth.accessTokenValidityMinutes ?? COGNITO_DEFAULTS.accessTokenMinutes,
    idTokenMinutes: auth.idTokenValidityMinutes ?? COGNITO_DEFAULTS.idTokenMinutes,
    refreshTokenDays: auth.refreshTokenValidityDays ?? COGNITO_DEFAULTS.refreshTokenDays,
  };
}

/** The pool: email sign-in, verified emails, the config's MFA. */
export function userPoolSettings(config: EnvironmentConfig, auth: LocalAuthSettings): CreateUserPoolCommandInput {
  return {
    PoolName: `${config.project}-${config.name}`,
    UsernameAttributes: ['email'],
    AutoVerifiedAttributes: ['email'],
    MfaConfiguration: auth.mfa,
    Policies: {
      PasswordPolicy: { MinimumLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true },
    },
  };
}

/**
 * The app client of a browser app: no secret, SRP and refresh tokens, the
 * config's token lifetimes. `ALLOW_USER_PASSWORD_AUTH` is local only:
 * cognito-local has no SRP, so `npm run dev:token` signs in with the password
 * flow (docs/local-runtime.md#sign-in-locally).
 */
export function appClientSettings(config: EnvironmentConfig, auth: LocalAuthSettings, userPoolId: string): CreateUserPoolClientCommandInput {
  return {
    UserPoolId: userPoolId,
    ClientName: `${config.project}-${config.name}-web`,
    GenerateSecret: false,
    ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_PASSWORD_AUTH'],
    PreventUserExistenceErrors: 'ENABLED',
    AccessTokenValidity: auth.accessTokenMinutes,
    IdTokenValidity: auth.idTokenMinutes,
    RefreshTokenValidity: auth.refreshTokenDays,
    TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'days' },
  };
}
