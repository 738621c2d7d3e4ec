/**
 * The typed, validated configuration of one environment (one cdktf stack).
 *
 * Every field is documented with its default. `parseEnvironmentConfig` validates
 * a raw object once, at the edge, and fails with a message that names the field,
 * the value received and the fix (see `ConfigError`).
 */
import { z } from 'zod';
import { ORIGIN_FIX, ORIGIN_PATTERN } from '../../functions/lib/http/origin';
import { GROUP_NAME } from '../../functions/registry-schema';
import { isAwsRegion, regionProblem } from './regions';

const AURORA_PG_VERSION = /^(1[3-9]|2\d)\.\d+$/;
const AZ = /^[a-z]{2,4}(-[a-z]+)+-\d+[a-z]$/;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

function validCidr(value: string): boolean {
  const m = CIDR.exec(value);
  if (!m) return false;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  return octets.every((o) => o >= 0 && o <= 255) && prefix >= 16 && prefix <= 24;
}

/** A host name CloudFront accepts as an alternate domain name (no wildcard: the API allows exact origins only). */
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
/** CloudFront takes ACM certificates from us-east-1 only (CloudFront Developer Guide, "Requirements for using SSL/TLS certificates with CloudFront"). */
const CLOUDFRONT_CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]{36}$/;

/** CloudWatch Logs retention, one of CloudWatch's periods. */
const logRetention = z
  .number()
  .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), `use one of CloudWatch's retention periods: ${LOG_RETENTION_DAYS.join(', ')}`);

/**
 * The web front end: a private S3 bucket behind a CloudFront distribution
 * (infra/constructs/web-site.ts). docs/infrastructure.md ("Web front end:
 * S3 + CloudFront") says why each default is the secure, cheap one.
 */
const webSchema = z
  .object({
    /**
     * Publish the front end (web/) on a CloudFront distribution; its origin
     * is then allowed by CORS automatically. The app (infra/main.ts) builds
     * web/ on every synth.
     * @default false
     */
    enabled: z.boolean().default(false),
    /**
     * CloudFront price class: `PriceClass_100` serves from North America,
     * Europe and Israel (the cheapest), `PriceClass_200` adds most of Asia,
     * Africa and the Middle East, `PriceClass_All` every edge location.
     * @default "PriceClass_100"
     */
    priceClass: z
      .enum(['PriceClass_100', 'PriceClass_200', 'PriceClass_All'], { error: 'use "PriceClass_100" (cheapest), "PriceClass_200" or "PriceClass_All"' })
      .default('PriceClass_100'),
    /**
     * A domain of your own instead of `<id>.cloudfront.net`, with its ACM
     * certificate (in us-east-1). Only then can CloudFront require TLS 1.2
     * (TLSv1.2_2021); create the DNS record (CNAME or Route 53 alias to the
     * `web_distribution_domain` output) yourself.
     * @default - the distribution's own domain and certificate
     */
    customDomain: z
      .object({
        /** e.g. `app.example.com` (lower case, no wildcard). */
        name: z.string().regex(HOST_NAME, 'use a lower-case host name such as "app.example.com" (no wildcard, no scheme, no path)'),
        /** ACM certificate covering `name`, issued or imported in us-east-1. */
        certificateArn: z
          .string()
          .regex(
            CLOUDFRONT_CERTIFICATE_ARN,
            'use the ARN of an ACM certificate in us-east-1, e.g. "arn:aws:acm:us-east-1:123456789012:certificate/…": CloudFront only takes certificates from us-east-1',
          ),
      })
      .strict()
      .optional(),
    /** Retention of the CloudFront access logs (a log group in us-east-1). @default - logRetentionDays */
    logRetentionDays: logRetention.optional(),
  })
  .strict()
  .prefault({});

/** An SES identity ARN (a verified address or domain), for `auth.email.sourceArn`. */
const SES_IDENTITY_ARN = /^arn:aws[a-z-]*:ses:[a-z0-9-]+:\d{12}:identity\/.+$/;

