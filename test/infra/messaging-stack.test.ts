/**
 * The stack reads `data.publishes` and `trigger` from the registry: only the
 * publisher may publish (and use the key through SNS), only the consumer may
 * receive from its queue (and decrypt through SQS), the publisher gets the
 * topic's ARN, the consumer its event source mapping, a scheduled task its
 * rule; publishers reach SNS through an interface endpoint, consumers need
 * none. Fixture app plus one publisher, one consumer and one scheduled task.
 */
import type { RouteDefinition, TaskDefinition } from '../../functions/registry-types';
import { FIXTURE_PUBLIC, fixtureRoutes, fixtureTasks } from '../fixtures/registry';
import { configFor, FixtureBundles, idOf, refTo, resourcesOf, rolePolicyStatements, synthStack, type TfJson } from './helpers';

const publisher: RouteDefinition = { name: 'orders-create', method: 'POST', path: '/orders', handler: 'plain.ts', data: { sql: 'proxy', publishes: ['registrations'] }, public: FIXTURE_PUBLIC };
const consumer: TaskDefinition = { name: 'fulfil', handler: 'plain.ts', data: { sql: 'proxy' }, timeoutSeconds: 10, trigger: { queue: 'confirmations', batchSize: 5, maximumConcurrency: 4 } };
const scheduled: TaskDefinition = { name: 'sweep', handler: 'plain.ts', data: { publishes: ['registrations'] }, trigger: { schedule: 'rate(5 minutes)' } };
const routes = [...fixtureRoutes, publisher];
const tasks = [...fixtureTasks, consumer, scheduled];

let json: TfJson;
beforeAll(() => {
  const bundles = new FixtureBundles([...routes, ...tasks]);
  json = synthStack(configFor('dev'), bundles, {
    routes,
    tasks,
    topics: { registrations: { subscriptions: ['confirmations'] } },
    queues: { confirmations: { visibilityTimeoutSeconds: 60, maxReceiveCount: 4 } },
  }).json;
});

const fnId = (name: string) => idOf(json, 'aws_lambda_function', `fn-${name}_`);
const statements = (name: string) => rolePolicyStatements(json, `fn-${name}_`);
const actionsOf = (name: string) => statements(name).flatMap((s) => s.actions);
const topicArn = () => refTo(json, 'aws_sns_topic', 'arn');
const queueId = (name: string) => resourcesOf(json, 'aws_sqs_queue').find(([, q]) => q.name === name)![0];

test('only the publishers may sns:Publish, on exactly their topic, and use the key only through SNS', () => {
  for (const name of ['orders-create', 'sweep']) {
    expect(statements(name)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ sid: 'PublishToTopics', actions: ['sns:Publish'], resources: [topicArn()] }),
        expect.objectContaining({
          sid: 'EncryptMessagesViaSns',
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [refTo(json, 'aws_kms_key', 'arn')],
          condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: ['sns.eu-west-1.amazonaws.com'] }],
        }),
      ]),
    );
  }
  const others = [...routes, ...tasks].map((f) => f.name).filter((n) => !['orders-create', 'sweep'].includes(n));
  for (const name of others) expect(actionsOf(name)).not.toContain('sns:Publish');
});

test("the topic and the queue name their roles too: anyone else is refused publishing, or receiving and deleting (even an admin's sns:*/sqs:*)", () => {
  const doc = (prefix: string) => Object.entries(json.data!.aws_iam_policy_document!).find(([n]) => n.startsWith(prefix))![1] as { statement: Record<string, unknown>[] };
  const roleArn = (name: string) => `\${aws_iam_role.${idOf(json, 'aws_iam_role', `fn-${name}_`)}.arn}`;
  const anyone = [{ type: '*', identifiers: ['*'] }];
  expect(doc('messaging_topic-registrations-policy-doc').statement).toContainEqual({
    sid: 'OnlyDeclaredPublishers',
    effect: 'Deny',
    principals: anyone,
    actions: ['sns:Publish'],
    resources: [topicArn()],
    condition: [{ test: 'ArnNotEquals', variable: 'aws:PrincipalArn', values: [roleArn('orders-create'), roleArn('sweep')] }],
  });
  expect(doc('messaging_queue-confirmations-policy-doc').statement).toContainEqual({
    sid: 'OnlyItsConsumer',
    effect: 'Deny',
    principals: anyone,
    actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'],
    resources: [`\${aws_sqs_queue.${queueId('sps-dev-confirmations')}.arn}`],
    condition: [{ test: 'ArnNotEquals', variable: 'aws:PrincipalArn', values: [roleArn('fulfil')] }],
  });
});

