/**
 * "fails when …": every invalid registry entry or config combination is
 * refused at synth time with a message naming the field, the value and the fix.
 */
import { App, type TerraformResource } from 'cdktf';
import { ConfigError, parseEnvironmentConfig, validateAgainstRegistry } from '../../infra/config';
import { PlatformStack, type PlatformStackProps } from '../../infra/stack';
import type { RouteDefinition, TaskDefinition } from '../../functions/registry-types';
import { fixtureEnvironments } from '../fixtures/environments';
import { fixtureFunctionsDir, fixtureRoutes, fixtureTables, fixtureTasks } from '../fixtures/registry';
import { fixtureWebDir } from '../fixtures/web';
import { tempDir } from '../support/temp';
import { configFor, FixtureBundles, fixtureStack } from './helpers';

const environments = fixtureEnvironments;

/** Builds a stack without bundles: validation runs first, so only a valid set gets as far as asking for them. */
function synthWith(
  routes: readonly RouteDefinition[],
  options: { tasks?: readonly TaskDefinition[]; config?: ReturnType<typeof configFor> } = {},
): () => void {
  return () =>
    new PlatformStack(new App({ outdir: tempDir('unused') }), 'dev', {
      config: options.config ?? configFor('dev'),
      routes,
      tasks: options.tasks ?? fixtureTasks,
      tables: fixtureTables,
      functionsDir: fixtureFunctionsDir,
      archives: new Map(),
      stateBackend: {},
    });
}

const base = fixtureRoutes[0]!;

function expectConfigError(fn: () => void, message: RegExp): void {
  expect(fn).toThrow(ConfigError);
  expect(fn).toThrow(message);
}

