/** Suppressions, references, reports and the exit code of `npm run check`. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasViolations, runPack } from '../../infra/policy/engine';
import { parseHcl, parsePolicy } from '../../infra/policy/iam-documents';
import { StackModel } from '../../infra/policy/model';
import { formatJson, formatTable } from '../../infra/policy/report';
import { allRules, ruleById } from '../../infra/policy/rules';
import { suppressPolicy } from '../../infra/policy/suppress';
import { tempDir } from '../support/temp';
import { block, buildCompliantStack, mutate, synthToFile, type Json } from './fixture';
import type { TerraformResource } from 'cdktf';

let compliant: Json;
let publicRoute: Json;
beforeAll(() => {
  compliant = buildCompliantStack().json;
  publicRoute = mutate(compliant, (r) => delete block(r, 'aws_apigatewayv2_route', 'route').authorization_type);
});

const api3 = [ruleById('SPS-API-3')!];

describe('suppressions', () => {
  test('a suppression with a reason turns the violation into a listed "suppressed" result', () => {
    const report = runPack([{ name: 'dev', json: publicRoute }], {
      rules: api3,
      suppressions: [{ rule: 'SPS-API-3', resource: 'aws_apigatewayv2_route[route_key="GET /private"]', reason: 'Public status page by design' }],
    });
    // The fixture's other route (POST /posts) is behind its JWT authorizer and passes.
    expect(report.results.filter((r) => r.verdict !== 'pass')).toEqual([
      expect.objectContaining({ verdict: 'suppressed', suppression: { reason: 'Public status page by design', source: 'suppressions[0]' } }),
    ]);
    expect(hasViolations(report)).toBe(false);
    expect(formatTable(report)).toContain('SUPPRESSED');
    expect(formatTable(report)).toContain('Public status page by design');
  });

  test('matches by address, by glob, and only in the stacks it names', () => {
    for (const resource of ['aws_apigatewayv2_route.route', 'aws_apigatewayv2_route.*']) {
      const r = runPack([{ name: 'dev', json: publicRoute }], { rules: api3, suppressions: [{ rule: 'SPS-API-3', resource, reason: 'matched by address or path' }] });
      expect(r.summary.suppressed).toBe(1);
    }
    const other = runPack([{ name: 'dev', json: publicRoute }], {
      rules: api3,
      suppressions: [{ rule: 'SPS-API-3', resource: 'aws_apigatewayv2_route.route', reason: 'only meant for prod', stacks: ['prod'] }],
    });
    expect(other.summary).toMatchObject({ fail: 1, suppressed: 0 });
  });

  test('fails when a suppression has a reason shorter than 10 characters', () => {
    const report = runPack([{ name: 'dev', json: publicRoute }], {
      rules: api3,
      suppressions: [{ rule: 'SPS-API-3', resource: 'aws_apigatewayv2_route.route', reason: 'because' }],
    });
    expect(report.summary.fail).toBe(1);
    expect(report.errors).toEqual([expect.stringContaining('has a reason of 7 characters (received "because")')]);
    expect(hasViolations(report)).toBe(true);
  });

  test('fails when a suppression names an unknown rule; warns when one matches nothing', () => {
    const report = runPack([{ name: 'dev', json: compliant }], {
      rules: api3,
      suppressions: [
        { rule: 'SPS-NOPE-1', resource: 'x', reason: 'long enough reason' },
        { rule: 'SPS-API-3', resource: 'aws_apigatewayv2_route.route', reason: 'stale now that it has auth' },
      ],
    });
    expect(report.errors).toEqual([expect.stringContaining('unknown rule "SPS-NOPE-1"')]);
    expect(report.warnings).toEqual([expect.stringContaining('matched no violation')]);
  });

  test('construct-level suppressPolicy() travels in cdk.tf.json metadata and is listed', () => {
    const { stack } = buildCompliantStack((s) => {
      const route = s.node.findAll().find((c) => c.node.id === 'route') as TerraformResource;
      route.addOverride('authorization_type', 'NONE');
      suppressPolicy(route, 'SPS-API-3', 'Webhook endpoint authenticated by signature');
    });
    const json = synthToFile(stack);
    const report = runPack([{ name: 'fixture', json }], { rules: api3 });
    expect(report.results.filter((r) => r.verdict !== 'pass')).toEqual([
      expect.objectContaining({
        verdict: 'suppressed',
        path: 'fixture/route',
        suppression: expect.objectContaining({ reason: 'Webhook endpoint authenticated by signature' }),
      }),
    ]);
  });

  test('several construct-level suppressions on one resource are all kept', () => {
    const { stack } = buildCompliantStack((s) => {
      const key = s.node.findAll().find((c) => c.node.id === 'key') as TerraformResource;
      key.addOverride('enable_key_rotation', false);
      suppressPolicy(key, 'SPS-IAM-4', 'placeholder to prove both entries survive');
      suppressPolicy(key, 'SPS-KMS-1', 'imported key rotated by the security team');
    });
    const json = synthToFile(stack);
    expect(json.resource.aws_kms_key.key['//'].sps_suppressions).toHaveLength(2);
    const report = runPack([{ name: 'fixture', json }], { rules: [ruleById('SPS-KMS-1')!] });
    expect(report.results[0]).toMatchObject({ verdict: 'suppressed', suppression: { reason: 'imported key rotated by the security team' } });
  });

  test('suppressPolicy() refuses a short reason at synth time', () => {
    expect(() =>
      buildCompliantStack((s) => {
        const route = s.node.findAll().find((c) => c.node.id === 'route') as TerraformResource;
        suppressPolicy(route, 'SPS-API-3', 'ok');
      }),
    ).toThrow('the reason must have at least 10 characters (received "ok")');
  });
});

describe('reference resolver and IAM documents', () => {
  test('follows references to literal attributes and keeps computed ones', () => {
    const model = new StackModel('fixture', compliant);
    const fn = model.get('aws_lambda_function.fn')!;
    expect(model.resolve((fn.values.logging_config as Json).log_group)).toBe('/aws/lambda/sps-dev-health');
    expect(model.targets((fn.values.vpc_config as Json).subnet_ids, 'aws_subnet').map((s) => s.address)).toEqual([
      'aws_subnet.private-a',
      'aws_subnet.private-b',
    ]);
    expect(model.resolve('${aws_kms_key.key.arn}')).toBe('${aws_kms_key.key.arn}');
  });

  test("reads data.aws_iam_policy_document and jsonencode'd policies", () => {
    const model = new StackModel('fixture', compliant);
    const viaData = parsePolicy(model, model.get('aws_iam_role_policy.fn-policy')!.values.policy);
    const viaJsonencode = parsePolicy(model, model.get('aws_iam_role_policy.fn-policy-logs')!.values.policy);
    expect(viaData.ok && viaData.statements.map((s) => s.actions)).toEqual([
      ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DeleteNetworkInterface'],
      ['dynamodb:GetItem', 'dynamodb:Query'],
      ['sns:Publish'],
    ]);
    expect(viaJsonencode.ok && viaJsonencode.statements[0]).toMatchObject({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: ['${aws_cloudwatch_log_group.fn-logs.arn}:*'],
    });
  });

  test('parses HCL object expressions with bare references and function calls', () => {
    expect(parseHcl('{"A" = [aws_x.y.arn, "${aws_x.y.arn}/*"], B = {"c" = true, "d" = 3}, E = join(",", ["a", "b"])}')).toEqual({
      A: ['${aws_x.y.arn}', '${aws_x.y.arn}/*'],
      B: { c: true, d: 3 },
      E: '${join(",", ["a", "b"])}',
    });
  });

  test('an unreadable policy is a violation, not a pass', () => {
    const json = mutate(compliant, (r) => (block(r, 'aws_iam_role_policy', 'fn-policy').policy = '${file("policy.json")}'));
    const report = runPack([{ name: 'fixture', json }], { rules: [ruleById('SPS-IAM-1')!] });
    expect(report.results.find((r) => r.resource === 'aws_iam_role_policy.fn-policy')).toMatchObject({ verdict: 'fail' });
  });
});

describe('reports and exit code of npm run check', () => {
  const synthDir = (json: Json) => {
    const dir = tempDir('check');
    mkdirSync(join(dir, 'stacks', 'fixture'), { recursive: true });
    writeFileSync(join(dir, 'stacks', 'fixture', 'cdk.tf.json'), JSON.stringify(json));
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ stacks: { fixture: { synthesizedStackPath: 'stacks/fixture/cdk.tf.json' } } }));
    return dir;
  };
  const runCheck = (dir: string) => {
    const report = join(dir, 'policy.json');
    const r = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'scripts/check.ts', '--outdir', dir, '--json', report], { encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout, report: JSON.parse(readFileSync(report, 'utf8')) };
  };

  test('exits 1 with a table and a JSON report naming the violation', () => {
    const { status, stdout, report } = runCheck(synthDir(mutate(compliant, (r) => (block(r, 'aws_kms_key', 'key').enable_key_rotation = false))));
    expect(status).toBe(1);
    expect(stdout).toMatch(/SPS-KMS-1\s+fixture\s+aws_kms_key\.key\s+FAIL\s+enable_key_rotation=false -> fix: Set enable_key_rotation = true/);
    expect(report.summary.fail).toBe(1);
    expect(report.results.find((r: Json) => r.verdict === 'fail')).toMatchObject({ rule: 'SPS-KMS-1', resource: 'aws_kms_key.key', mapsTo: ['CKV_AWS_7', 'AwsSolutions-KMS5'] });
  });

  test('exits 0 on a compliant stack', () => {
    const { status, stdout } = runCheck(synthDir(compliant));
    expect(status).toBe(0);
    expect(stdout).toMatch(/Policy pack on fixture: \d+ passed, 0 violation\(s\)/);
  });

  test('the JSON report lists every rule with its mapping, rationale and fix', () => {
    const report = JSON.parse(formatJson(runPack([{ name: 'fixture', json: compliant }], { rules: allRules })));
    expect(report.rules).toHaveLength(allRules.length);
    for (const rule of report.rules) {
      expect(rule).toEqual({ id: expect.stringMatching(/^SPS-[A-Z0-9]+-\d+$/), title: expect.any(String), mapsTo: expect.any(Array), rationale: expect.any(String), fix: expect.any(String) });
    }
  });
});

describe('enrichment with the plan JSON', () => {
  const computedPolicy = () =>
    mutate(compliant, (r) => {
      block(r, 'aws_iam_role_policy', 'fn-policy-logs').policy = '${jsonencode(merge(local.base, {"Statement" = []}))}';
    });
  const rendered = {
    planned_values: {
      root_module: {
        resources: [
          {
            address: 'aws_iam_role_policy.fn-policy-logs',
            mode: 'managed',
            values: { policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: 'arn:aws:logs:eu-west-1:1:log-group:x:*' }] }) },
          },
        ],
      },
    },
  };

  test('a policy computed by a function cannot be read statically: a violation', () => {
    const report = runPack([{ name: 'fixture', json: computedPolicy() }], { rules: [ruleById('SPS-IAM-1')!] });
    expect(report.results.find((r) => r.resource === 'aws_iam_role_policy.fn-policy-logs')).toMatchObject({
      verdict: 'fail',
      message: expect.stringContaining('cannot be read statically'),
    });
  });

  test('with the plan, the value Terraform computed is judged', () => {
    const report = runPack([{ name: 'fixture', json: computedPolicy(), plan: rendered }], { rules: [ruleById('SPS-IAM-1')!] });
    expect(report.results.find((r) => r.resource === 'aws_iam_role_policy.fn-policy-logs')).toMatchObject({ verdict: 'pass' });
  });

  test('references are kept (rules still follow them) and unset attributes stay unset', () => {
    const model = new StackModel('fixture', compliant);
    const n = model.enrichWithPlan({
      planned_values: { root_module: { resources: [{ address: 'aws_lambda_function.fn', values: { role: 'arn:aws:iam::1:role/x', architectures: ['x86_64'] } }] } },
    });
    expect(n).toBe(0);
    expect(model.get('aws_lambda_function.fn')!.values.role).toBe('${aws_iam_role.fn-role.arn}');
    expect(model.get('aws_lambda_function.fn')!.values.architectures).toBeUndefined();
  });
});