test('only the consumer may receive, delete and read its queue, and decrypt only through SQS', () => {
  expect(statements('fulfil')).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ sid: 'ConsumeQueueConfirmations', actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], resources: [`\${aws_sqs_queue.${queueId('sps-dev-confirmations')}.arn}`] }),
      expect.objectContaining({ sid: 'DecryptMessagesViaSqs', actions: ['kms:Decrypt'], condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: ['sqs.eu-west-1.amazonaws.com'] }] }),
    ]),
  );
  for (const name of [...routes, ...tasks].map((f) => f.name).filter((n) => n !== 'fulfil')) {
    expect(actionsOf(name).filter((a) => a.startsWith('sqs:'))).toEqual([]);
  }
});

test("publishers get their topic's ARN in TOPIC_<NAME>_ARN, nobody else", () => {
  const env = (name: string) => json.resource.aws_lambda_function![fnId(name)]!.environment.variables as Record<string, string>;
  expect(env('orders-create').TOPIC_REGISTRATIONS_ARN).toBe(topicArn());
  expect(env('sweep').TOPIC_REGISTRATIONS_ARN).toBe(topicArn());
  expect(env('fulfil').TOPIC_REGISTRATIONS_ARN).toBeUndefined();
});

test('the consumer is triggered by its queue, the scheduled task by its rule', () => {
  const [[, mapping]] = resourcesOf(json, 'aws_lambda_event_source_mapping') as [string, Record<string, unknown>][];
  expect(mapping).toMatchObject({
    event_source_arn: `\${aws_sqs_queue.${queueId('sps-dev-confirmations')}.arn}`,
    function_name: `\${aws_lambda_function.${fnId('fulfil')}.arn}`,
    batch_size: 5,
    scaling_config: { maximum_concurrency: 4 },
    function_response_types: ['ReportBatchItemFailures'],
  });
  const [[, rule]] = resourcesOf(json, 'aws_cloudwatch_event_rule');
  expect(rule).toMatchObject({ name: 'sps-dev-sweep', schedule_expression: 'rate(5 minutes)' });
  const [[, target]] = resourcesOf(json, 'aws_cloudwatch_event_target');
  expect(target.arn).toBe(`\${aws_lambda_function.${fnId('sweep')}.arn}`);
});

test('publishers reach SNS through an interface endpoint (private DNS, no NAT); no sqs endpoint is needed', () => {
  const endpoints = resourcesOf(json, 'aws_vpc_endpoint').map(([, e]) => e.service_name as string);
  expect(endpoints).toContain('com.amazonaws.eu-west-1.sns');
  expect(endpoints).not.toContain('com.amazonaws.eu-west-1.sqs');
  const [, sns] = resourcesOf(json, 'aws_vpc_endpoint').find(([, e]) => e.service_name === 'com.amazonaws.eu-west-1.sns')!;
  expect(sns).toMatchObject({ vpc_endpoint_type: 'Interface', private_dns_enabled: true });
});

test('fails at synth when a queue hides a message for less than 6x its consumer timeout', () => {
  const bundles = new FixtureBundles([...routes, ...tasks]);
  expect(() =>
    synthStack(configFor('dev'), bundles, { routes, tasks, topics: { registrations: { subscriptions: ['confirmations'] } }, queues: { confirmations: { visibilityTimeoutSeconds: 59, maxReceiveCount: 4 } } }),
  ).toThrow(/tasks\["fulfil"\]\.trigger\.queue: queue "confirmations" has a visibility timeout of 59 s, under 6 x the task's 10 s timeout.*at least 60/);
});
