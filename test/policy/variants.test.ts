/**
 * Config variants the fixture environments do not use still pass the pack:
 * NAT gateways (public subnets, private egress through NAT), reserved
 * concurrency everywhere, deletion protection in dev, the web front end
 * (with and without a custom domain).
 */
import { runPack } from '../../infra/policy/engine';
import { formatTable } from '../../infra/policy/report';
import { allRules } from '../../infra/policy/rules';
import { NAT_EGRESS_RESOURCE, suppressionsFor } from '../../infra/policy/suppressions';
import { fixtureEnvironments } from '../fixtures/environments';
import { fixtureTasks, signedInFixtureRoutes } from '../fixtures/registry';
import { fixtureWebDir } from '../fixtures/web';
import { configFor, FixtureBundles, synthStack } from '../infra/helpers';

const functions = [...signedInFixtureRoutes, ...fixtureTasks];
let bundles: FixtureBundles;
beforeAll(() => {
  bundles = new FixtureBundles(functions);
});

function judge(overrides: Record<string, unknown>) {
  const config = configFor('dev', overrides);
  // toTerraform() keeps the `//` metadata (construct suppressions) that Testing.synth leaves out, as cdk.tf.json does.
  const json = synthStack(config, bundles, { routes: signedInFixtureRoutes, webDir: fixtureWebDir }).stack.toTerraform() as Record<string, unknown>;
  return runPack([{ name: 'dev', json, config }], { rules: allRules, functions, suppressions: suppressionsFor(signedInFixtureRoutes, [config]) });
}

test.each([
  ['NAT gateways on', { natGateways: true }],
  ['reserved concurrency for every function', { reservedConcurrency: 20 }],
  ['deletion protection in dev (with threat protection, as protected environments need)', { deletionProtection: true, auth: { groups: ['organizers'], featurePlan: 'PLUS', threatProtection: 'ENFORCED' } }],
  ['the web front end', { web: { enabled: true } }],
  ['the web front end on a custom domain', { web: { enabled: true, customDomain: { name: 'app.example.com', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9' } } }],
])('%s: zero unsuppressed violations', (_name, overrides) => {
  const report = judge(overrides);
  if (report.summary.fail > 0 || report.errors.length > 0) throw new Error(formatTable(report));
  expect(report.summary.pass).toBeGreaterThan(100);
});

test('the web front end: every web rule judges it; only SSE-S3 and, without a custom domain, the TLSv1 floor are suppressed, with their reasons', () => {
  const report = judge({ web: { enabled: true } });
  const web = ['SPS-S3-1', 'SPS-S3-3', 'SPS-S3-4', 'SPS-S3-5', 'SPS-S3-6', 'SPS-CF-1', 'SPS-CF-3', 'SPS-CF-4', 'SPS-CF-5', 'SPS-CF-6'];
  for (const rule of web) expect([rule, report.results.filter((r) => r.rule === rule && r.verdict === 'pass').length]).toEqual([rule, 1]);
  expect(report.results.filter((r) => r.verdict === 'suppressed').filter((r) => /^SPS-(S3|CF)-/.test(r.rule)).map((r) => [r.rule, r.resource.split('.')[0]])).toEqual([
    ['SPS-S3-2', 'aws_s3_bucket'],
    ['SPS-CF-2', 'aws_cloudfront_distribution'],
  ]);
  const custom = judge({ web: { enabled: true, customDomain: { name: 'app.example.com', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9' } } });
  expect(custom.results.filter((r) => r.rule === 'SPS-CF-2').map((r) => r.verdict)).toEqual(['pass']);
});

test('NAT gateways on: public subnets are recognized and out of scope, functions stay in private subnets', () => {
  const report = judge({ natGateways: true });
  expect(report.results.filter((r) => r.verdict === 'suppressed' && r.rule === 'SPS-SG-3').map((r) => r.resource)).toEqual([NAT_EGRESS_RESOURCE]);
  const vpc2 = report.results.filter((r) => r.rule === 'SPS-VPC-2');
  expect(vpc2.filter((r) => r.message.startsWith('public subnet'))).toHaveLength(fixtureEnvironments.dev.availabilityZones.length);
  expect(report.results.filter((r) => r.rule === 'SPS-LAMBDA-1' && r.verdict === 'pass')).toHaveLength(functions.length);
});
