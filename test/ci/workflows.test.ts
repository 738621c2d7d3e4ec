/**
 * The CI/CD workflows: linted offline with GitHub's workflow parser (schema
 * and expressions) plus our structural checks, and asserted on the properties
 * the pipeline promises (OIDC only, reviewed prod plan, one apply per state).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { lintWorkflow, lintWorkflows } from '../../scripts/lint-workflows';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const root = resolve(import.meta.dirname, '..', '..');
const dir = join(root, '.github', 'workflows');
const load = (f: string): Json => parseYaml(readFileSync(join(dir, f), 'utf8'));
const steps = (job: Json): Json[] => job.steps ?? [];

describe('workflow lint', () => {
  test('every workflow passes the linter', () => {
    expect(readdirSync(dir).sort()).toEqual(['deploy.yml', 'pull-request.yml', 'terraform-plan.yml']);
    expect(lintWorkflows(root)).toEqual([]);
  });

  const valid = `name: x
on: push
permissions:
  contents: read
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo "\${{ github.sha }} \${{ vars.AWS_REGION }}"
`;

  test('accepts a valid workflow', () => {
    expect(lintWorkflow('valid.yml', valid, root)).toEqual([]);
  });

  test.each<[string, string, string]>([
    ['an unknown event', valid.replace('on: push', 'on: pushh'), "Unexpected value 'pushh'"],
    ['an unknown permission', valid.replace('contents: read', 'id-tokn: write'), "Unexpected value 'id-tokn'"],
    ['an unknown context in an expression', valid.replace('vars.AWS_REGION', 'varz.AWS_REGION'), "Unrecognized named-value: 'varz'"],
    ['a broken expression', valid.replace('github.sha }}', 'fromJSON( }}'), 'Unexpected end of expression'],
    ['a step with both uses and run', valid.replace('      - run:', '      - uses: actions/checkout@v4\n        run:'), "Unexpected value 'run'"],
    ['needs of a missing job', valid.replace('    runs-on:', '    needs: [build]\n    runs-on:'), 'job "a" needs "build", which is not a job of this workflow'],
    ['needs.<job> without needs', valid.replace('github.sha', 'needs.plan.outputs.id'), 'job "a" reads needs.plan but does not list "plan" in needs'],
    [
      'a missing input of a reusable workflow',
      'on: push\njobs:\n  p:\n    uses: ./.github/workflows/terraform-plan.yml\n    with:\n      keep-plan: true\n',
      'does not pass required input "environment"',
    ],
    [
      'an unknown input of a reusable workflow',
      'on: push\njobs:\n  p:\n    uses: ./.github/workflows/terraform-plan.yml\n    with:\n      environment: dev\n      stage: dev\n',
      'passes unknown input "stage"',
    ],
    ['a needs cycle', 'on: push\njobs:\n  a:\n    needs: b\n    runs-on: x\n    steps: [{run: a}]\n  b:\n    needs: a\n    runs-on: x\n    steps: [{run: b}]\n', 'needs cycle'],
  ])('catches %s', (_what, content, message) => {
    const problems = lintWorkflow('broken.yml', content, root);
    expect(problems.map((p) => p.message).join('\n')).toContain(message);
  });
});

describe('pipeline properties', () => {
  const pr = load('pull-request.yml');
  const deploy = load('deploy.yml');
  const plan = load('terraform-plan.yml');
  const all = [pr, deploy, plan];

  test('least privilege by default: contents read at workflow level, id-token only where AWS is used', () => {
    for (const wf of [pr, deploy]) expect(wf.permissions).toEqual({ contents: 'read' });
    const awsJobs = ([...Object.values(deploy.jobs), ...Object.values(pr.jobs)] as Json[]).filter(
      (j) => j.uses?.includes('terraform-plan') || steps(j).some((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials')),
    );
    expect(awsJobs.length).toBe(3);
    for (const j of awsJobs) expect(j.permissions).toEqual({ 'id-token': 'write', contents: 'read' });
  });

  test("AWS credentials come from GitHub OIDC, each job assuming its environment's own role, never keys", () => {
    const text = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
    expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY|secrets\.AWS/);
    const credSteps = all.flatMap((wf) => Object.values(wf.jobs as Json).flatMap((j: Json) => steps(j))).filter((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials'));
    expect(credSteps.map((s) => s.with['role-to-assume'])).toEqual([
      'arn:aws:iam::${{ vars.AWS_ACCOUNT_ID }}:role/${{ matrix.apply_role }}',
      'arn:aws:iam::${{ vars.AWS_ACCOUNT_ID }}:role/${{ inputs.plan-role }}',
    ]);
  });

  test('the environment list is generated from infra/config, and matches the roles the bootstrap creates', async () => {
    const { ciMatrix } = await import('../../scripts/ci-environments');
    const { loadAllConfigs } = await import('../../infra/config');
    // Every environment, in config order, with the role names infra/bootstrap gives it.
    expect(ciMatrix().include).toEqual(
      loadAllConfigs().map((c) => ({ environment: c.name, region: c.region, plan_role: `${c.project}-ci-${c.name}-plan`, apply_role: `${c.project}-ci-${c.name}-apply` })),
    );
    for (const wf of [pr, deploy]) {
      expect(steps(wf.jobs.environments).map((s) => s.run ?? '').join('\n')).toContain('npx tsx scripts/ci-environments.ts >> "$GITHUB_OUTPUT"');
      expect(wf.jobs.plan.strategy.matrix).toBe('${{ fromJSON(needs.environments.outputs.matrix) }}');
    }
    expect(deploy.jobs.apply.strategy.matrix).toBe('${{ fromJSON(needs.environments.outputs.matrix) }}');
  });

  test('fork pull requests never reach AWS (GitHub gives them no OIDC token): they plan offline', () => {
    expect(pr.jobs.plan.if).toContain('github.event.pull_request.head.repo.full_name == github.repository');
    expect(pr.jobs['plan-offline'].if).toContain('github.event.pull_request.head.repo.full_name != github.repository');
    expect(pr.on).toEqual({ pull_request: { branches: ['main'] } }); // never pull_request_target
  });

  test('pull requests: install with npm cache, test, synth, policy pack, plan per environment', () => {
    const verify = steps(pr.jobs.verify);
    expect(verify.find((s) => s.uses?.startsWith('actions/setup-node'))?.with.cache).toBe('npm');
    const runs = verify.map((s) => s.run ?? '').join('\n');
    for (const cmd of ['npm ci', 'npm test', 'npx cdktf synth', 'npm run check']) expect(runs).toContain(cmd);
    expect(pr.jobs.plan.uses).toBe('./.github/workflows/terraform-plan.yml');
    expect(pr.jobs['plan-offline'].steps.map((s: Json) => s.run ?? '').join('\n')).toContain('npm run plan:offline');
  });

  test('the plan writes a summary and uploads the plan', () => {
    const runs = steps(plan.jobs.plan).map((s) => s.run ?? '').join('\n');
    expect(runs).toContain('terraform plan -input=false -lock-timeout=10m -out=tfplan');
    expect(runs).toContain('scripts/plan-summary.ts');
    expect(runs).toContain('$GITHUB_STEP_SUMMARY');
    const uploads = steps(plan.jobs.plan).filter((s) => s.uses?.startsWith('actions/upload-artifact'));
    expect(uploads.map((u) => u.with.name)).toEqual(['plan-${{ inputs.environment }}', 'tfplan-${{ inputs.environment }}']);
  });

  test('main: each environment applies its reviewed plan, in config order, behind its GitHub environment', () => {
    expect(deploy.on.push.branches).toEqual(['main']);
    expect(deploy.jobs.plan.with['keep-plan']).toBe(true);
    const apply = deploy.jobs.apply;
    expect(apply.environment).toBe('${{ matrix.environment }}');
    expect(apply.needs).toEqual(['plan', 'environments']);
    expect(apply.strategy).toMatchObject({ 'max-parallel': 1, 'fail-fast': true });
    const s = steps(apply);
    expect(s.find((x) => x.uses?.startsWith('actions/download-artifact'))?.with.name).toBe('tfplan-${{ matrix.environment }}');
    expect(s.map((x) => x.run ?? '').join('\n')).toMatch(/terraform apply -input=false -lock-timeout=10m tfplan$/m);
    expect(s.map((x) => x.run ?? '').join('\n')).not.toContain('terraform plan');
  });

  test('two applies never run on one state: a concurrency group per environment, never cancelled', () => {
    expect(deploy.concurrency['cancel-in-progress']).toBe(false);
    expect(deploy.jobs.apply.concurrency).toEqual({ group: 'terraform-state-${{ matrix.environment }}', 'cancel-in-progress': false });
  });

  test('workflows run Node 22 (.nvmrc), like the functions', () => {
    const setups = all.flatMap((wf) => Object.values(wf.jobs as Json).flatMap((j: Json) => steps(j))).filter((s) => s.uses?.startsWith('actions/setup-node'));
    expect(setups.length).toBeGreaterThan(0);
    for (const s of setups) expect(s.with['node-version-file']).toBe('.nvmrc');
  });

  test('actions are pinned to a major version', () => {
    const uses = all.flatMap((wf) => Object.values(wf.jobs as Json).flatMap((j: Json) => steps(j).map((s) => s.uses).filter(Boolean)));
    for (const u of uses) expect(u).toMatch(/^[\w-]+\/[\w-]+@v\d+$/);
  });
});
