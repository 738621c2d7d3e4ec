/**
 * The offline pipeline for every stack of the real app: synth (infra/main.ts),
 * `terraform init` from the provider mirror (see `pluginMirror`), `validate`, `plan` with dummy
 * credentials and the provider's skip flags, `show -json`; then assertions on
 * what Terraform would really do. Synth and plans run once for the file.
 * The web front end is planned on the fixture stack and build (test/infra/web-plan.ts),
 * once as a first deploy and once against that deploy's state with one file changed.
 *
 * Sign-in is planned twice: on the real app (whatever its registry declares:
 * each route with `auth` behind the authorizer, each public route with its
 * reason) and on the fixture app with sign-in (test/fixtures), so routes
 * with auth, groups and scopes are planned whatever the example app declares.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'cdktf';
import { VPC_ENI_ACTIONS } from '../../infra/constructs/function';
import { CLIENT_AUTH_FLOWS } from '../../infra/constructs/user-pool';
import { loadAllConfigs } from '../../infra/config';
import { PlatformStack } from '../../infra/stack';
import { queues, topics } from '../../functions/messaging';
import { routes, tasks } from '../../functions/registry';
import { publicReasonProblem } from '../../functions/registry-schema';
import type { RouteDefinition } from '../../functions/registry-types';
import { tables } from '../../functions/tables';
import { configFor } from '../fixtures/environments';
import { FIXTURE_GROUP, FIXTURE_SCOPE, fixtureFunctionsDir, fixtureTables, fixtureTasks, signedInFixtureRoutes } from '../fixtures/registry';
import { FixtureBundles } from './helpers';
import {
  planOffline,
  pluginMirror,
  prepareOfflineStack,
  synthApp,
  type OfflinePlan,
  type PlannedResource,
} from '../../scripts/plan-offline-lib';
import { planLine } from '../../scripts/plan-summary';
import { FIXTURE_WEB_KEYS, webBuild } from '../fixtures/web';
import { resourceSchemas, stateFromPlan, synthWebStack } from './web-plan';

const PIPELINE_TIMEOUT = 300_000;

const configs = loadAllConfigs();
const stackNames = configs.map((c) => c.name);
const configOf = (stack: string) => configs.find((c) => c.name === stack)!;
const usesSql = [...routes, ...tasks].some((f) => (f as { data?: { sql?: string } }).data?.sql);
let work: string;
const plans = new Map<string, OfflinePlan>();
/** The plan of the fixture app with sign-in (key in `plans`). */
const SIGNED_IN = 'fixture-signed-in';

/** The fixture app with sign-in as a `dev` stack, synthesized in this process into `outdir`. */
function synthSignedInFixture(outdir: string): void {
  const app = new App({ outdir });
  new PlatformStack(app, 'dev', {
    config: configFor('dev'),
    routes: signedInFixtureRoutes,
    tasks: fixtureTasks,
    tables: fixtureTables,
    functionsDir: fixtureFunctionsDir,
    archives: new FixtureBundles().archives,
    stateBackend: {},
  });
  app.synth();
}

beforeAll(async () => {
  const mirror = pluginMirror(); // TF_PLUGIN_MIRROR, an implied mirror, /opt/tf-plugins, or the registry
  work = mkdtempSync(join(tmpdir(), 'sps-offline-plan-'));
  const outdir = join(work, 'cdktf.out');
  const stacks = await synthApp(outdir, { SPS_BUILD_DIR: join(work, 'build') });
  expect(stacks).toEqual([...stackNames].sort());
  const fixtureOut = join(work, 'fixture.out');
  synthSignedInFixture(fixtureOut);
  const results = await Promise.all([
    ...stacks.map((s) => planOffline(s, prepareOfflineStack(outdir, s, join(work, s)), mirror)),
    planOffline(SIGNED_IN, prepareOfflineStack(fixtureOut, 'dev', join(work, SIGNED_IN)), mirror),
  ]);
  for (const r of results) plans.set(r.stack, r);
}, PIPELINE_TIMEOUT);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

type ConfigResource = { address: string; mode: string; type: string; expressions: Record<string, any>; depends_on?: string[] };

function planned(stack: string, type: string): PlannedResource[] {
  return (plans.get(stack)!.plan.planned_values.root_module.resources ?? []).filter((r) => r.type === type);
}

function configured(stack: string): ConfigResource[] {
  return (plans.get(stack)!.plan.configuration.root_module.resources ?? []) as ConfigResource[];
}

