/**
 * Cognito user pool and app client rules (sign-in). Sources: cdk-nag's
 * AwsSolutions COG rules, AWS Config / Security Hub Cognito controls, the
 * provider's cognitoidp resources and Cognito's API reference; the
 * construct they guard is infra/constructs/user-pool.ts.
 */
import { blocks, bool, list, num, type TfResource } from '../model';
import type { CheckResult, Rule, RuleContext } from '../types';
import { fail, pass, protectionRequired, show } from './util';

const POOL = ['aws_cognito_user_pool'];
const CLIENT = ['aws_cognito_user_pool_client'];

/** The least the password policy asks (infra/constructs/user-pool.ts PASSWORD_POLICY meets it). */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_TEMPORARY_PASSWORD_DAYS = 7;

/** Flows that send the password itself (USER_PASSWORD), need AWS credentials (ADMIN_*), or are the legacy names of those. */
export const FORBIDDEN_AUTH_FLOWS = ['ALLOW_USER_PASSWORD_AUTH', 'USER_PASSWORD_AUTH', 'ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ADMIN_NO_SRP_AUTH'];

function pools(ctx: RuleContext, judge: (p: TfResource) => CheckResult): CheckResult[] {
  return ctx.model.ofType('aws_cognito_user_pool').map(judge);
}

const strings = (value: unknown): string[] => list(value).map(String);

