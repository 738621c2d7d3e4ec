/**
 * Config variants the environments do not use today still pass the pack:
 * NAT gateways (public subnets, private egress through NAT), proxy off with
 * the Data API only, reserved concurrency everywhere.
 */
import { Testing } from 'cdktf';
import { routes, tasks } from '../../functions/registry';
import { environments, parseEnvironmentConfig, validateAgainstRegistry } from '../../infra/config';
import { bundleAll, PlatformStack } from '../../infra/stack';
import { runPack } from '../../infra/policy/engine';
import { formatTable } from '../../infra/policy/report';
import { allRules } from '../../infra/policy/rules';
import { NAT_EGRESS_REASON, NAT_EGRESS_RESOURCE, suppressions } from '../../infra/policy/suppressions';

const functions = [...routes, ...tasks];
let archives: ReturnType<typeof bundleAll>;
beforeAll(() => {
  archives = bundleAll(functions);
}, 120_000);

function judge(overrides: Record<string, unknown>) {
  const config = validateAgainstRegistry(parseEnvironmentConfig({ ...environments.dev, ...overrides }, 'dev'));
  const stack = new PlatformStack(Testing.app(), 'dev', { config, archives, stateBackend: {} });
  const json = JSON.parse(Testing.synth(stack));
  // What suppressions.ts generates for environments with natGateways: true.
  const nat = config.natGateways ? [{ rule: 'SPS-SG-3', resource: NAT_EGRESS_RESOURCE, reason: NAT_EGRESS_REASON }] : [];
  return runPack([{ name: 'dev', json, config }], { rules: allRules, functions, suppressions: [...suppressions, ...nat] });
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
  expect(vpc2.filter((r) => r.message.startsWith('public subnet'))).toHaveLength(environments.dev.availabilityZones.length);
  expect(report.results.filter((r) => r.rule === 'SPS-LAMBDA-1' && r.verdict === 'pass')).toHaveLength(functions.length);
});