function refsOf(expr: any): string[] {
  return (expr?.references ?? []) as string[];
}

/** Every [path, value] in a JSON value. */
function* walk(value: unknown, path: string[] = []): Generator<[string[], unknown]> {
  yield [path, value];
  if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* walk(v, [...path, String(i)]);
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) yield* walk(v, [...path, k]);
}

describe.each(stackNames)('offline plan of stack "%s"', (stack) => {
  test('validates and plans the whole platform', () => {
    const types = new Set((plans.get(stack)!.plan.planned_values.root_module.resources ?? []).map((r) => r.type));
    const expected = ['aws_vpc', 'aws_rds_cluster', 'aws_lambda_function', 'aws_apigatewayv2_api'];
    if (configOf(stack).proxy.enabled) expected.push('aws_db_proxy');
    if (Object.keys(tables).length > 0) expected.push('aws_dynamodb_table');
    if (tasks.some((t) => t.name === 'migrate')) expected.push('aws_lambda_invocation');
    for (const t of expected) expect(types).toContain(t);
    expect(planned(stack, 'aws_lambda_function')).toHaveLength(routes.length + tasks.length);
  });

  test('the plan summary counts the resources Terraform will create, the data sources apart', () => {
    const all = plans.get(stack)!.plan.planned_values.root_module.resources ?? [];
    const data = all.filter((r) => r.mode === 'data').length;
    expect(data).toBeGreaterThan(0);
    expect(planLine(plans.get(stack)!.plan)).toBe(`Plan: ${all.length - data} to add, 0 to change, 0 to destroy (${data} data sources read, not counted).`);
  });

  test('every function is in the private subnets, with the ENI permissions in place before it', () => {
    const all = configured(stack);
    const privateSubnets = new Set(
      planned(stack, 'aws_subnet')
        .filter((s) => s.values.map_public_ip_on_launch === false && (s.values.tags as Record<string, string>).tier === 'private')
        .map((s) => s.address),
    );
    expect(privateSubnets.size).toBeGreaterThanOrEqual(2);
    const functions = all.filter((r) => r.type === 'aws_lambda_function');
    expect(functions).toHaveLength(routes.length + tasks.length);
    for (const fn of functions) {
      const vpc = fn.expressions.vpc_config[0];
      const subnets = refsOf(vpc.subnet_ids).filter((r) => r.startsWith('aws_subnet.') && !r.endsWith('.id'));
      expect(new Set(subnets)).toEqual(privateSubnets);
      expect(fn.expressions.replace_security_groups_on_destroy.constant_value).toBe(true);
      // The role policy it depends on grants the ENI actions.
      const policyAddress = fn.depends_on!.find((d) => d.startsWith('aws_iam_role_policy.'))!;
      const policy = all.find((r) => r.address === policyAddress)!;
      const docAddress = refsOf(policy.expressions.policy).find((r) => r.startsWith('data.aws_iam_policy_document.') && !r.endsWith('.json'))!;
      const doc = all.find((r) => r.address === docAddress)!;
      const actions = doc.expressions.statement.flatMap((s: any) => s.actions.constant_value as string[]);
      expect(actions).toEqual(expect.arrayContaining([...VPC_ENI_ACTIONS]));
      expect(refsOf(fn.expressions.role)).toEqual(expect.arrayContaining([refsOf(policy.expressions.role).find((r) => !r.endsWith('.id'))]));
    }
  });

  test('the RDS Proxy (when the environment has one) requires TLS and IAM authentication', () => {
    const config = configOf(stack);
    const proxies = planned(stack, 'aws_db_proxy');
    expect(proxies).toHaveLength(config.proxy.enabled ? 1 : 0);
    const appSecrets = usesSql ? [`${config.project}-${stack}/db/${config.aurora.appUsername}`] : [];
    expect(planned(stack, 'aws_secretsmanager_secret').map((r) => r.values.name)).toEqual(appSecrets);
    expect(planned(stack, 'aws_secretsmanager_secret_version')).toEqual([]);
    for (const proxy of proxies) {
      expect(proxy.values).toMatchObject({ require_tls: true, engine_family: 'POSTGRESQL', debug_logging: false });
      // The master user (migrations) and the application role (functions), both IAM-only.
      expect(proxy.values.auth).toEqual(Array(1 + appSecrets.length).fill(expect.objectContaining({ auth_scheme: 'SECRETS', iam_auth: 'REQUIRED' })));
    }
  });

  test('the async path: encrypted topic and queues, a DLQ, raw delivery, the event source mapping, the schedule and the sns endpoint', () => {
    const all = configured(stack);
    const prefix = `${configOf(stack).project}-${stack}`;
    const of = (type: string) => all.filter((r) => r.type === type);
    const key = of('aws_kms_key')[0]!.address;
    expect(planned(stack, 'aws_sns_topic').map((t) => t.values.name)).toEqual(Object.keys(topics).map((t) => `${prefix}-${t}`));
    for (const t of of('aws_sns_topic')) expect(refsOf(t.expressions.kms_master_key_id)).toContain(`${key}.arn`);
    const queueNames = Object.keys(queues).flatMap((q) => [`${prefix}-${q}`, `${prefix}-${q}-dlq`]).sort();
    expect(planned(stack, 'aws_sqs_queue').map((q) => q.values.name).sort()).toEqual(queueNames);
    for (const q of of('aws_sqs_queue')) expect(refsOf(q.expressions.kms_master_key_id)).toContain(`${key}.arn`);
    const main = planned(stack, 'aws_sqs_queue').find((q) => q.values.name === `${prefix}-confirmations`)!;
    expect(main.values.visibility_timeout_seconds).toBe(queues.confirmations.visibilityTimeoutSeconds);
    const dlq = of('aws_sqs_queue').find((q) => q.expressions.name.constant_value === `${prefix}-confirmations-dlq`)!;
    expect(refsOf(of('aws_sqs_queue').find((q) => q.address === main.address)!.expressions.redrive_policy)).toContain(`${dlq.address}.arn`);
    expect(planned(stack, 'aws_sns_topic_subscription').map((s) => [s.values.protocol, s.values.raw_message_delivery])).toEqual([['sqs', true]]);
    expect(planned(stack, 'aws_sqs_queue_policy')).toHaveLength(2);
    const [esm] = planned(stack, 'aws_lambda_event_source_mapping');
    expect(esm!.values).toMatchObject({ batch_size: 10, function_response_types: ['ReportBatchItemFailures'], scaling_config: [{ maximum_concurrency: 2 }] });
    expect(planned(stack, 'aws_cloudwatch_event_rule').map((r) => [r.values.name, r.values.schedule_expression])).toEqual([[`${prefix}-outbox-sweep`, 'rate(1 minute)']]);
    const endpoints = planned(stack, 'aws_vpc_endpoint').map((e) => e.values.service_name as string);
    expect(endpoints).toContain(`com.amazonaws.${configOf(stack).region}.sns`);
    // SNS may use the key for our topic only.
    const keyPolicy = of('aws_kms_key_policy')[0]!;
    const keyDoc = all.find((r) => r.address === refsOf(keyPolicy.expressions.policy).find((x) => x.startsWith('data.') && !x.endsWith('.json')))!;
    const sns = keyDoc.expressions.statement.find((st: any) => st.sid?.constant_value === 'SnsEncryptsForOurTopics');
    expect(sns.principals[0].identifiers.constant_value).toEqual(['sns.amazonaws.com']);
  });

  test('only the publishers may publish, only the confirmations task may consume its queue', () => {
    const all = configured(stack);
    const actionsOf = (fnName: string) => {
      const fn = all.find((r) => r.type === 'aws_lambda_function' && r.expressions.function_name.constant_value === `${configOf(stack).project}-${stack}-${fnName}`)!;
      const policy = all.find((r) => r.address === fn.depends_on!.find((d) => d.startsWith('aws_iam_role_policy.')))!;
      const doc = all.find((r) => r.address === refsOf(policy.expressions.policy).find((x) => x.startsWith('data.') && !x.endsWith('.json')))!;
      return doc.expressions.statement.flatMap((st: any) => st.actions.constant_value as string[]);
    };
    for (const fn of [...routes, ...tasks]) {
      const actions = actionsOf(fn.name);
      const publishes = ((fn as { data?: { publishes?: string[] } }).data?.publishes ?? []).length > 0;
      expect([fn.name, actions.includes('sns:Publish')]).toEqual([fn.name, publishes]);
      expect([fn.name, actions.includes('sqs:ReceiveMessage')]).toEqual([fn.name, fn.name === 'confirmations']);
    }
  });

  test('no security group ingress from anywhere', () => {
    for (const rule of planned(stack, 'aws_vpc_security_group_ingress_rule')) {
      expect(rule.values.cidr_ipv4 ?? null).toBeNull();
      expect(rule.values.cidr_ipv6 ?? null).toBeNull();
    }
    for (const sg of [...planned(stack, 'aws_security_group'), ...planned(stack, 'aws_default_security_group')]) {
      expect(sg.values.ingress ?? []).toEqual([]);
    }
    expect(planned(stack, 'aws_security_group_rule')).toEqual([]);
    expect(planned(stack, 'aws_vpc_security_group_ingress_rule').length).toBeGreaterThanOrEqual(3);
  });

  test('no password or secret value anywhere in the plan', () => {
    const plan = plans.get(stack)!.plan;
    const offending: string[] = [];
    const passwordKeysSeen = new Set<string>();
    for (const [path, value] of walk(plan)) {
      const key = path[path.length - 1] ?? '';
      if (/password/i.test(key)) passwordKeysSeen.add(key);
      // Settings about passwords (the RDS switch, the user pool's password policy) hold no password.
      if (/password|secret_string|secret_binary/i.test(key) && !/^(manage_master_user_password|password_policy|password_history_size|temporary_password_validity_days)$/.test(key)) {
        const empty = value === null || value === undefined || value === false || (typeof value === 'object' && Object.keys(value as object).length === 0);
        if (!empty && !path.includes('after_unknown') && !path.includes('before_sensitive') && !path.includes('after_sensitive') && !path.includes('sensitive_values')) {
          offending.push(`${path.join('.')}=${JSON.stringify(value)}`);
        }
      }
    }
    expect(offending).toEqual([]);
    // The walk did look at the cluster's password attributes (so the check is not vacuous).
    expect([...passwordKeysSeen]).toEqual(expect.arrayContaining(['master_password', 'manage_master_user_password']));
    expect(planned(stack, 'aws_secretsmanager_secret_version')).toEqual([]);
    const [cluster] = planned(stack, 'aws_rds_cluster');
    expect(cluster!.values.manage_master_user_password).toBe(true);
    expect(cluster!.values.master_password ?? null).toBeNull();
  });
});