/**
 * Sign-in: the environment's Cognito user pool, its browser app client and
 * its groups (infra/constructs/user-pool.ts). Every default is the secure,
 * cheap choice; docs/infrastructure.md ("Sign-in (Cognito)") says why and
 * what prod should consider. Limits are Cognito's (API reference:
 * CreateUserPoolClient, TokenValidityUnitsType).
 */
const authSchema = z
  .object({
    /**
     * Groups of the user pool. A route's `auth.groups` may only name these
     * (checked at synth); the example app declares `organizers`.
     * @default []
     */
    groups: z
      .array(z.string().regex(GROUP_NAME, 'use 1-128 letters, digits or punctuation, no spaces, e.g. "organizers"'))
      .max(10_000, "use at most Cognito's 10,000 groups per user pool")
      .default([]),
    /**
     * Multi-factor authentication with an authenticator app (TOTP): `OPTIONAL`
     * lets each user turn it on, `ON` requires it of everyone. SMS is never
     * configured (it costs per message and needs an SNS role).
     * @default "OPTIONAL"
     */
    mfa: z.enum(['OFF', 'OPTIONAL', 'ON'], { error: 'use "OPTIONAL" (each user may turn on an authenticator app), "ON" (everyone must) or "OFF"' }).default('OPTIONAL'),
    /** Access token lifetime, 5 minutes to 1 day (Cognito's limits). @default 60 */
    accessTokenMinutes: z.number().int('use whole minutes').min(5, "use 5 to 1440 minutes (Cognito's limits: 5 minutes to 1 day)").max(1440, "use 5 to 1440 minutes (Cognito's limits: 5 minutes to 1 day)").default(60),
    /** ID token lifetime, 5 minutes to 1 day (Cognito's limits). @default 60 */
    idTokenMinutes: z.number().int('use whole minutes').min(5, "use 5 to 1440 minutes (Cognito's limits: 5 minutes to 1 day)").max(1440, "use 5 to 1440 minutes (Cognito's limits: 5 minutes to 1 day)").default(60),
    /**
     * Refresh token lifetime in whole days, 1 to 3650 (Cognito allows 1 hour
     * to 10 years; whole days keep it at least as long as the access and ID
     * tokens). @default 30
     */
    refreshTokenDays: z.number().int('use whole days').min(1, "use 1 to 3650 days (Cognito's limit is 10 years)").max(3650, "use 1 to 3650 days (Cognito's limit is 10 years)").default(30),
    /**
     * The user pool's feature plan (tier): `LITE`, `ESSENTIALS` or `PLUS`. Lite
     * and Essentials include Cognito's free tier of monthly active users;
     * Essentials adds password-reuse prevention (used here); Plus adds threat
     * protection and has no free tier.
     * @default "ESSENTIALS" (AWS's default for new pools)
     */
    featurePlan: z.enum(['LITE', 'ESSENTIALS', 'PLUS'], { error: 'use "LITE", "ESSENTIALS" or "PLUS" (Cognito\'s feature plans)' }).default('ESSENTIALS'),
    /**
     * Threat protection (formerly advanced security: compromised-credential
     * detection, adaptive authentication) for username-password and SRP
     * sign-in: `AUDIT` only logs risks, `ENFORCED` acts on them. Needs
     * `featurePlan: "PLUS"`.
     * @default "OFF"
     */
    threatProtection: z.enum(['OFF', 'AUDIT', 'ENFORCED'], { error: 'use "OFF", "AUDIT" (log risks) or "ENFORCED" (act on them; both need featurePlan "PLUS")' }).default('OFF'),
    /**
     * Send Cognito's emails (verification codes, password resets) through
     * Amazon SES instead of Cognito's built-in sender, which is limited to 50
     * emails a day per account.
     * @default - Cognito's built-in sender (COGNITO_DEFAULT)
     */
    email: z
      .object({
        /** ARN of a verified SES identity, e.g. `arn:aws:ses:eu-west-1:123456789012:identity/example.com`. */
        sourceArn: z.string().regex(SES_IDENTITY_ARN, 'use the ARN of a verified SES identity, e.g. "arn:aws:ses:eu-west-1:123456789012:identity/example.com"'),
        /** Sender, e.g. `"Example <no-reply@example.com>"`. @default - the identity's address */
        from: z.string().min(3).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.threatProtection !== 'OFF' && a.featurePlan !== 'PLUS') {
      ctx.addIssue({
        code: 'custom',
        path: ['threatProtection'],
        message: `"${a.threatProtection}" needs the Plus feature plan (threat protection is a Plus feature since Cognito's November 2024 feature plans; featurePlan is "${a.featurePlan}"); set auth.featurePlan to "PLUS" or auth.threatProtection to "OFF"`,
      });
    }
    const seen = new Set<string>();
    for (const [i, group] of a.groups.entries()) {
      if (seen.has(group)) ctx.addIssue({ code: 'custom', path: ['groups', i], message: `"${group}" is listed twice; list each group once` });
      seen.add(group);
    }
  })
  .prefault({});

export const environmentConfigSchema = z
  .object({
    /** Environment name; also the stack name and the `environment` tag. */
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,15}$/, 'use 2-16 lower-case letters, digits or dashes, starting with a letter'),
    /** Project name: prefix of every resource name and the `project` tag. */
    project: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,20}$/, 'use 2-21 lower-case letters, digits or dashes, starting with a letter'),
    /** AWS region, e.g. `eu-west-1`: one the pinned AWS provider accepts (./regions.ts). */
    region: z.string().superRefine((region, ctx) => {
      const problem = regionProblem(region);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    /**
     * Availability zones, given explicitly so synth never calls AWS.
     * At least two, all in `region`.
     */
    availabilityZones: z
      .array(z.string().regex(AZ, 'use an availability zone name such as "eu-west-1a"'))
      .min(2, 'list at least two availability zones, e.g. ["eu-west-1a", "eu-west-1b"]')
      .max(6, 'list at most six availability zones'),
    /** VPC CIDR block, /16 to /24. */
    vpcCidr: z.string().refine(validCidr, 'use an IPv4 CIDR block from /16 to /24, e.g. "10.20.0.0/16"'),
    /**
     * Public subnets and one NAT gateway per AZ. Functions reach AWS through VPC
     * endpoints, so NAT is only needed for calls to the internet.
     * @default false
     */
    natGateways: z.boolean().default(false),
    aurora: z
      .object({
        /** Aurora PostgreSQL engine version (Serverless v2 capable), e.g. "16.6". */
        engineVersion: z.string().regex(AURORA_PG_VERSION, 'use an Aurora PostgreSQL version such as "16.6"'),
        /**
         * Minimum ACUs. 0 enables auto-pause (needs a recent engine and no RDS Proxy).
         * @default 0.5
         */
        minCapacity: z
          .number()
          .min(0, 'use a value from 0 to 256 ACUs')
          .max(256, 'use a value from 0 to 256 ACUs')
          .multipleOf(0.5, 'use a multiple of 0.5 ACU')
          .default(0.5),
        /** Maximum ACUs, 1 to 256 and at least `minCapacity`. @default 4 */
        maxCapacity: z
          .number()
          .min(1, 'use a value from 1 to 256 ACUs')
          .max(256, 'use a value from 1 to 256 ACUs')
          .multipleOf(0.5, 'use a multiple of 0.5 ACU')
          .default(4),
        /** Number of `db.serverless` instances, spread over the AZs. @default 1 */
        instances: z.number().int().min(1, 'use at least one instance').max(15, 'use at most 15 instances').default(1),
        /** Days of automated backups, 1 to 35. @default 7 */
        backupRetentionDays: z.number().int().min(1, 'use 1 to 35 days').max(35, 'use 1 to 35 days').default(7),
        /** Database created in the cluster. @default "app" */
        databaseName: z
          .string()
          .regex(/^[a-z][a-z0-9_]{0,62}$/, 'use a lower-case identifier such as "app"')
          .default('app'),
        /** Master user (its password is generated and kept by RDS in Secrets Manager). @default "app_admin" */
        masterUsername: z
          .string()
          .regex(/^[a-z][a-z0-9_]{0,15}$/, 'use a lower-case identifier of at most 16 characters')
          .refine((u) => !['admin', 'postgres', 'rdsadmin'].includes(u), 'this name is reserved; use e.g. "app_admin"')
          .default('app_admin'),
        /**
         * Application role every route logs in as: created by the migration
         * task, rights on the app's tables only, its generated password kept in
         * a Secrets Manager secret (never in Terraform). @default "app_user"
         */
        appUsername: z
          .string()
          .regex(/^[a-z][a-z0-9_]{0,62}$/, 'use a lower-case identifier such as "app_user"')
          .refine((u) => !['admin', 'postgres', 'rdsadmin', 'public'].includes(u) && !u.startsWith('pg_') && !u.startsWith('rds'), 'this name is reserved; use e.g. "app_user"')
          .default('app_user'),
      })
      .strict(),
    proxy: z
      .object({
        /** RDS Proxy in front of Aurora (TLS and IAM auth required). @default true */
        enabled: z.boolean().default(true),
        /** Seconds a client connection may idle before the proxy closes it. @default 1800 */
        idleClientTimeoutSeconds: z.number().int().min(1).max(28800).default(1800),
      })
      .strict()
      .default({ enabled: true, idleClientTimeoutSeconds: 1800 }),
    dataApi: z
      .object({
        /** Aurora Data API (`enable_http_endpoint`). @default false */
        enabled: z.boolean().default(false),
      })
      .strict()
      .default({ enabled: false }),
    /** Retention of every log group we create, in days. @default 30 */
    logRetentionDays: logRetention.default(30),
    /**
     * Origins allowed by CORS (checked by the middy chain, not API Gateway),
     * besides the web front end's, which the stack adds itself (`web`).
     * Exact origins only: "*" is refused. At least one is needed when
     * `web.enabled` is false.
     * @default []
     */
    corsOrigins: z
      .array(
        z
          .string()
          .refine((o) => o !== '*', 'list exact origins such as "https://app.example.com"; "*" is not allowed')
          .refine((o) => o === '*' || ORIGIN_PATTERN.test(o), ORIGIN_FIX),
      )
      .default([]),
    web: webSchema,
    /**
     * Reserved concurrency applied to every function that does not set its own
     * in the route registry. `undefined` leaves functions unreserved.
     * @default - unreserved
     */
    reservedConcurrency: z.number().int().min(1, 'use a positive number or leave it unset').max(1000).optional(),
    /**
     * The account's Lambda "Concurrent executions" quota in this region (AWS's
     * default is 1000; new accounts start lower). Reserved concurrency is
     * checked against it at synth, keeping the 100 AWS leaves unreserved.
     * @default 1000
     */
    accountConcurrencyLimit: z.number().int().min(1, 'use the account quota, e.g. 1000').max(1_000_000).default(1000),
    /**
     * Every IAM role the stack creates carries the permissions boundary
     * `<project>-<env>-boundary` that the CI bootstrap creates (infra/bootstrap),
     * and the CI apply role may create roles only with it. Turn it off only for
     * a stack applied without the bootstrap: CI then cannot apply it.
     * @default true
     */
    permissionsBoundary: z.boolean().default(true),
    /** Deletion protection on Aurora and DynamoDB, and a final snapshot. @default false */
    deletionProtection: z.boolean().default(false),
    /** Lambda architecture. @default "arm64" (cheaper per GB-second) */
    lambdaArchitecture: z.enum(['arm64', 'x86_64']).default('arm64'),
    api: z
      .object({
        /** Default route throttling: steady requests per second. @default 100 */
        throttlingRateLimit: z.number().min(1).max(10000).default(100),
        /** Default route throttling: burst. @default 200 */
        throttlingBurstLimit: z.number().int().min(1).max(5000).default(200),
      })
      .strict()
      .default({ throttlingRateLimit: 100, throttlingBurstLimit: 200 }),
    auth: authSchema,
    dynamodb: z
      .object({
        /** DynamoDB streams view type, or false for no stream. @default false */
        stream: z.union([z.literal(false), z.enum(['NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES', 'KEYS_ONLY'])]).default(false),
      })
      .strict()
      .default({ stream: false }),
    /** Extra tags on every resource (besides `project` and `environment`). @default {} */
    tags: z.record(z.string(), z.string()).default({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    // Zones are checked against a real region only: a mistyped region is reported once, as itself.
    for (const [i, az] of isAwsRegion(c.region) ? c.availabilityZones.entries() : []) {
      if (!az.startsWith(c.region)) {
        ctx.addIssue({
          code: 'custom',
          path: ['availabilityZones', i],
          message: `"${az}" is not in region "${c.region}"; use zones such as "${c.region}a"`,
        });
      }
    }
    if (new Set(c.availabilityZones).size !== c.availabilityZones.length) {
      ctx.addIssue({ code: 'custom', path: ['availabilityZones'], message: 'remove the duplicate zones' });
    }
    if (c.aurora.maxCapacity < c.aurora.minCapacity) {
      ctx.addIssue({
        code: 'custom',
        path: ['aurora', 'maxCapacity'],
        message: `must be at least aurora.minCapacity (${c.aurora.minCapacity}); raise maxCapacity or lower minCapacity`,
      });
    }
    if (c.aurora.minCapacity === 0 && c.proxy.enabled) {
      ctx.addIssue({
        code: 'custom',
        path: ['aurora', 'minCapacity'],
        message:
          '0 ACU (auto-pause) cannot be combined with the RDS Proxy: the proxy keeps connections open, so the cluster never pauses; set aurora.minCapacity to 0.5 or set proxy.enabled to false',
      });
    }
    if (c.aurora.appUsername === c.aurora.masterUsername) {
      ctx.addIssue({
        code: 'custom',
        path: ['aurora', 'appUsername'],
        message: `must differ from aurora.masterUsername ("${c.aurora.masterUsername}"): functions log in as the application role, never as the master user; use e.g. "app_user"`,
      });
    }
    if (c.corsOrigins.length === 0 && !c.web.enabled) {
      ctx.addIssue({
        code: 'custom',
        path: ['corsOrigins'],
        message: 'list at least one origin, e.g. ["https://app.example.com"], or set web.enabled to true (the front end\'s origin is then allowed automatically)',
      });
    }
    if (c.web.enabled && c.deletionProtection && !c.web.customDomain) {
      ctx.addIssue({
        code: 'custom',
        path: ['web', 'customDomain'],
        message:
          'a protected environment (deletionProtection: true) serves its front end on a domain of its own: on *.cloudfront.net CloudFront accepts TLS 1.0 whatever is set (SPS-CF-2); set { name: "app.example.com", certificateArn: "arn:aws:acm:us-east-1:…" } or set web.enabled to false',
      });
    }
    if (c.aurora.instances > 1 && c.availabilityZones.length < 2) {
      ctx.addIssue({ code: 'custom', path: ['aurora', 'instances'], message: 'several instances need at least two zones' });
    }
  });

/** What users write (defaults optional). */
export type EnvironmentConfigInput = z.input<typeof environmentConfigSchema>;
/** What the stack receives (defaults applied, validated). */
export type EnvironmentConfig = z.output<typeof environmentConfigSchema>;

/** A configuration error: names the field, the value received and the fix. */
export class ConfigError extends Error {
  constructor(
    readonly environment: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid configuration for environment "${environment}":\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function getAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = value;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('') || '(root)';
}

/** Validates a raw environment config; throws `ConfigError` listing every problem. */
export function parseEnvironmentConfig(raw: unknown, label?: string): EnvironmentConfig {
  const result = environmentConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const env = label ?? String(getAt(raw, ['name']) ?? 'unknown');
  const problems = result.error.issues.map((issue) => {
    const received = getAt(raw, issue.path);
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      message = `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; remove them or check the spelling`;
    } else if (issue.code === 'invalid_type' && received === undefined) {
      message = `is required (${issue.message})`;
    }
    return `${formatPath(issue.path)}: ${message} (received ${JSON.stringify(received) ?? 'undefined'})`;
  });
  throw new ConfigError(env, problems);
}