describe('registry validation at synth time', () => {
  test('fails when a function uses an unknown table', () => {
    expectConfigError(
      synthWith([{ ...base, data: { tables: { comments: 'read' } as never } }]),
      /routes\["posts-list"\]\.data\.tables: unknown table "comments"; use one of "posts" or define it in functions\/tables\.ts/,
    );
  });

  test('fails when a table access is neither read nor read-write', () => {
    expectConfigError(
      synthWith([{ ...base, data: { tables: { posts: 'write' as never } } }]),
      /data\.tables\.posts: use "read" or "read-write" \(received "write"\)/,
    );
  });

  test('fails when a route\'s public reason is shorter than 10 characters', () => {
    expectConfigError(
      synthWith([{ ...base, public: 'open' }]),
      /routes\["posts-list"\]\.public: give the reason the route needs no sign-in in at least 10 characters, or use auth instead \(received "open"\)/,
    );
  });

  test('fails when a route timeout exceeds API Gateway\'s limit', () => {
    expectConfigError(
      synthWith([{ ...base, timeoutSeconds: 60 }]),
      /routes\["posts-list"\]\.timeoutSeconds: use a whole number from 1 to 29 \(API Gateway's 30 s integration limit\) \(received 60\)/,
    );
  });

  test('fails when a task timeout exceeds Lambda\'s 15 minutes', () => {
    expectConfigError(
      synthWith(fixtureRoutes, { tasks: [{ name: 'migrate', handler: 'plain.ts', timeoutSeconds: 901 }] }),
      /tasks\["migrate"\]\.timeoutSeconds: use a whole number from 1 to 900 .*\(received 901\)/,
    );
  });

  test('fails when memory is out of Lambda\'s range', () => {
    expectConfigError(synthWith([{ ...base, memoryMb: 64 }]), /routes\["posts-list"\]\.memoryMb: use a whole number of MB from 128 to 10240 \(received 64\)/);
  });

  test('fails when two functions share a name', () => {
    expectConfigError(
      synthWith([base, { ...base, method: 'POST' }]),
      /routes\["posts-list"\]\.name: "posts-list" is used twice; give every route and task a unique name/,
    );
  });

  test('fails when a method and path are declared twice', () => {
    expectConfigError(synthWith([base, { ...base, name: 'posts-list-2' }]), /route "GET \/posts" is declared twice/);
  });

  test('fails when a name is not kebab-case', () => {
    expectConfigError(synthWith([{ ...base, name: 'Posts_List' }]), /\.name: use kebab-case letters and digits, e\.g\. "posts-create" \(received "Posts_List"\)/);
  });

  test('fails when a path is malformed', () => {
    expectConfigError(synthWith([{ ...base, path: 'posts/' }]), /\.path: start with "\/" and do not end with "\/".*\(received "posts\/"\)/);
    expectConfigError(synthWith([{ ...base, path: '/posts/:id' }]), /\.path: segment ":id" is invalid/);
  });

  test('fails when a method is not supported', () => {
    expectConfigError(synthWith([{ ...base, method: 'OPTIONS' as never }]), /\.method: use one of GET, POST, PUT, PATCH, DELETE \(received "OPTIONS"\); OPTIONS routes are added/);
  });

  test('fails when a handler file does not exist', () => {
    expectConfigError(
      synthWith([{ ...base, handler: 'posts/missing.ts' }]),
      /routes\["posts-list"\]\.handler: file "functions\/posts\/missing\.ts" does not exist; create it \(exporting `handler`\) or fix the path/,
    );
  });

  test('fails when a handler path escapes functions/', () => {
    expectConfigError(synthWith([{ ...base, handler: '../../etc/passwd.ts' }]), /\.handler: "\.\.\/\.\.\/etc\/passwd\.ts" points outside functions\//);
  });

  test('fails when the Lambda name would exceed 64 characters', () => {
    expectConfigError(synthWith([{ ...base, name: 'a'.repeat(60) }]), /over AWS's 64; shorten the name/);
  });

  test('fails when a function uses SQL through the proxy while the proxy is off', () => {
    expectConfigError(
      synthWith(fixtureRoutes, { config: configFor('dev', { proxy: { enabled: false } }) }),
      /proxy\.enabled: function "registrations-create" uses SQL through the RDS Proxy but the proxy is off \(received false\); set proxy\.enabled to true/,
    );
  });

  test('fails when a function uses the Data API while it is off', () => {
    expectConfigError(
      synthWith(fixtureRoutes, { config: configFor('dev', { dataApi: { enabled: false } }) }),
      /dataApi\.enabled: function "events-get" uses SQL through the Data API but it is off \(received false\)/,
    );
  });

  test('fails when min ACU 0 (auto-pause) is combined with the RDS Proxy', () => {
    expectConfigError(
      () => parseEnvironmentConfig({ ...environments.dev, aurora: { ...environments.dev.aurora, minCapacity: 0 } }),
      /aurora\.minCapacity: 0 ACU \(auto-pause\) cannot be combined with the RDS Proxy.*set aurora\.minCapacity to 0\.5 or set proxy\.enabled to false/,
    );
  });

  test('fails when availability zones are outside the region', () => {
    expectConfigError(
      () => parseEnvironmentConfig({ ...environments.dev, availabilityZones: ['us-east-1a', 'us-east-1b'] }),
      /availabilityZones\[0\]: "us-east-1a" is not in region "eu-west-1"/,
    );
  });

  test('fails when CORS allows any origin', () => {
    expectConfigError(() => parseEnvironmentConfig({ ...environments.dev, corsOrigins: ['*'] }), /corsOrigins\[0\]: list exact origins .*"\*" is not allowed/);
  });

  test('fails when no CORS origin is listed and there is no web front end to allow', () => {
    const { corsOrigins: _none, ...noOrigins } = environments.dev;
    expectConfigError(() => parseEnvironmentConfig(noOrigins), /corsOrigins: list at least one origin, .* or set web\.enabled to true \(the front end's origin is then allowed automatically\)/);
    expect(parseEnvironmentConfig({ ...noOrigins, web: { enabled: true } }).corsOrigins).toEqual([]);
  });

  test('web defaults: off, the cheapest price class, no custom domain, the environment\'s log retention', () => {
    expect(parseEnvironmentConfig(environments.dev).web).toEqual({ enabled: false, priceClass: 'PriceClass_100' });
  });

  test.each([
    ['an unknown price class', { priceClass: 'PriceClass_Cheap' }, /web\.priceClass: use "PriceClass_100" \(cheapest\), "PriceClass_200" or "PriceClass_All" \(received "PriceClass_Cheap"\)/],
    ['a wildcard custom domain', { customDomain: { name: '*.example.com', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9' } }, /web\.customDomain\.name: use a lower-case host name such as "app\.example\.com" \(no wildcard.*\(received "\*\.example\.com"\)/],
    ['a custom domain with a scheme', { customDomain: { name: 'https://app.example.com', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9' } }, /web\.customDomain\.name: use a lower-case host name/],
    ['a certificate outside us-east-1', { customDomain: { name: 'app.example.com', certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9' } }, /web\.customDomain\.certificateArn: use the ARN of an ACM certificate in us-east-1.*CloudFront only takes certificates from us-east-1 \(received "arn:aws:acm:eu-west-1:/],
    ['a log retention CloudWatch does not offer', { logRetentionDays: 10 }, /web\.logRetentionDays: use one of CloudWatch's retention periods: 1, 3, 5, 7, 14, 30.* \(received 10\)/],
    ['an unknown web field', { cdn: true }, /web: unknown field\(s\) "cdn"; remove them or check the spelling/],
  ])('fails on %s in web', (_what, web, message) => {
    expectConfigError(() => parseEnvironmentConfig({ ...environments.dev, web: { enabled: true, ...web } }), message);
  });

  test('fails when a function has no bundle, naming the function and the fix', () => {
    expect(synthWith(fixtureRoutes)).toThrow(
      /No bundle for function "posts-list" \(handler "plain\.ts"\): PlatformStackProps\.archives holds no bundle; bundle every route and task the stack gets .*, or leave archives unset and the stack bundles them/,
    );
  });

  test('lists every problem at once', () => {
    const fn = synthWith([{ ...base, memoryMb: 1, timeoutSeconds: 99 }]);
    expect(fn).toThrow(/memoryMb[\s\S]*timeoutSeconds|timeoutSeconds[\s\S]*memoryMb/);
  });
});

describe('access: every route declares who may call it, checked at synth', () => {
  const { public: _reason, ...bare } = base;
  const post = fixtureRoutes.find((r) => r.name === 'posts-create')!;

  test('fails when a route declares neither auth nor a public reason', () => {
    expectConfigError(
      synthWith([bare]),
      /routes\["posts-list"\]: declares no access; add auth: \{\} \(any signed-in user\) or auth: \{ groups: \['<group>'\] \}, or public: '<why anyone may call it>'/,
    );
  });

  test('fails when a route declares both auth and a public reason', () => {
    expectConfigError(synthWith([{ ...base, auth: {} }]), /routes\["posts-list"\]: declares both auth and public; keep auth for a route that needs sign-in, or public with its reason/);
  });

  test('fails when a public route that writes data does not say how abuse is bounded', () => {
    expectConfigError(
      synthWith([{ ...post, public: 'Anyone may create posts' }]),
      /routes\["posts-create"\]\.public: a public route that writes data \(POST\) must say how abuse is bounded: mention one of "throttl", "rate limit", "rate-limit", "captcha", "quota", "reserved concurrency", "bounded" .*, or require sign-in with auth: \{\} \(received "Anyone may create posts"\)/,
    );
  });

  test('accepts a public route that writes data when its reason bounds abuse (any of the words, any case)', () => {
    for (const reason of ['Open guestbook, Rate Limited per IP by WAF', 'Open guestbook behind a CAPTCHA', 'Open guestbook; abuse bounded by throttling']) {
      expect(() => validateAgainstRegistry(configFor('dev'), [{ ...post, public: reason } as RouteDefinition], { tables: fixtureTables, checkHandlerFiles: false })).not.toThrow();
    }
  });

  test('accepts a public read without an abuse bound', () => {
    expect(() => validateAgainstRegistry(configFor('dev'), [{ ...base, public: 'Anyone may read the posts' } as RouteDefinition], { tables: fixtureTables, checkHandlerFiles: false })).not.toThrow();
  });

  test("fails when a route's group is not a group of the environment's user pool", () => {
    expectConfigError(
      synthWith([{ ...bare, auth: { groups: ['admins'] } }]),
      /routes\["posts-list"\]\.auth\.groups: group "admins" is not a group of the "dev" user pool \(auth\.groups is \["organizers"\]\); add "admins" to auth\.groups in infra\/config\/environments\.ts, or fix the route's group name/,
    );
  });

  test('fails when auth is not an object, or groups or scopes are empty', () => {
    expectConfigError(synthWith([{ ...bare, auth: true as never }]), /routes\["posts-list"\]\.auth: use an object, e\.g\. \{\} or \{ groups: \['organizers'\] \} \(received true\)/);
    expectConfigError(synthWith([{ ...bare, auth: { groups: [] } }]), /routes\["posts-list"\]\.auth\.groups: use a non-empty list of names such as \["organizers"\], or leave it out \(received \[\]\)/);
  });
});

describe('auth config: invalid sign-in settings are refused with the field, the value and the fix', () => {
  const withAuth = (auth: Record<string, unknown>) => () => parseEnvironmentConfig({ ...environments.dev, auth });

  test('fails when threat protection is on without the Plus feature plan', () => {
    expectConfigError(
      withAuth({ threatProtection: 'AUDIT' }),
      /auth\.threatProtection: "AUDIT" needs the Plus feature plan \(threat protection is a Plus feature since Cognito's November 2024 feature plans; featurePlan is "ESSENTIALS"\); set auth\.featurePlan to "PLUS" or auth\.threatProtection to "OFF" \(received "AUDIT"\)/,
    );
    expect(withAuth({ threatProtection: 'ENFORCED', featurePlan: 'PLUS' })()).toMatchObject({ auth: { threatProtection: 'ENFORCED', featurePlan: 'PLUS' } });
  });

  test("fails when an access or ID token lifetime is outside Cognito's 5 minutes to 1 day", () => {
    expectConfigError(withAuth({ accessTokenMinutes: 4 }), /auth\.accessTokenMinutes: use 5 to 1440 minutes \(Cognito's limits: 5 minutes to 1 day\) \(received 4\)/);
    expectConfigError(withAuth({ idTokenMinutes: 1441 }), /auth\.idTokenMinutes: use 5 to 1440 minutes \(Cognito's limits: 5 minutes to 1 day\) \(received 1441\)/);
    expectConfigError(withAuth({ accessTokenMinutes: 7.5 }), /auth\.accessTokenMinutes: use whole minutes \(received 7\.5\)/);
  });

  test("fails when the refresh token lifetime is outside 1 day to Cognito's 10 years", () => {
    expectConfigError(withAuth({ refreshTokenDays: 0 }), /auth\.refreshTokenDays: use 1 to 3650 days \(Cognito's limit is 10 years\) \(received 0\)/);
    expectConfigError(withAuth({ refreshTokenDays: 3651 }), /auth\.refreshTokenDays: use 1 to 3650 days \(Cognito's limit is 10 years\) \(received 3651\)/);
  });

  test('fails when MFA, the feature plan or threat protection is not one of the allowed values', () => {
    expectConfigError(withAuth({ mfa: 'SMS' }), /auth\.mfa: use "OPTIONAL" \(each user may turn on an authenticator app\), "ON" \(everyone must\) or "OFF" \(received "SMS"\)/);
    expectConfigError(withAuth({ featurePlan: 'FREE' }), /auth\.featurePlan: use "LITE", "ESSENTIALS" or "PLUS" \(Cognito's feature plans\) \(received "FREE"\)/);
    expectConfigError(withAuth({ threatProtection: 'ON' }), /auth\.threatProtection: use "OFF", "AUDIT" \(log risks\) or "ENFORCED" .* \(received "ON"\)/);
  });

  test('fails when a group is listed twice or is not a Cognito group name', () => {
    expectConfigError(withAuth({ groups: ['organizers', 'organizers'] }), /auth\.groups\[1\]: "organizers" is listed twice; list each group once \(received "organizers"\)/);
    expectConfigError(withAuth({ groups: ['event organizers'] }), /auth\.groups\[0\]: use 1-128 letters, digits or punctuation, no spaces, e\.g\. "organizers" \(received "event organizers"\)/);
  });

  test('fails when the SES identity is not an SES identity ARN', () => {
    expectConfigError(
      withAuth({ email: { sourceArn: 'no-reply@example.com' } }),
      /auth\.email\.sourceArn: use the ARN of a verified SES identity, e\.g\. "arn:aws:ses:eu-west-1:123456789012:identity\/example\.com" \(received "no-reply@example\.com"\)/,
    );
  });

  test('fails on an unknown auth field', () => {
    expectConfigError(withAuth({ mfaMode: 'ON' }), /auth: unknown field\(s\) "mfaMode"; remove them or check the spelling/);
  });

  test('defaults: no groups, MFA optional, 60-minute tokens, 30-day refresh, Essentials, no threat protection, Cognito email', () => {
    const { auth } = parseEnvironmentConfig({ ...environments.dev, auth: undefined });
    expect(auth).toEqual({ groups: [], mfa: 'OPTIONAL', accessTokenMinutes: 60, idTokenMinutes: 60, refreshTokenDays: 30, featurePlan: 'ESSENTIALS', threatProtection: 'OFF' });
  });
});

describe('SecureDefaults aspect: escape-hatch changes that drop a secure default fail synth', () => {
  let bundles: FixtureBundles;
  beforeAll(() => {
    bundles = new FixtureBundles();
  });

  function synthAfter(change: (stack: PlatformStack) => void, config = configFor('dev'), props: Partial<PlatformStackProps> = {}): () => void {
    return () => {
      const app = new App({ outdir: tempDir('aspect'), stackTraces: false });
      const stack = fixtureStack(app, config, bundles, { webDir: fixtureWebDir, ...props });
      change(stack);
      app.synth();
    };
  }

  test('the untouched stack passes', () => {
    expect(synthAfter(() => undefined)).not.toThrow();
  });

  const withWeb = configFor('dev', { web: { enabled: true } });

  test('the stack with its web front end passes, its construct suppressions of non-guard rules accepted', () => {
    expect(synthAfter(() => undefined, withWeb)).not.toThrow();
  });

  test('fails when the distribution lets viewers use plain HTTP', () => {
    expect(synthAfter((s) => s.web!.distribution.addOverride('default_cache_behavior.viewer_protocol_policy', 'allow-all'), withWeb)).toThrow(
      /\[dev\/web\/distribution\] SPS-CF-1: viewer_protocol_policy=\["allow-all"\]\. Fix: Set viewer_protocol_policy = "redirect-to-https"/,
    );
  });

  test('fails when the web bucket lets a public policy through', () => {
    const publicAccess = (s: PlatformStack) => s.web!.node.findChild('public-access') as TerraformResource;
    expect(synthAfter((s) => publicAccess(s).addOverride('restrict_public_buckets', false), withWeb)).toThrow(
      /\[dev\/web\/bucket\] SPS-S3-3: public access not blocked: restrict_public_buckets/,
    );
  });

  test('fails when a master password is set on the cluster', () => {
    expect(synthAfter((s) => (s.database.cluster.masterPassword = 'hunter2-hunter2'))).toThrow(
      /\[dev\/database\/cluster\] SPS-AURORA-9: master_password is set in the configuration\. Fix: Set manage_master_user_password = true/,
    );
  });

  test('fails when the proxy stops requiring TLS', () => {
    expect(synthAfter((s) => (s.proxy!.proxy.requireTls = false))).toThrow(/proxy\] SPS-PROXY-1: require_tls=false\. Fix: Set require_tls = true/);
  });

  test('fails when CORS is configured on the API', () => {
    expect(synthAfter((s) => s.api.api.putCorsConfiguration({ allowOrigins: ['*'] }))).toThrow(/SPS-API-4: cors_configuration=/);
  });

  test('sees raw overrides too: debug logging turned on through addOverride fails', () => {
    expect(synthAfter((s) => s.proxy!.proxy.addOverride('debug_logging', true))).toThrow(/proxy\] SPS-PROXY-3: debug_logging = true/);
  });

  test('fails when the browser client gets a secret or the password flow', () => {
    expect(synthAfter((s) => (s.userPool.client.generateSecret = true))).toThrow(/\[dev\/user-pool\/web-client\] SPS-COGNITO-3: generate_secret = true\. Fix: Set generate_secret = false/);
    expect(synthAfter((s) => (s.userPool.client.explicitAuthFlows = ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']))).toThrow(
      /SPS-COGNITO-3: explicit_auth_flows includes ALLOW_USER_PASSWORD_AUTH/,
    );
  });

  test('fails when the password policy is weakened or user existence errors come back', () => {
    expect(synthAfter((s) => s.userPool.pool.addOverride('password_policy.minimum_length', 8))).toThrow(/\[dev\/user-pool\/pool\] SPS-COGNITO-1: minimum_length=8/);
    expect(synthAfter((s) => (s.userPool.client.preventUserExistenceErrors = 'LEGACY'))).toThrow(/SPS-COGNITO-4: prevent_user_existence_errors="LEGACY"/);
  });

  test('fails when a changed email would be used before it is verified', () => {
    expect(synthAfter((s) => s.userPool.pool.resetUserAttributeUpdateSettings())).toThrow(/\[dev\/user-pool\/pool\] SPS-COGNITO-7: user_attribute_update_settings=unset/);
  });

  test('fails when a function is taken out of the VPC', () => {
    expect(synthAfter((s) => s.functions['posts-list']!.lambda.resetVpcConfig())).toThrow(/SPS-LAMBDA-1: /);
  });

  // A topic and its queue, as functions/messaging.ts declares them (the fixture app has none).
  const messaging: Partial<PlatformStackProps> = {
    topics: { registrations: { subscriptions: ['confirmations'] } },
    queues: { confirmations: { visibilityTimeoutSeconds: 60, maxReceiveCount: 4 } },
  };

  test('fails when a topic or a queue loses our KMS key', () => {
    expect(synthAfter((s) => s.messaging!.topics.registrations!.resetKmsMasterKeyId(), undefined, messaging)).toThrow(/topic-registrations\] SPS-SNS-1: kms_master_key_id=unset/);
    expect(synthAfter((s) => s.messaging!.queues.confirmations!.resetKmsMasterKeyId(), undefined, messaging)).toThrow(/queue-confirmations\] SPS-SQS-1: kms_master_key_id=unset/);
  });

  test('fails when a queue loses its dead-letter queue', () => {
    expect(synthAfter((s) => s.messaging!.queues.confirmations!.resetRedrivePolicy(), undefined, messaging)).toThrow(/queue-confirmations\] SPS-SQS-2: no dead-letter queue/);
  });
});
