/**
 * Config variants the fixture environments do not use still pass the pack:
 * NAT gateways (public subnets, private egress through NAT), reserved
 * concurrency everywhere, deletion protection in dev.
 */
import { runPack } from '../../infra/policy/engine';
import { formatTable } from '../../infra/policy/report';
import { allRules } from '../../infra/policy/rules';
import { NAT_EGRESS_RESOURCE, suppressionsFor } from '../../infra/policy/suppressions';
import { fixtureEnvironments } from '../fixtures/environments';
import { fixtureTasks, signedInFixtureRoutes } from '../fixtures/registry';
import { configFor, FixtureBundles, synthStack } from '../infra/helpers';

const functions = [...signedInFixtureRoutes, ...fixtureTasks];
let bundles: FixtureBundles;
beforeAll(() => {
  bundles = new FixtureBundles(functions);
});

function judge(overrides: Record<string, unknown>) {
  const config = configFor('dev', overrides);
  const { json } = synthStack(config, bundles, { routes: signedInFixtureRoutes });
  return runPack([{ name: 'dev', json, config }], { rules: allRules, functions, suppressions: suppressionsFor(signedInFixtureRoutes, [config]) });
}

test.each([
  ['NAT gateways on', { natGateways: true }],
  ['reserved concurrency for every function', { reservedConcurrency: 20 }],
  ['deletion protection in dev', { deletionProtection: true }],
])('%s: zero unsuppressed violations', (_name, overrides) => {
  const report = judge(overrides);
  if (report.summary.fail > 0 || report.errors.length > 0) throw new Error(formatTable(report));
  expect(report.summary.pass).toBeGreaterThan(100);
});

test('NAT gateways on: public subnets are recognized and out of scope, functions stay in private subnets', () => {
  const report = judge({ natGateways: true });
  expect(report.results.filter((r) => r.verdict === 'suppressed' && r.rule === 'SPS-SG-3').map((r) => r.resource)).toEqual([NAT_EGRESS_RESOURCE]);
  const vpc2 = report.results.filter((r) => r.rule === 'SPS-VPC-2');
  expect(vpc2.filter((r) => r.message.startsWith('public subnet'))).toHaveLength(fixtureEnvironments.dev.availabilityZones.length);
  expect(report.results.filter((r) => r.rule === 'SPS-LAMBDA-1' && r.verdict === 'pass')).toHaveLength(functions.length);
});