export const cognitoRules: Rule[] = [
  {
    id: 'SPS-COGNITO-1',
    title: `User pool passwords: at least ${MIN_PASSWORD_LENGTH} characters of all four classes; temporary passwords expire within ${MAX_TEMPORARY_PASSWORD_DAYS} days`,
    mapsTo: ['AwsSolutions-COG1'],
    rationale: 'Short or single-class passwords fall to guessing and credential stuffing; an unused temporary password is a standing way in.',
    fix: `Set password_policy { minimum_length >= ${MIN_PASSWORD_LENGTH}, require_lowercase, require_uppercase, require_numbers, require_symbols = true, temporary_password_validity_days <= ${MAX_TEMPORARY_PASSWORD_DAYS} } (infra/constructs/user-pool.ts PASSWORD_POLICY).`,
    resourceTypes: POOL,
    check: (ctx) =>
      pools(ctx, (p) => {
        const policy = blocks(p.values.password_policy)[0];
        if (!policy) return fail(p, 'no password_policy (Cognito would allow 8 characters)');
        const length = num(policy.minimum_length);
        if (length === undefined || length < MIN_PASSWORD_LENGTH) return fail(p, `minimum_length=${show(policy.minimum_length)}`);
        const missing = ['require_lowercase', 'require_uppercase', 'require_numbers', 'require_symbols'].filter((k) => bool(policy[k]) !== true);
        if (missing.length) return fail(p, `${missing.join(', ')} not true`);
        const days = num(policy.temporary_password_validity_days);
        if (days === undefined || days > MAX_TEMPORARY_PASSWORD_DAYS) return fail(p, `temporary_password_validity_days=${show(policy.temporary_password_validity_days)}`);
        return pass(p, `${length}+ characters, all four classes, temporary passwords ${days} days`);
      }),
  },
  {
    id: 'SPS-COGNITO-2',
    title: 'User pool MFA with an authenticator app (TOTP), never SMS; not OFF in prod; as the config says',
    mapsTo: ['AwsSolutions-COG2'],
    rationale: 'A second factor stops most account takeovers by stolen passwords; SMS codes cost money per message, need an SNS role and can be intercepted (SIM swap).',
    fix: 'Set mfa_configuration = "OPTIONAL" or "ON" (auth.mfa in the config) with software_token_mfa_configuration { enabled = true } and no sms_configuration; OFF only where deletionProtection is off.',
    resourceTypes: POOL,
    check: (ctx) =>
      pools(ctx, (p) => {
        const mode = String(p.values.mfa_configuration ?? 'OFF');
        if (blocks(p.values.sms_configuration).length > 0) return fail(p, `sms_configuration=${show(p.values.sms_configuration)} (SMS MFA)`);
        if (ctx.config && mode !== ctx.config.auth.mfa) return fail(p, `mfa_configuration=${mode}, config asks ${ctx.config.auth.mfa}`);
        if (mode === 'OFF') return protectionRequired(ctx) ? fail(p, 'mfa_configuration=OFF in a protected (prod) environment') : pass(p, 'MFA off (not a protected environment)');
        if (bool(blocks(p.values.software_token_mfa_configuration)[0]?.enabled) !== true) {
          return fail(p, `mfa_configuration=${mode} without software_token_mfa_configuration { enabled = true }`);
        }
        return pass(p, `MFA ${mode}, authenticator app (TOTP)`);
      }),
  },
  {
    id: 'SPS-COGNITO-3',
    title: 'App clients are public clients for SRP: no client secret, no password, admin or implicit flows',
    mapsTo: ['(no cdk-nag/checkov equivalent)', 'related: OAuth 2.0 Security BCP (RFC 9700) implicit grant'],
    rationale: 'A browser cannot keep a client secret; USER_PASSWORD_AUTH sends the password itself, ADMIN_* flows need AWS credentials in the caller, and the implicit grant puts tokens in URLs.',
    fix: 'Set generate_secret = false, explicit_auth_flows = ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"] and no "implicit" in allowed_oauth_flows; a server-side client is a separate, suppressed decision.',
    resourceTypes: CLIENT,
    check: ({ model }) =>
      model.ofType('aws_cognito_user_pool_client').map((c) => {
        if (bool(c.values.generate_secret) === true) return fail(c, 'generate_secret = true');
        const flows = strings(c.values.explicit_auth_flows);
        if (flows.length === 0) return fail(c, 'explicit_auth_flows unset: Cognito picks the flows, so they cannot be verified');
        const forbidden = flows.filter((f) => FORBIDDEN_AUTH_FLOWS.includes(f));
        if (forbidden.length) return fail(c, `explicit_auth_flows includes ${forbidden.join(', ')}`);
        if (strings(c.values.allowed_oauth_flows).includes('implicit')) return fail(c, 'allowed_oauth_flows includes implicit');
        return pass(c, `no secret; flows ${flows.join(', ')}`);
      }),
  },
  {
    id: 'SPS-COGNITO-4',
    title: 'App clients do not reveal whether a user exists (prevent_user_existence_errors = ENABLED)',
    mapsTo: ['(no cdk-nag/checkov equivalent)'],
    rationale: 'With LEGACY, sign-in, confirmation and password reset answer UserNotFoundException, so anyone can test which email addresses have accounts.',
    fix: 'Set prevent_user_existence_errors = "ENABLED" on the aws_cognito_user_pool_client.',
    resourceTypes: CLIENT,
    check: ({ model }) =>
      model.ofType('aws_cognito_user_pool_client').map((c) =>
        c.values.prevent_user_existence_errors === 'ENABLED' ? pass(c, 'user existence errors prevented') : fail(c, `prevent_user_existence_errors=${show(c.values.prevent_user_existence_errors)}`),
      ),
  },
  {
    id: 'SPS-COGNITO-5',
    title: 'User pools have deletion protection in prod',
    mapsTo: ['AWS Config cognito-user-pool-deletion-protection-enabled'],
    rationale: 'Deleting or replacing a user pool deletes every user and their passwords; nothing can restore them.',
    fix: 'Set deletion_protection = "ACTIVE" where the config sets deletionProtection (prod).',
    resourceTypes: POOL,
    check: (ctx) =>
      pools(ctx, (p) => {
        const active = p.values.deletion_protection === 'ACTIVE';
        if (active) return pass(p, 'deletion protection ACTIVE');
        return protectionRequired(ctx) ? fail(p, `deletion_protection=${show(p.values.deletion_protection)}`) : pass(p, 'not a protected environment');
      }),
  },
  {
    id: 'SPS-COGNITO-6',
    title: 'User pool threat protection and feature plan are as the config says; AUDIT or ENFORCED only on the Plus plan; on in protected environments',
    mapsTo: ['AwsSolutions-COG3', 'AwsSolutions-COG8', 'Security Hub Cognito.1'],
    rationale: 'Threat protection (compromised credentials, adaptive authentication) is a Plus feature priced per user; asking for it on another plan fails the apply, and the plan sets the bill, so dev may go without it; real users (prod) get it.',
    fix: 'Set user_pool_tier and user_pool_add_ons { advanced_security_mode } from auth.featurePlan and auth.threatProtection; AUDIT/ENFORCED need user_pool_tier = "PLUS"; in prod set auth.featurePlan "PLUS" and auth.threatProtection "ENFORCED" (or "AUDIT").',
    resourceTypes: POOL,
    check: (ctx) =>
      pools(ctx, (p) => {
        const tier = p.values.user_pool_tier === undefined ? undefined : String(p.values.user_pool_tier);
        const mode = String(blocks(p.values.user_pool_add_ons)[0]?.advanced_security_mode ?? 'OFF');
        if (mode !== 'OFF' && tier !== 'PLUS') return fail(p, `advanced_security_mode=${mode} on user_pool_tier=${show(tier)} (needs PLUS)`);
        if (ctx.config) {
          const want = ctx.config.auth;
          if (tier !== want.featurePlan) return fail(p, `user_pool_tier=${show(tier)}, config asks ${want.featurePlan}`);
          if (mode !== want.threatProtection) return fail(p, `advanced_security_mode=${mode}, config asks ${want.threatProtection}`);
        }
        if (mode === 'OFF' && protectionRequired(ctx)) return fail(p, 'advanced_security_mode=OFF in a protected (prod) environment');
        return pass(p, `plan ${tier ?? '(AWS default)'}, threat protection ${mode}`);
      }),
  },
  {
    id: 'SPS-COGNITO-7',
    title: 'Email addresses are verified before they are used (auto-verified, and a changed address only after verification)',
    mapsTo: ['(no cdk-nag/checkov equivalent)'],
    rationale: 'An unverified address used for sign-in and password reset lets someone claim or redirect an address they do not own (account takeover by attribute change).',
    fix: 'Set auto_verified_attributes = ["email"] and user_attribute_update_settings { attributes_require_verification_before_update = ["email"] }.',
    resourceTypes: POOL,
    check: (ctx) =>
      pools(ctx, (p) => {
        if (!strings(p.values.auto_verified_attributes).includes('email')) return fail(p, `auto_verified_attributes=${show(p.values.auto_verified_attributes)}`);
        const update = blocks(p.values.user_attribute_update_settings)[0];
        if (!strings(update?.attributes_require_verification_before_update).includes('email')) {
          return fail(p, `user_attribute_update_settings=${show(p.values.user_attribute_update_settings)}`);
        }
        return pass(p, 'email verified on sign-up and before a change takes effect');
      }),
  },
];
