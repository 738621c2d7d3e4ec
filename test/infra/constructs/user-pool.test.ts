/**
 * UserPool alone: the user pool's secure defaults (email sign-in, verified
 * email, password policy, TOTP MFA, recovery by email, self sign-up,
 * Cognito's email sender, Essentials plan, no threat protection, no
 * deletion protection unless asked), the browser client's (no secret, SRP and
 * refresh tokens, no user existence errors, revocation, lifetimes in explicit
 * units, minimal attributes), the groups, and every prop.
 */
import { TerraformOutput, Testing } from 'cdktf';
import { CognitoUserGroup } from '@cdktf/provider-aws/lib/cognito-user-group';
import { CognitoUserPool } from '@cdktf/provider-aws/lib/cognito-user-pool';
import { CognitoUserPoolClient } from '@cdktf/provider-aws/lib/cognito-user-pool-client';
import { CLIENT_AUTH_FLOWS, PASSWORD_POLICY, UserPool, cognitoIssuer, type UserPoolProps } from '../../../infra/constructs/user-pool';
import { onlyResource, refTo, resourcesOf, synthScope } from '../helpers';

Testing.setupJest();

/** The construct in a test stack, its issuer, pool id and client id as outputs (references resolve at synth). */
function synthPool(props: Partial<UserPoolProps> = {}) {
  return synthScope((scope) => {
    const pool = new UserPool(scope, 'users', { name: 'sps-test', region: 'eu-west-1', ...props });
    new TerraformOutput(scope, 'issuer', { value: pool.issuer });
    new TerraformOutput(scope, 'pool_id', { value: pool.userPoolId });
    new TerraformOutput(scope, 'client_id', { value: pool.clientId });
  });
}

const pool = (props: Partial<UserPoolProps> = {}) => onlyResource(synthPool(props).json, 'aws_cognito_user_pool');
const client = (props: Partial<UserPoolProps> = {}) => onlyResource(synthPool(props).json, 'aws_cognito_user_pool_client');

describe('UserPool: the pool', () => {
  test('is named <name>-users', () => {
    expect(synthPool().synth).toHaveResourceWithProperties(CognitoUserPool, { name: 'sps-test-users' });
  });

  test('signs users in with their email address, in any case', () => {
    expect(pool()).toMatchObject({ username_attributes: ['email'], username_configuration: { case_sensitive: false } });
    expect(pool().alias_attributes).toBeUndefined();
  });

  test('verifies every email address, and uses a changed one only once it is verified', () => {
    expect(pool()).toMatchObject({
      auto_verified_attributes: ['email'],
      user_attribute_update_settings: { attributes_require_verification_before_update: ['email'] },
    });
  });

  test('recovers accounts by verified email only (no SMS)', () => {
    expect(pool().account_recovery_setting).toEqual({ recovery_mechanism: [{ name: 'verified_email', priority: 1 }] });
    expect(pool().sms_configuration).toBeUndefined();
  });

  test('requires 12-character passwords of all four classes; temporary passwords expire after 3 days', () => {
    expect(pool().password_policy).toMatchObject({
      minimum_length: 12,
      require_lowercase: true,
      require_uppercase: true,
      require_numbers: true,
      require_symbols: true,
      temporary_password_validity_days: 3,
    });
    expect(PASSWORD_POLICY.minimumLength).toBe(12);
  });

  test('forbids reusing the last 5 passwords by default', () => {
    expect(pool().password_policy.password_history_size).toBe(5);
  });

  test('lets people sign themselves up (a public app)', () => {
    expect(pool().admin_create_user_config).toEqual({ allow_admin_create_user_only: false });
  });

  test('offers MFA with an authenticator app (TOTP) by default, never SMS', () => {
    expect(pool()).toMatchObject({ mfa_configuration: 'OPTIONAL', software_token_mfa_configuration: { enabled: true } });
    expect(pool().sms_authentication_message).toBeUndefined();
  });

  test("sends email with Cognito's own sender by default (free, 50 a day)", () => {
    expect(pool().email_configuration).toEqual({ email_sending_account: 'COGNITO_DEFAULT' });
  });

  test('is on the Essentials plan, threat protection off', () => {
    expect(pool()).toMatchObject({ user_pool_tier: 'ESSENTIALS', user_pool_add_ons: { advanced_security_mode: 'OFF' } });
  });

  test('has no deletion protection by default', () => {
    expect(pool().deletion_protection).toBe('INACTIVE');
  });

  test('declares no schema attributes (changing one would replace the pool)', () => {
    expect(pool().schema).toBeUndefined();
  });
});

