/**
 * The user pool and app client the local emulator gets: the environment's
 * `auth` settings (groups, MFA, token lifetimes), so a token minted locally
 * lasts as long and carries the same groups as one from the deployed pool.
 */
import type { CreateUserPoolClientCommandInput, CreateUserPoolCommandInput } from '@aws-sdk/client-cognito-identity-provider';
import type { EnvironmentConfig } from '../../../infra/config';
import { CLIENT_AUTH_FLOWS, PASSWORD_POLICY } from '../../../infra/constructs/user-pool';

export type LocalAuthSettings = Pick<EnvironmentConfig['auth'], 'groups' | 'mfa' | 'accessTokenMinutes' | 'idTokenMinutes' | 'refreshTokenDays'>;

/** The environment's auth settings (infra/config: validated, with their defaults), as the deployed pool has them. */
export function authSettingsOf(config: EnvironmentConfig): LocalAuthSettings {
  const { groups, mfa, accessTokenMinutes, idTokenMinutes, refreshTokenDays } = config.auth;
  return { groups, mfa, accessTokenMinutes, idTokenMinutes, refreshTokenDays };
}

/** The pool: email sign-in, verified emails, the config's MFA. */
export function userPoolSettings(config: EnvironmentConfig, auth: LocalAuthSettings): CreateUserPoolCommandInput {
  return {
    PoolName: `${config.project}-${config.name}`,
    UsernameAttributes: ['email'],
    AutoVerifiedAttributes: ['email'],
    MfaConfiguration: auth.mfa,
    Policies: {
      PasswordPolicy: {
        MinimumLength: PASSWORD_POLICY.minimumLength,
        RequireLowercase: PASSWORD_POLICY.requireLowercase,
        RequireUppercase: PASSWORD_POLICY.requireUppercase,
        RequireNumbers: PASSWORD_POLICY.requireNumbers,
        RequireSymbols: PASSWORD_POLICY.requireSymbols,
        TemporaryPasswordValidityDays: PASSWORD_POLICY.temporaryPasswordValidityDays,
      },
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
    ExplicitAuthFlows: [...CLIENT_AUTH_FLOWS, 'ALLOW_USER_PASSWORD_AUTH'],
    PreventUserExistenceErrors: 'ENABLED',
    AccessTokenValidity: auth.accessTokenMinutes,
    IdTokenValidity: auth.idTokenMinutes,
    RefreshTokenValidity: auth.refreshTokenDays,
    TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'days' },
  };
}
