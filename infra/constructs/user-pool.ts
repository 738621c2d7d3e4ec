/**
 * Sign-in: a Cognito user pool (email is the username, verified before it is
 * used), an app client for a browser app (no secret, SRP and refresh tokens
 * only) and the pool's groups. API Gateway's JWT authorizer trusts tokens
 * from this pool and client (`issuer`, `clientId`).
 *
 * Sources: the hashicorp/aws provider's resources (internal/service/cognitoidp
 * `user_pool.go`, `user_pool_client.go`, `user_group.go`; website/docs/r/
 * cognito_user_pool*.html.markdown) and Cognito's API reference
 * (CreateUserPool, CreateUserPoolClient, PasswordPolicyType).
 *
 * Pitfalls the provider's schema sets (user_pool.go): `name`,
 * `username_attributes` and `username_configuration.case_sensitive` are
 * ForceNew, and Cognito cannot change or remove a schema attribute; any of
 * them replaces the pool, and every user is lost. This construct therefore
 * declares no custom schema, and prod's deletion protection makes such a
 * replacement fail at the delete instead of deleting users.
 */
import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { CognitoUserGroup } from '@cdktf/provider-aws/lib/cognito-user-group';
import { CognitoUserPool } from '@cdktf/provider-aws/lib/cognito-user-pool';
import { CognitoUserPoolClient } from '@cdktf/provider-aws/lib/cognito-user-pool-client';

export type MfaMode = 'OFF' | 'OPTIONAL' | 'ON';
export type FeaturePlan = 'LITE' | 'ESSENTIALS' | 'PLUS';
export type ThreatProtection = 'OFF' | 'AUDIT' | 'ENFORCED';

/**
 * The password policy: 12 characters of all four classes; an
 * administrator's temporary password expires after 3 days (AWS's default
 * is 7). cdk-nag's AwsSolutions-COG1 asks for 8 characters and three classes.
 */
export const PASSWORD_POLICY = {
  minimumLength: 12,
  requireLowercase: true,
  requireUppercase: true,
  requireNumbers: true,
  requireSymbols: true,
  temporaryPasswordValidityDays: 3,
} as const;

/**
 * Passwords a user may not reuse (PasswordPolicyType.PasswordHistorySize,
 * 0-24). Cognito enforces it on the Essentials and Plus plans only.
 */
export const DEFAULT_PASSWORD_HISTORY = 5;

/**
 * The browser client's sign-in flows: SRP (the password never leaves the
 * browser) and refresh tokens. No USER_PASSWORD_AUTH (the password is sent to
 * Cognito), no ADMIN_* (needs AWS credentials), no custom auth.
 */
export const CLIENT_AUTH_FLOWS = ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] as const;

/** What the client may read and write of a user: the email address and whether it is verified. */
export const CLIENT_READ_ATTRIBUTES = ['email', 'email_verified'] as const;
export const CLIENT_WRITE_ATTRIBUTES = ['email'] as const;