describe('offline plan of the web front end (fixture stack and build)', () => {
  let first: OfflinePlan;
  let second: OfflinePlan;

  beforeAll(async () => {
    const mirror = pluginMirror();
    const bundles = new FixtureBundles();
    const build = webBuild();
    const web = mkdtempSync(join(tmpdir(), 'sps-offline-web-'));
    try {
      const firstDir = prepareOfflineStack(synthWebStack(bundles, build, join(web, 'out-1')), 'dev', join(web, 'plan-1'));
      first = await planOffline('dev', firstDir, mirror);
      // The next deploy: index.html edited; the state is what applying the first plan leaves for the bucket and the files.
      writeFileSync(join(build, 'index.html'), readFileSync(join(build, 'index.html'), 'utf8').replace('Fixture front end', 'Changed front end'));
      const secondDir = prepareOfflineStack(synthWebStack(bundles, build, join(web, 'out-2')), 'dev', join(web, 'plan-2'));
      const bucketName = 'sps-dev-web-20260101000000000000000001';
      stateFromPlan(
        first.plan,
        resourceSchemas(firstDir),
        secondDir,
        (r) => r.type === 'aws_s3_bucket' || (r.type === 'aws_s3_object' && r.values.key !== 'config.json'),
        (r) => (r.type === 'aws_s3_bucket' ? { id: bucketName, bucket: bucketName } : { bucket: bucketName, id: r.values.key }),
      );
      second = await planOffline('dev', secondDir, mirror, { refresh: false });
    } finally {
      rmSync(web, { recursive: true, force: true });
    }
  }, PIPELINE_TIMEOUT);

  const plannedOf = (plan: OfflinePlan, type: string) => (plan.plan.planned_values.root_module.resources ?? []).filter((r) => r.type === type);
  const configuredOf = (plan: OfflinePlan) => (plan.plan.configuration.root_module.resources ?? []) as ConfigResource[];

  test('the bucket, its policy and settings, the OAC, the function, the headers policy, the distribution, the log delivery and every file are planned', () => {
    const types = new Set((first.plan.planned_values.root_module.resources ?? []).map((r) => r.type));
    for (const type of [
      'aws_s3_bucket', 'aws_s3_bucket_policy', 'aws_s3_bucket_public_access_block', 'aws_s3_bucket_ownership_controls',
      'aws_s3_bucket_server_side_encryption_configuration', 'aws_s3_bucket_versioning', 'aws_s3_bucket_lifecycle_configuration',
      'aws_cloudfront_origin_access_control', 'aws_cloudfront_function', 'aws_cloudfront_response_headers_policy', 'aws_cloudfront_distribution',
      'aws_cloudwatch_log_resource_policy', 'aws_cloudwatch_log_delivery_source', 'aws_cloudwatch_log_delivery_destination', 'aws_cloudwatch_log_delivery',
    ]) {
      expect([type, types.has(type)]).toEqual([type, true]);
    }
    expect(plannedOf(first, 'aws_s3_object').map((o) => o.values.key).sort()).toEqual([...FIXTURE_WEB_KEYS, 'config.json'].sort());
  });

  test('the distribution as Terraform will create it: HTTPS only, HTTP/2+3, OAC origin, headers policy, SPA function', () => {
    const [d] = plannedOf(first, 'aws_cloudfront_distribution');
    expect(d!.values).toMatchObject({ http_version: 'http2and3', price_class: 'PriceClass_100', is_ipv6_enabled: true, viewer_certificate: [{ cloudfront_default_certificate: true }] });
    const behavior = (d!.values.default_cache_behavior as Record<string, unknown>[])[0]!;
    expect(behavior).toMatchObject({ viewer_protocol_policy: 'redirect-to-https', compress: true, function_association: [expect.objectContaining({ event_type: 'viewer-request' })] });
    const [oac] = plannedOf(first, 'aws_cloudfront_origin_access_control');
    expect(oac!.values).toMatchObject({ origin_access_control_origin_type: 's3', signing_behavior: 'always', signing_protocol: 'sigv4' });
    const config = configuredOf(first).find((r) => r.type === 'aws_cloudfront_distribution')!;
    expect(refsOf(config.expressions.origin[0].origin_access_control_id)).toContain(`${configuredOf(first).find((r) => r.type === 'aws_cloudfront_origin_access_control')!.address}.id`);
  });

  test('the log delivery lives in us-east-1; the bucket policy names the distribution; CORS and config.json are references', () => {
    const all = configuredOf(first);
    for (const r of all.filter((x) => x.type.startsWith('aws_cloudwatch_log_deliver') || x.type === 'aws_cloudwatch_log_resource_policy')) {
      expect([r.address, (r as { provider_config_key?: string }).provider_config_key]).toEqual([r.address, 'aws.us_east_1']);
    }
    const distribution = all.find((r) => r.type === 'aws_cloudfront_distribution')!.address;
    const policyDoc = all.find((r) => r.address.startsWith('data.aws_iam_policy_document.web_bucket-policy-doc'))!;
    expect(refsOf(policyDoc.expressions.statement[0].condition[0].values)).toContain(`${distribution}.arn`);
    for (const fn of all.filter((r) => r.type === 'aws_lambda_function')) {
      expect(refsOf(fn.expressions.environment[0].variables)).toContain(`${distribution}.domain_name`);
    }
    const config = all.find((r) => r.type === 'aws_s3_object' && r.expressions.key.constant_value === 'config.json')!;
    expect(refsOf(config.expressions.content).some((ref) => /^aws_apigatewayv2_api\.[^.]+\.api_endpoint$/.test(ref))).toBe(true);
  });

  test('the next deploy with one file changed: Terraform updates that object in place, and nothing else of the bucket', () => {
    const changes = (second.plan.resource_changes ?? []).filter((r) => r.type === 'aws_s3_bucket' || (r.type === 'aws_s3_object' && !r.address.includes('config-json')));
    expect(changes).toHaveLength(FIXTURE_WEB_KEYS.length + 1);
    const changed = changes.filter((r) => r.change.actions.join() !== 'no-op');
    expect(changed.map((r) => [(r.change.after as { key?: string }).key, r.change.actions])).toEqual([['index.html', ['update']]]);
  });
});

