/**
 * The CI roles against what the provider asks AWS for: every resource type
 * and data source the fixture stacks synthesize with the web front end,
 * messaging and sign-in must have an entry in infra/bootstrap/provider-actions.ts
 * (or be listed as not tabled yet), the plan role must allow each entry's
 * reads and the apply role its reads and writes, on the ARN of the resource
 * as the stack names it; the dev apply role must be refused every write on
 * the prod stack's resources, but for the calls AWS gives no way to scope.
 *
 * Condition keys of a call (infra/bootstrap/policy-simulator.ts): the
 * resource's `environment` tag where its ARN carries tags we set (not S3,
 * whose ABAC we do not rely on; of CloudFront only distributions), the
 * request's tag for calls that send tags, and what the entry adds
 * (lambda:FunctionArn). Which of a create's conditions is request- and which
 * resource-side is checked by the behaviour tests in bootstrap.test.ts.
 */
import type { RouteDefinition, TaskDefinition } from '../../functions/registry-types';
import { applyStatements, guardStatements, planStatements } from '../../infra/bootstrap/ci-permissions';
import type { PolicyStatementJson } from '../../infra/bootstrap/ci-statement';
import { isAllowed } from '../../infra/bootstrap/policy-simulator';
import { DATA_SOURCE_ACTIONS, NOT_YET_TABLED, PROVIDER_ACTIONS, synthesizedResources, type Calls, type Synthesized } from '../../infra/bootstrap/provider-actions';
import { FIXTURE_PUBLIC, fixtureRoutes, fixtureTasks } from '../fixtures/registry';
import { fixtureWebDir } from '../fixtures/web';
import { configFor, FixtureBundles, synthStack, type TfJson } from '../infra/helpers';

const publisher: RouteDefinition = { name: 'orders-create', method: 'POST', path: '/orders', handler: 'plain.ts', data: { sql: 'proxy', publishes: ['registrations'] }, public: FIXTURE_PUBLIC };
const consumer: TaskDefinition = { name: 'fulfil', handler: 'plain.ts', data: { sql: 'proxy' }, timeoutSeconds: 10, trigger: { queue: 'confirmations', batchSize: 5, maximumConcurrency: 4 } };
const scheduled: TaskDefinition = { name: 'sweep', handler: 'plain.ts', data: { publishes: ['registrations'] }, trigger: { schedule: 'rate(5 minutes)' } };
const routes = [...fixtureRoutes, publisher];
const tasks = [...fixtureTasks, consumer, scheduled];