/** The `iss` of the pool's tokens (Cognito developer guide, "Verifying a JSON web token"). */
export function cognitoIssuer(region: string, userPoolId: string): string {
  return `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
}

export interface UserPoolProps {
  /** Prefix of the names: the pool is `<name>-users`, the client `<name>-web`. */
  readonly name: string;
  /** The pool's region, for the token issuer. */
  readonly region: string;
  /** Groups of the pool (`cognito:groups` in the tokens). @default - none */
  readonly groups?: readonly string[];
  /** MFA with an authenticator app (TOTP); never SMS. @default "OPTIONAL" */
  readonly mfa?: MfaMode;
  /** Access token lifetime, 5-1440 minutes. @default 60 */
  readonly accessTokenMinutes?: number;
  /** ID token lifetime, 5-1440 minutes. @default 60 */
  readonly idTokenMinutes?: number;
  /** Refresh token lifetime, 1-3650 days. @default 30 */
  readonly refreshTokenDays?: number;
  /** Feature plan (`user_pool_tier`). @default "ESSENTIALS" */
  readonly featurePlan?: FeaturePlan;
  /** Threat protection (`advanced_security_mode`); AUDIT and ENFORCED need the PLUS plan. @default "OFF" */
  readonly threatProtection?: ThreatProtection;
  /** Passwords a user may not reuse (0-24; 0 on LITE, which has no password history). @default - 5, or 0 on LITE */
  readonly passwordHistorySize?: number;
  /** Deletion protection (`ACTIVE`): the pool cannot be deleted until it is turned off. @default false */
  readonly deletionProtection?: boolean;
  /**
   * Send email through this verified SES identity (`DEVELOPER`).
   * @default - Cognito's built-in sender (COGNITO_DEFAULT), 50 emails a day per account
   */
  readonly email?: { readonly sourceArn: string; readonly from?: string };
}

export class UserPool extends Construct {
  readonly pool: CognitoUserPool;
  readonly client: CognitoUserPoolClient;
  /** By group name. */
  readonly groups: Readonly<Record<string, CognitoUserGroup>>;

  constructor(scope: Construct, id: string, private readonly props: UserPoolProps) {
    super(scope, id);
    checkProps(props);
    this.pool = this.createPool();
    this.client = this.createBrowserClient();
    this.groups = this.createGroups();
  }

  /** The pool's id. */
  get userPoolId(): string {
    return this.pool.id;
  }

  /** The browser app client's id: the audience of its tokens. */
  get clientId(): string {
    return this.client.id;
  }

  /** `https://cognito-idp.<region>.amazonaws.com/<pool id>`: the `iss` of the pool's tokens. */
  get issuer(): string {
    return cognitoIssuer(this.props.region, this.pool.id);
  }

  private createPool(): CognitoUserPool {
    const p = this.props;
    const mfa = p.mfa ?? 'OPTIONAL';
    const plan = p.featurePlan ?? 'ESSENTIALS';
    return new CognitoUserPool(this, 'pool', {
      name: `${p.name}-users`,
      // Sign in with the email address, in any case: both are ForceNew (user_pool.go).
      usernameAttributes: ['email'],
      usernameConfiguration: { caseSensitive: false },
      // Cognito sends a code to every new address; a changed address is used
      // only once that code is entered (until then the old, verified one stays).
      autoVerifiedAttributes: ['email'],
      userAttributeUpdateSettings: { attributesRequireVerificationBeforeUpdate: ['email'] },
      accountRecoverySetting: { recoveryMechanism: [{ name: 'verified_email', priority: 1 }] },
      // A public app: people sign themselves up (and must verify their email to sign in).
      adminCreateUserConfig: { allowAdminCreateUserOnly: false },
      passwordPolicy: { ...PASSWORD_POLICY, passwordHistorySize: p.passwordHistorySize ?? (plan === 'LITE' ? 0 : DEFAULT_PASSWORD_HISTORY) },
      mfaConfiguration: mfa,
      // The provider sends this with SetUserPoolMfaConfig when MFA is not OFF;
      // to turn TOTP off the block must be removed with MFA OFF (provider docs).
      softwareTokenMfaConfiguration: mfa === 'OFF' ? undefined : { enabled: true },
      emailConfiguration: p.email
        ? { emailSendingAccount: 'DEVELOPER', sourceArn: p.email.sourceArn, fromEmailAddress: p.email.from }
        : { emailSendingAccount: 'COGNITO_DEFAULT' },
      userPoolTier: plan,
      // Written out even when OFF: the mode is a reviewed value in every plan (and SPS-COGNITO-6 reads it).
      userPoolAddOns: { advancedSecurityMode: p.threatProtection ?? 'OFF' },
      deletionProtection: p.deletionProtection ? 'ACTIVE' : 'INACTIVE',
    });
  }

  /**
   * A public client (a browser cannot keep a secret): SRP and refresh tokens
   * only, no OAuth or hosted UI, the same answer for unknown users as for a
   * wrong password, revocable refresh tokens, lifetimes with explicit units
   * (without `token_validity_units` the provider reads access and ID token
   * validity as hours: user_pool_client.go).
   */
  private createBrowserClient(): CognitoUserPoolClient {
    const p = this.props;
    return new CognitoUserPoolClient(this, 'web-client', {
      name: `${p.name}-web`,
      userPoolId: this.pool.id,
      generateSecret: false, // RequiresReplace in the provider: turning it on later replaces the client (new id)
      explicitAuthFlows: [...CLIENT_AUTH_FLOWS],
      preventUserExistenceErrors: 'ENABLED',
      enableTokenRevocation: true,
      allowedOauthFlowsUserPoolClient: false,
      accessTokenValidity: p.accessTokenMinutes ?? 60,
      idTokenValidity: p.idTokenMinutes ?? 60,
      refreshTokenValidity: p.refreshTokenDays ?? 30,
      tokenValidityUnits: [{ accessToken: 'minutes', idToken: 'minutes', refreshToken: 'days' }],
      readAttributes: [...CLIENT_READ_ATTRIBUTES],
      writeAttributes: [...CLIENT_WRITE_ATTRIBUTES],
    });
  }

  /**
   * One group per name, its construct id made of the name (so adding or
   * removing another group never moves it). A renamed group is a new group
   * (`name` is ForceNew) and starts without members.
   */
  private createGroups(): Record<string, CognitoUserGroup> {
    const ids = new Set<string>();
    return Object.fromEntries(
      (this.props.groups ?? []).map((group) => {
        let id = `group-${group.replace(/[^A-Za-z0-9_-]/g, '_')}`;
        if (ids.has(id)) id = `${id}-${createHash('sha256').update(group).digest('hex').slice(0, 8)}`;
        ids.add(id);
        const resource = new CognitoUserGroup(this, id, {
          name: group,
          userPoolId: this.pool.id,
          description: `Members may call the routes whose auth.groups lists "${group}"`.slice(0, 2048),
        });
        return [group, resource];
      }),
    );
  }
}