/** The configured route of `routeKey`, and the address of the authorizer it references (if any). */
function routeIn(stack: string, routeKey: string): ConfigResource {
  const route = configured(stack).find((r) => r.type === 'aws_apigatewayv2_route' && r.expressions.route_key?.constant_value === routeKey);
  if (!route) throw new Error(`no route "${routeKey}" in the plan of ${stack}`);
  return route;
}

const authorizerOf = (route: ConfigResource) => refsOf(route.expressions.authorizer_id).find((r) => r.startsWith('aws_apigatewayv2_authorizer.') && !r.endsWith('.id'));

/** Sign-in as planned: the pool, its client and groups, the authorizer trusting them, and every route of `appRoutes` as it declares. */
function signInTests(stack: string, appRoutes: readonly RouteDefinition[], groups: () => readonly string[]): void {
  test('the user pool, its browser client and the groups are planned', () => {
    const [pool] = planned(stack, 'aws_cognito_user_pool');
    expect(planned(stack, 'aws_cognito_user_pool')).toHaveLength(1);
    expect(pool!.values).toMatchObject({
      username_attributes: ['email'],
      auto_verified_attributes: ['email'],
      mfa_configuration: expect.stringMatching(/^(OPTIONAL|ON|OFF)$/),
      password_policy: [expect.objectContaining({ minimum_length: 12, require_symbols: true, temporary_password_validity_days: 3 })],
      email_configuration: [expect.objectContaining({ email_sending_account: 'COGNITO_DEFAULT' })],
    });
    const [client] = planned(stack, 'aws_cognito_user_pool_client');
    expect(client!.values).toMatchObject({ generate_secret: false, prevent_user_existence_errors: 'ENABLED', enable_token_revocation: true });
    expect([...(client!.values.explicit_auth_flows as string[])].sort()).toEqual([...CLIENT_AUTH_FLOWS].sort());
    expect(planned(stack, 'aws_cognito_user_group').map((g) => g.values.name).sort()).toEqual([...groups()].sort());
  });

  test('the JWT authorizer trusts the pool (issuer) and its browser client (audience)', () => {
    const [authorizer] = planned(stack, 'aws_apigatewayv2_authorizer');
    expect(planned(stack, 'aws_apigatewayv2_authorizer')).toHaveLength(1);
    expect(authorizer!.values).toMatchObject({ authorizer_type: 'JWT', identity_sources: ['$request.header.Authorization'] });
    const jwt = configured(stack).find((r) => r.address === authorizer!.address)!.expressions.jwt_configuration[0];
    const pool = planned(stack, 'aws_cognito_user_pool')[0]!.address;
    const client = planned(stack, 'aws_cognito_user_pool_client')[0]!.address;
    expect(refsOf(jwt.issuer)).toContain(`${pool}.id`);
    expect(refsOf(jwt.audience)).toContain(`${client}.id`);
  });

  test('each route with auth uses the authorizer (with its scopes); each public route has none and a reason the registry accepts', () => {
    const authorizer = planned(stack, 'aws_apigatewayv2_authorizer')[0]!.address;
    for (const r of appRoutes) {
      const key = `${r.method} ${r.path}`;
      const route = routeIn(stack, key);
      if (r.auth) {
        expect([key, route.expressions.authorization_type.constant_value, authorizerOf(route)]).toEqual([key, 'JWT', authorizer]);
        expect([key, route.expressions.authorization_scopes?.constant_value ?? []]).toEqual([key, r.auth.scopes ?? []]);
      } else {
        expect([key, route.expressions.authorization_type.constant_value, authorizerOf(route)]).toEqual([key, 'NONE', undefined]);
        expect([key, typeof r.public, publicReasonProblem(r)]).toEqual([key, 'string', undefined]);
      }
    }
  });

  test('OPTIONS preflight routes have no authorization', () => {
    for (const path of new Set(appRoutes.map((r) => r.path))) {
      const route = routeIn(stack, `OPTIONS ${path}`);
      expect([path, route.expressions.authorization_type.constant_value, authorizerOf(route)]).toEqual([path, 'NONE', undefined]);
    }
  });
}

describe.each(stackNames)('sign-in in the offline plan of stack "%s"', (stack) => {
  signInTests(stack, routes, () => configOf(stack).auth.groups);

  test('deletion protection of the pool follows the environment', () => {
    expect(planned(stack, 'aws_cognito_user_pool')[0]!.values.deletion_protection).toBe(configOf(stack).deletionProtection ? 'ACTIVE' : 'INACTIVE');
  });
});

describe('sign-in in the offline plan of the fixture app with sign-in', () => {
  signInTests(SIGNED_IN, signedInFixtureRoutes, () => [FIXTURE_GROUP]);

  test('plans routes for any signed-in user, for a group (checked by the handler chain) and with a scope', () => {
    const byKey = (key: string) => routeIn(SIGNED_IN, key).expressions;
    expect(byKey('POST /posts').authorization_type.constant_value).toBe('JWT');
    expect(byKey('GET /events/{id}').authorization_type.constant_value).toBe('JWT');
    expect(byKey('POST /events/{id}/registrations').authorization_scopes.constant_value).toEqual([FIXTURE_SCOPE]);
    expect(byKey('GET /posts').authorization_type.constant_value).toBe('NONE');
  });
});
