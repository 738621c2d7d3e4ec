/**
 * The policy pack on the real app: every environment stack (and the bootstrap
 * stack) synthesized as `cdktf synth` does, zero unsuppressed violations.
 */
import { routes, tasks } from '../../functions/registry';
import { environments } from '../../infra/config';
import { runPack, type StackInput } from '../../infra/policy/engine';
import { formatTable } from '../../infra/policy/report';
import { allRules } from '../../infra/policy/rules';
import { suppressions } from '../../infra/policy/suppressions';
import { loadSynthesizedStacks, synthApp } from '../../infra/policy/synth';
import { tempDir } from '../support/temp';

let stacks: StackInput[];

beforeAll(() => {
  const synth = (entry: string) => loadSynthesizedStacks(synthApp({ entry, outdir: tempDir('synth') }));
  stacks = [...synth('infra/main.ts'), ...synth('infra/bootstrap/main.ts')];
}, 180_000);

test('synthesizes every environment and the bootstrap stack', () => {
  expect(stacks.map((s) => s.name).sort()).toEqual([...Object.keys(environments), 'bootstrap'].sort());
});

test.each(Object.keys(environments).concat('bootstrap'))('stack %s has zero unsuppressed policy violations', (name) => {
  const stack = stacks.find((s) => s.name === name)!;
  const report = runPack([stack], { rules: allRules, functions: [...routes, ...tasks], suppressions });
  const problems = report.results.filter((r) => r.verdict === 'fail');
  if (problems.length > 0 || report.errors.length > 0) throw new Error(formatTable(report));
  expect(report.summary.pass).toBeGreaterThan(0);
});

test('every suppression is used by some stack (none is stale)', () => {
  const report = runPack(stacks, { rules: allRules, functions: [...routes, ...tasks], suppressions });
  expect(report.warnings).toEqual([]);
});

test('every function of the registry is judged in every environment', () => {
  const report = runPack(stacks, { rules: allRules, functions: [...routes, ...tasks], suppressions });
  for (const env of Object.keys(environments)) {
    const judged = report.results.filter((r) => r.stack === env && r.rule === 'SPS-LAMBDA-1');
    expect(judged).toHaveLength(routes.length + tasks.length);
  }
});

test('every environment has a CI apply role, and it manages every service the environment stacks use', () => {
  const service: [RegExp, string][] = [
    [/^aws_lambda_/, 'lambda'],
    [/^aws_apigatewayv2_/, 'apigateway'],
    [/^aws_(rds_|db_)/, 'rds'],
    [/^aws_dynamodb_/, 'dynamodb'],
    [/^aws_cloudwatch_log_/, 'logs'],
    [/^aws_cloudwatch_event_/, 'events'],
    [/^aws_sns_/, 'sns'],
    [/^aws_sqs_/, 'sqs'],
    [/^aws_kms_/, 'kms'],
    [/^aws_iam_/, 'iam'],
    [/^aws_secretsmanager_/, 'secretsmanager'],
    [/^aws_cognito_/, 'cognito-idp'],
    [/^aws_cloudfront_/, 'cloudfront'],
    [/^aws_s3_/, 's3'],
    [/^aws_(vpc|subnet|route|security_group|default_security_group|flow_log|eip|nat_gateway|internet_gateway|network_acl|default_network_acl|default_route_table)/, 'ec2'],
  ];
  const bootstrap = stacks.find((s) => s.name === 'bootstrap')!;
  const docs = Object.entries((bootstrap.json.data as Record<string, Record<string, { statement: { effect?: string; actions: string[] }[] }>>).aws_iam_policy_document);
  for (const env of Object.keys(environments)) {
    // The apply role's statements, over all of its managed policies.
    const applyDocs = docs.filter(([n]) => n.startsWith(`ci_${env}-apply-policy-doc`));
    expect([env, applyDocs.length > 0]).toEqual([env, true]);
    const managed = new Set(applyDocs.flatMap(([, d]) => d.statement.filter((s) => s.effect !== 'Deny').flatMap((s) => s.actions.map((a) => a.split(':')[0]))));
    const types = Object.keys((stacks.find((s) => s.name === env)!.json.resource ?? {}) as object);
    const unmapped = types.filter((t) => !service.some(([re]) => re.test(t)));
    expect([env, unmapped]).toEqual([env, []]);
    const missing = types.filter((t) => !managed.has(service.find(([re]) => re.test(t))![1]));
    expect([env, missing]).toEqual([env, []]);
  }
});