describe('UserPool: the browser client', () => {
  test('is a public client of the pool named <name>-web, without a secret', () => {
    const { synth, json } = synthPool();
    expect(synth).toHaveResourceWithProperties(CognitoUserPoolClient, { name: 'sps-test-web', generate_secret: false });
    expect(onlyResource(json, 'aws_cognito_user_pool_client').user_pool_id).toBe(refTo(json, 'aws_cognito_user_pool', 'id'));
  });

  test('signs in with SRP and refresh tokens only', () => {
    expect(client().explicit_auth_flows).toEqual(['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
    expect(CLIENT_AUTH_FLOWS).toEqual(['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
  });

  test('has no OAuth flows or hosted UI', () => {
    expect(client()).toMatchObject({ allowed_oauth_flows_user_pool_client: false });
    expect(client().allowed_oauth_flows).toBeUndefined();
    expect(client().callback_urls).toBeUndefined();
  });

  test('answers an unknown user as a wrong password (prevent user existence errors)', () => {
    expect(client().prevent_user_existence_errors).toBe('ENABLED');
  });

  test('lets refresh tokens be revoked', () => {
    expect(client().enable_token_revocation).toBe(true);
  });

  test('issues 60-minute access and ID tokens and 30-day refresh tokens by default, in explicit units', () => {
    expect(client()).toMatchObject({
      access_token_validity: 60,
      id_token_validity: 60,
      refresh_token_validity: 30,
      token_validity_units: [{ access_token: 'minutes', id_token: 'minutes', refresh_token: 'days' }],
    });
  });

  test('reads the email address and whether it is verified, and writes only the email address', () => {
    expect(client()).toMatchObject({ read_attributes: ['email', 'email_verified'], write_attributes: ['email'] });
  });
});

describe('UserPool: groups and references', () => {
  test('has no groups by default', () => {
    expect(resourcesOf(synthPool().json, 'aws_cognito_user_group')).toEqual([]);
  });

  test('GIVEN groups WHEN synthesized THEN each is a group of the pool', () => {
    const { synth, json } = synthPool({ groups: ['organizers', 'admins'] });
    for (const name of ['organizers', 'admins']) {
      expect(synth).toHaveResourceWithProperties(CognitoUserGroup, { name, user_pool_id: refTo(json, 'aws_cognito_user_pool', 'id') });
    }
  });

  test('group construct ids come from the names, so adding a group never moves another', () => {
    const ids = (groups: string[]) => resourcesOf(synthPool({ groups }).json, 'aws_cognito_user_group').map(([id]) => id.replace(/_[0-9A-F]{8}$/, ''));
    expect(ids(['organizers'])).toEqual(['users_group-organizers']);
    expect(ids(['admins', 'organizers'])).toEqual(expect.arrayContaining(['users_group-organizers', 'users_group-admins']));
    expect(ids(['a.b', 'a_b'])).toHaveLength(2);
  });

  test('the issuer is https://cognito-idp.<region>.amazonaws.com/<pool id>, the audience the client id', () => {
    const { json } = synthPool({ region: 'eu-central-1' });
    const output = (name: string) => json.output![name]!.value;
    expect(output('issuer')).toBe(`https://cognito-idp.eu-central-1.amazonaws.com/${refTo(json, 'aws_cognito_user_pool', 'id')}`);
    expect(output('pool_id')).toBe(refTo(json, 'aws_cognito_user_pool', 'id'));
    expect(output('client_id')).toBe(refTo(json, 'aws_cognito_user_pool_client', 'id'));
    expect(cognitoIssuer('eu-west-1', 'eu-west-1_abc')).toBe('https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc');
  });
});

describe('UserPool: props', () => {
  test('GIVEN mfa ON WHEN synthesized THEN every user needs the authenticator app', () => {
    expect(pool({ mfa: 'ON' })).toMatchObject({ mfa_configuration: 'ON', software_token_mfa_configuration: { enabled: true } });
  });

  test('GIVEN mfa OFF WHEN synthesized THEN the software token block is removed too (as the provider requires)', () => {
    const p = pool({ mfa: 'OFF' });
    expect(p.mfa_configuration).toBe('OFF');
    expect(p.software_token_mfa_configuration).toBeUndefined();
  });

  test('GIVEN token lifetimes WHEN synthesized THEN the client uses them', () => {
    expect(client({ accessTokenMinutes: 5, idTokenMinutes: 1440, refreshTokenDays: 3650 })).toMatchObject({
      access_token_validity: 5,
      id_token_validity: 1440,
      refresh_token_validity: 3650,
    });
  });

  test('GIVEN featurePlan PLUS and threatProtection ENFORCED WHEN synthesized THEN threat protection is on', () => {
    expect(pool({ featurePlan: 'PLUS', threatProtection: 'ENFORCED' })).toMatchObject({ user_pool_tier: 'PLUS', user_pool_add_ons: { advanced_security_mode: 'ENFORCED' } });
    expect(pool({ featurePlan: 'PLUS', threatProtection: 'AUDIT' }).user_pool_add_ons).toEqual({ advanced_security_mode: 'AUDIT' });
  });

  test('GIVEN featurePlan LITE WHEN synthesized THEN there is no password history (the plan has none)', () => {
    expect(pool({ featurePlan: 'LITE' })).toMatchObject({ user_pool_tier: 'LITE', password_policy: expect.objectContaining({ password_history_size: 0 }) });
  });

  test('GIVEN passwordHistorySize WHEN synthesized THEN the policy uses it', () => {
    expect(pool({ passwordHistorySize: 24 }).password_policy.password_history_size).toBe(24);
  });

  test('GIVEN deletionProtection WHEN synthesized THEN the pool cannot be deleted (ACTIVE)', () => {
    expect(pool({ deletionProtection: true }).deletion_protection).toBe('ACTIVE');
  });

  test('GIVEN an SES identity WHEN synthesized THEN email goes through SES (DEVELOPER) from it', () => {
    const arn = 'arn:aws:ses:eu-west-1:123456789012:identity/example.com';
    expect(pool({ email: { sourceArn: arn, from: 'Example <no-reply@example.com>' } }).email_configuration).toEqual({
      email_sending_account: 'DEVELOPER',
      source_arn: arn,
      from_email_address: 'Example <no-reply@example.com>',
    });
  });

  test('fails when threat protection is asked for without the Plus plan', () => {
    expect(() => synthPool({ threatProtection: 'ENFORCED' })).toThrow(
      'UserPool "sps-test":\n  - threatProtection: "ENFORCED" needs featurePlan "PLUS" (received featurePlan "ESSENTIALS"); set featurePlan to "PLUS" or threatProtection to "OFF"',
    );
  });

  test('fails when password history is asked for on the Lite plan', () => {
    expect(() => synthPool({ featurePlan: 'LITE', passwordHistorySize: 5 })).toThrow(
      /passwordHistorySize: the LITE plan has no password history \(received 5\); set it to 0 or use featurePlan "ESSENTIALS"/,
    );
  });

  test("fails when a token lifetime is outside Cognito's limits", () => {
    expect(() => synthPool({ accessTokenMinutes: 4 })).toThrow(/accessTokenMinutes: use a whole number of minutes from 5 to 1440 \(received 4\)/);
    expect(() => synthPool({ idTokenMinutes: 1441 })).toThrow(/idTokenMinutes: use a whole number of minutes from 5 to 1440 \(received 1441\)/);
    expect(() => synthPool({ refreshTokenDays: 3651 })).toThrow(/refreshTokenDays: use a whole number of days from 1 to 3650 \(received 3651\)/);
  });
});
