/**
 * The plan summary (scripts/plan-summary.ts, for CI's job summary and
 * `npm run plan:offline`) counts what Terraform's own "Plan:" line counts:
 * resources added, changed and destroyed, data sources apart.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planLine, summarizePlan } from '../../scripts/plan-summary';
import { terraformEnv } from '../../scripts/plan-offline-lib';

const change = (address: string, actions: string[], mode: 'managed' | 'data' = 'managed') => ({
  address,
  mode,
  type: address.replace(/^data\./, '').split('.')[0]!,
  change: { actions },
});

test('counts as Terraform does, lists destructive changes first and every change', () => {
  const md = summarizePlan(
    {
      resource_changes: [
        change('aws_lambda_function.a', ['create']),
        change('aws_lambda_function.b', ['update']),
        change('aws_rds_cluster.db', ['delete', 'create']),
        change('aws_s3_bucket.old', ['delete']),
        change('aws_vpc.vpc', ['no-op']),
        change('data.aws_iam_policy_document.p', ['read'], 'data'),
      ],
    },
    'Plan for prod',
  );
  expect(md).toContain('### Plan for prod');
  expect(md).toContain('**Plan: 2 to add, 1 to change, 2 to destroy (1 replaced; 1 data source read, not counted).**');
  expect(md).toContain('> - `-/+` `aws_rds_cluster.db` (replace)');
  expect(md).toContain('| `aws_lambda_function` | 1 | 1 |  |  |');
  expect(md).not.toContain('aws_vpc.vpc');
  expect(md).not.toContain('aws_iam_policy_document');
});

test('says so when nothing changes, whatever the data sources read', () => {
  expect(summarizePlan({ resource_changes: [change('aws_vpc.vpc', ['no-op']), change('data.aws_region.r', ['read'], 'data')] })).toContain('No changes.');
});

/**
 * A real plan with every kind of change, on Terraform's built-in
 * `terraform_data` resource and `terraform_remote_state` data source (no
 * provider to download): the summary's numbers are the ones `terraform plan`
 * prints.
 */
test('on a real plan, says what terraform plan says, data sources apart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sps-plan-summary-'));
  const env = terraformEnv();
  const tf = (...args: string[]) => execFileSync('terraform', args, { cwd: dir, env, encoding: 'utf8' });
  const write = (config: unknown) => writeFileSync(join(dir, 'main.tf.json'), JSON.stringify(config));
  try {
    write({ resource: { terraform_data: { keep: { input: 'same' }, change: { input: 'before' }, replace: { input: 'r', triggers_replace: 'v1' }, gone: { input: 'bye' } } } });
    tf('init', '-input=false', '-no-color');
    tf('apply', '-auto-approve', '-input=false', '-no-color');
    write({
      resource: { terraform_data: { keep: { input: 'same' }, change: { input: 'after' }, replace: { input: 'r', triggers_replace: 'v2' }, new: { input: 'hi' } } },
      // Read during apply (its config waits for terraform_data.new): a data source in the plan.
      data: { terraform_remote_state: { state: { backend: 'local', config: { path: '${terraform_data.new.id}.tfstate' } } } },
    });
    const printed = tf('plan', '-input=false', '-no-color', '-out=plan.tfplan');
    const plan = JSON.parse(tf('show', '-json', 'plan.tfplan'));

    expect(plan.resource_changes.map((c: { mode: string }) => c.mode)).toContain('data');
    const terraformLine = /^Plan: .*\.$/m.exec(printed)![0];
    expect(terraformLine).toBe('Plan: 2 to add, 1 to change, 2 to destroy.');
    expect(planLine(plan)).toBe('Plan: 2 to add, 1 to change, 2 to destroy (1 replaced; 1 data source read, not counted).');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