/** Refuses props Cognito or the provider would refuse at apply, with the fix. */
function checkProps(p: UserPoolProps): void {
  const problems: string[] = [];
  const range = (field: keyof UserPoolProps, value: number | undefined, min: number, max: number, unit: string) => {
    if (value !== undefined && !(Number.isInteger(value) && value >= min && value <= max)) {
      problems.push(`${field}: use a whole number of ${unit} from ${min} to ${max} (received ${value})`);
    }
  };
  range('accessTokenMinutes', p.accessTokenMinutes, 5, 1440, 'minutes');
  range('idTokenMinutes', p.idTokenMinutes, 5, 1440, 'minutes');
  range('refreshTokenDays', p.refreshTokenDays, 1, 3650, 'days');
  range('passwordHistorySize', p.passwordHistorySize, 0, 24, 'passwords');
  const plan = p.featurePlan ?? 'ESSENTIALS';
  if ((p.threatProtection ?? 'OFF') !== 'OFF' && plan !== 'PLUS') {
    problems.push(`threatProtection: "${p.threatProtection}" needs featurePlan "PLUS" (received featurePlan "${plan}"); set featurePlan to "PLUS" or threatProtection to "OFF"`);
  }
  if (plan === 'LITE' && (p.passwordHistorySize ?? 0) > 0) {
    problems.push(`passwordHistorySize: the LITE plan has no password history (received ${p.passwordHistorySize}); set it to 0 or use featurePlan "ESSENTIALS"`);
  }
  if (problems.length > 0) throw new Error(`UserPool "${p.name}":\n${problems.map((x) => `  - ${x}`).join('\n')}`);
}