const STATE = { bucketArn: 'arn:aws:s3:::acme-sps-tfstate', key: 'sps/dev.tfstate', kmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/state' };
const BOUNDARY = 'arn:aws:iam::123456789012:policy/sps-dev-boundary';
const dev = { project: 'sps', environment: 'dev', region: 'eu-west-1' };
const guard = guardStatements('sps', 'dev', STATE.kmsKeyArn);
const planRole = [...planStatements(dev, STATE), ...guard];
const applyRole = [...applyStatements(dev, STATE, BOUNDARY), ...guard];

const CUSTOM_DOMAIN = { name: 'app.example.com', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9' };

let stacks: Record<'dev' | 'prod', TfJson>;
beforeAll(() => {
  const bundles = new FixtureBundles([...routes, ...tasks]);
  const synth = (env: 'dev' | 'prod') =>
    // prod, protected, serves its front end on its own domain (a config rule).
    synthStack(configFor(env, { web: { enabled: true, ...(env === 'prod' ? { customDomain: CUSTOM_DOMAIN } : {}) }, natGateways: true }), bundles, {
      routes,
      tasks,
      webDir: fixtureWebDir,
      topics: { registrations: { subscriptions: ['confirmations'] } },
      queues: { confirmations: { visibilityTimeoutSeconds: 60, maxReceiveCount: 4 } },
    }).json;
  stacks = { dev: synth('dev'), prod: synth('prod') };
});

/** Calls that send tags (create with default tags, tag): they carry aws:RequestTag. */
const SENDS_TAGS = /:(Create\w*|TagResource|TagQueue|TagLogGroup|PutRule|PutDeliverySource|PutDeliveryDestination)$/;
const carriesTag = (arn: string) => arn !== '*' && !arn.startsWith('arn:aws:s3:') && (!arn.startsWith('arn:aws:cloudfront:') || arn.includes(':distribution/'));

/** Every call of the tabled resources of `stack`: type, action, ARN and condition keys. */
function calls(stack: TfJson, kind: 'read' | 'write'): { type: string; action: string; arn: string; context: Record<string, string>; calls: Calls }[] {
  const env = (stack.provider.aws![0]!.default_tags[0].tags as Record<string, string>).environment!;
  return synthesizedResources(stack).flatMap((r: Synthesized) =>
    (PROVIDER_ACTIONS[r.type]?.[kind] ?? []).flatMap((c) =>
      c.actions.map((action) => {
        const arn = c.on(r);
        const context = {
          ...(carriesTag(arn) ? { 'aws:ResourceTag/environment': env } : {}),
          ...(SENDS_TAGS.test(action) ? { 'aws:RequestTag/environment': env } : {}),
          ...c.context?.(r),
        };
        return { type: r.type, action, arn, context, calls: c };
      }),
    ),
  );
}

const refused = (role: readonly PolicyStatementJson[], list: ReturnType<typeof calls>) =>
  [...new Set(list.filter((c) => !isAllowed(role, c.action, c.arn, c.context)).map((c) => `${c.type}: ${c.action} on ${c.arn}`))];

test('every resource type and data source of the stack (web, messaging, sign-in, NAT) has an entry in the provider-actions table', () => {
  const untabled = Object.keys(stacks.dev.resource).filter((t) => !PROVIDER_ACTIONS[t] && !NOT_YET_TABLED.includes(t));
  const untabledData = Object.keys(stacks.dev.data ?? {}).filter((t) => !DATA_SOURCE_ACTIONS[t]);
  const fix = 'add the provider\'s calls to infra/bootstrap/provider-actions.ts and grant them in infra/bootstrap/ci-permissions.ts';
  expect({ resourceTypesWithoutCiPermissions: untabled, dataSourcesWithoutCiPermissions: untabledData, fix }).toEqual({ resourceTypesWithoutCiPermissions: [], dataSourcesWithoutCiPermissions: [], fix });
  // The web front end, messaging and sign-in are checked call by call.
  for (const t of ['aws_cloudfront_distribution', 'aws_cloudwatch_log_delivery', 'aws_s3_object', 'aws_sqs_queue', 'aws_lambda_event_source_mapping', 'aws_cognito_user_pool']) {
    expect(Object.keys(stacks.dev.resource)).toContain(t);
    expect(PROVIDER_ACTIONS[t]).toBeDefined();
  }
  // A type is tabled or waiting, never both; and everything waiting is still in the stack.
  expect(NOT_YET_TABLED.filter((t) => PROVIDER_ACTIONS[t])).toEqual([]);
  expect(NOT_YET_TABLED.filter((t) => !stacks.dev.resource[t])).toEqual([]);
});

test('the plan role may make every read the provider makes on refresh, on the environment\'s resources', () => {
  expect(refused(planRole, calls(stacks.dev, 'read'))).toEqual([]);
});

test('the plan role may make none of the writes', () => {
  const writes = calls(stacks.dev, 'write');
  expect(writes.length).toBeGreaterThan(50);
  expect(writes.filter((c) => isAllowed(planRole, c.action, c.arn, c.context)).map((c) => `${c.type}: ${c.action} on ${c.arn}`)).toEqual([]);
});

test('the apply role may make every read and write, on the environment\'s resources', () => {
  expect(refused(applyRole, [...calls(stacks.dev, 'read'), ...calls(stacks.dev, 'write')])).toEqual([]);
});

test('the dev apply role may make no write on the prod stack\'s resources, but the calls AWS gives no way to scope', () => {
  const writes = calls(stacks.prod, 'write').filter((c) => isAllowed(applyRole, c.action, c.arn, c.context));
  expect(writes.filter((c) => !c.calls.anyEnvironment).map((c) => `${c.type}: ${c.action} on ${c.arn}`)).toEqual([]);
  // What is left reaches every environment: documented in docs/ci-cd.md ("What one account cannot isolate").
  expect([...new Set(writes.map((c) => c.type))].sort()).toEqual(['aws_cloudfront_origin_access_control', 'aws_cloudfront_response_headers_policy', 'aws_cloudwatch_log_resource_policy']);
});
