/** The CI bootstrap construct: synth assertions and the policy pack on it, and the CI rules on the design before issue 11. */
import { readFileSync } from 'node:fs';
import { Testing } from 'cdktf';
import { runPack } from '../../infra/policy/engine';
import { allRules } from '../../infra/policy/rules';
import { BootstrapStack, bootstrapSettingsFromEnv } from '../../infra/bootstrap/stack';
import { parsePolicy, type Statement } from '../../infra/policy/iam-documents';
import { StackModel } from '../../infra/policy/model';
import { testApp } from '../support/temp';
import { MANAGED_POLICIES_PER_ROLE, MANAGED_POLICY_MAX_CHARS, policyChars, splitIntoPolicies } from '../../infra/bootstrap/ci-permissions';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const props = {
  project: 'sps',
  region: 'eu-west-1',
  githubRepository: 'acme/platform',
  stateBucketName: 'acme-sps-tfstate',
  environments: [{ name: 'dev' }, { name: 'prod' }],
};

function synth(extra: Record<string, unknown> = {}): Json {
  const stack = new BootstrapStack(testApp(), 'bootstrap', { ...props, ...extra });
  return JSON.parse(Testing.synth(stack));
}

/** The statements of every policy document whose name starts with `prefix` (a role's managed policies are its parts). */
function statements(json: Json, prefix: string): Statement[] {
  const model = new StackModel('bootstrap', json);
  const names = Object.keys(json.data.aws_iam_policy_document).filter((n) => n.startsWith(prefix));
  if (names.length === 0) throw new Error(`no policy document named ${prefix}*`);
  return names.flatMap((name) => {
    const parsed = parsePolicy(model, `\${data.aws_iam_policy_document.${name}.json}`);
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.statements;
  });
}

const docName = (_json: Json, prefix: string) => prefix;
const roleNames = (json: Json) => Object.values(json.resource.aws_iam_role as Record<string, Json>).map((r) => r.name).sort();

describe('CI bootstrap', () => {
  let json: Json;
  beforeAll(() => {
    json = synth();
  });

  test('creates the GitHub OIDC provider for sts.amazonaws.com', () => {
    expect(Object.values(json.resource.aws_iam_openid_connect_provider)).toEqual([
      expect.objectContaining({ url: 'https://token.actions.githubusercontent.com', client_id_list: ['sts.amazonaws.com'] }),
    ]);
  });

  test('reuses an existing OIDC provider when given its ARN', () => {
    const arn = 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com';
    const reused = synth({ existingOidcProviderArn: arn });
    expect(reused.resource.aws_iam_openid_connect_provider).toBeUndefined();
    expect(JSON.stringify(reused.data.aws_iam_policy_document)).toContain(arn);
  });

  test('state bucket: versioned, SSE-KMS with a rotating key, public access blocked, TLS only, never destroyed', () => {
    const bucket = Object.values(json.resource.aws_s3_bucket)[0] as Json;
    expect(bucket).toMatchObject({ bucket: 'acme-sps-tfstate', lifecycle: { prevent_destroy: true } });
    expect(Object.values(json.resource.aws_s3_bucket_versioning)[0]).toMatchObject({ versioning_configuration: { status: 'Enabled' } });
    expect(JSON.stringify(json.resource.aws_s3_bucket_server_side_encryption_configuration)).toContain('"sse_algorithm":"aws:kms"');
    expect(Object.values(json.resource.aws_kms_key)[0]).toMatchObject({ enable_key_rotation: true });
    expect(Object.values(json.resource.aws_s3_bucket_public_access_block)[0]).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    const deny = statements(json, docName(json, 'ci_state-bucket-policy-doc'))[0]!;
    expect(deny).toMatchObject({ effect: 'Deny', actions: ['s3:*'], conditions: { Bool: { 'aws:SecureTransport': ['false'] } } });
  });

  test('uses S3-native locking: no DynamoDB lock table', () => {
    expect(json.resource.aws_dynamodb_table).toBeUndefined();
  });

  test('one plan role, one apply role and one permissions boundary per environment', () => {
    expect(roleNames(json)).toEqual(['sps-ci-dev-apply', 'sps-ci-dev-plan', 'sps-ci-prod-apply', 'sps-ci-prod-plan']);
    const policies = Object.values(json.resource.aws_iam_policy as Record<string, Json>).map((p) => p.name as string);
    expect(policies.filter((n) => n.endsWith('-boundary')).sort()).toEqual(['sps-dev-boundary', 'sps-prod-boundary']);
    // Each role's statements in managed policies <role>-<n>, each attached to its role.
    expect(policies.filter((n) => !n.endsWith('-boundary')).map((n) => n.replace(/-\d+$/, '')).sort()).toEqual(
      expect.arrayContaining(['sps-ci-dev-apply', 'sps-ci-dev-plan', 'sps-ci-prod-apply', 'sps-ci-prod-plan']),
    );
    expect(Object.keys(json.resource.aws_iam_role_policy ?? {})).toEqual([]);
  });

  test('every CI policy fits IAM\'s limits: 6,144 characters a managed policy (references at 128), 10 managed policies a role', () => {
    for (const role of ['ci_dev-plan', 'ci_dev-apply', 'ci_prod-apply']) {
      const parts = Object.keys(json.data.aws_iam_policy_document).filter((n) => n.startsWith(`${role}-policy-doc-`));
      expect(parts.length).toBeGreaterThan(0);
      expect(parts.length).toBeLessThanOrEqual(MANAGED_POLICIES_PER_ROLE);
      for (const part of parts) {
        const doc = json.data.aws_iam_policy_document[part] as { statement: { sid?: string; effect: 'Allow' | 'Deny'; actions: string[]; resources: string[]; condition?: never }[] };
        expect(policyChars(doc.statement.map((st) => ({ sid: st.sid ?? '', effect: st.effect, actions: st.actions, resources: st.resources, condition: st.condition })))).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
      }
    }
    // The apply role's statements (~18,000 characters) would not fit one role's 10,240 characters of inline policy.
    expect(() => splitIntoPolicies('x', Array.from({ length: 11 }, (_, i) => ({ sid: `S${i}`, effect: 'Allow' as const, actions: ['s3:GetObject'], resources: ['x'.repeat(5_000)] })))).toThrow(
      /x: needs 11 managed policies, over IAM's default of 10 per role/,
    );
  });

  test('plan roles: trusted by pull requests and main of the repository only', () => {
    const trust = statements(json, docName(json, 'ci_prod-plan-trust'))[0]!;
    expect(trust.conditions.StringEquals).toEqual({
      'token.actions.githubusercontent.com:aud': ['sts.amazonaws.com'],
      'token.actions.githubusercontent.com:sub': ['repo:acme/platform:pull_request', 'repo:acme/platform:ref:refs/heads/main'],
    });
  });

  test('plan role: no write outside its own lock file; reads what the provider reads (rds:DescribeGlobalClusters)', () => {
    const plan = statements(json, docName(json, 'ci_dev-plan-policy-doc')).filter((s) => s.effect === 'Allow');
    const writes = plan.flatMap((s) => s.actions.filter((a) => /:(Create|Delete|Put|Update|Modify|Attach|Tag|Register)/.test(a)).map((a) => `${a} on ${s.resources.join(',')}`));
    expect(writes).toEqual([expect.stringMatching(/^s3:PutObject on .*\/sps\/dev\.tfstate\.tflock$/), expect.stringMatching(/^s3:DeleteObject on .*\/sps\/dev\.tfstate\.tflock$/)]);
    const actions = plan.flatMap((s) => s.actions);
    for (const a of ['rds:DescribeGlobalClusters', 'kms:GetKeyPolicy', 'lambda:GetFunctionCodeSigningConfig', 'iam:ListAttachedRolePolicies', 'ec2:DescribePrefixLists']) expect(actions).toContain(a);
    const state = plan.find((s) => s.actions.includes('s3:GetObject'))!;
    expect(state.resources).toEqual([expect.stringMatching(/\/sps\/dev\.tfstate$/)]);
  });

  test('apply roles: each trusted only by its own GitHub environment', () => {
    for (const env of ['dev', 'prod']) {
      const trust = statements(json, docName(json, `ci_${env}-apply-trust`))[0]!;
      expect(trust.conditions.StringEquals['token.actions.githubusercontent.com:sub']).toEqual([`repo:acme/platform:environment:${env}`]);
    }
  });

  test('apply role: roles created only under the boundary, passed only to our services, CI roles and the state key out of reach', () => {
    const apply = statements(json, docName(json, 'ci_dev-apply-policy-doc'));
    const create = apply.find((s) => s.actions.includes('iam:CreateRole'))!;
    expect(create.resources).toEqual(['arn:aws:iam::*:role/sps-dev-*']);
    expect(create.conditions.StringEquals['iam:PermissionsBoundary']).toEqual([expect.stringMatching(/aws_iam_policy\.ci_dev-boundary_\w+\.arn/)]);
    expect(apply.find((s) => s.actions.includes('iam:PassRole'))!.conditions.StringEquals['iam:PassedToService']).toEqual(['lambda.amazonaws.com', 'rds.amazonaws.com', 'vpc-flow-logs.amazonaws.com']);
    const denies = apply.filter((s) => s.effect === 'Deny');
    expect(denies.find((s) => s.resources.includes('arn:aws:iam::*:role/sps-ci-*'))!.actions).toEqual(['iam:*']);
    expect(denies.some((s) => s.actions.includes('iam:DeleteRolePermissionsBoundary'))).toBe(true);
    expect(denies.find((s) => s.actions.includes('kms:ScheduleKeyDeletion'))!.resources).toEqual([expect.stringMatching(/aws_kms_key\.ci_state-key_\w+\.arn/)]);
    expect(denies.find((s) => s.actions.includes('ec2:*'))!.conditions.StringNotEquals['aws:ResourceTag/environment']).toEqual(['dev', 'bootstrap']);
  });

  test('apply role: has what the provider needs beyond the obvious (private DNS of an interface endpoint, DescribeGlobalClusters)', () => {
    const actions = statements(json, docName(json, 'ci_dev-apply-policy-doc')).flatMap((s) => s.actions);
    for (const a of ['route53:AssociateVPCWithHostedZone', 'rds:DescribeGlobalClusters', 'rds:RegisterDBProxyTargets', 'ec2:CreateVpcEndpoint', 'secretsmanager:CreateSecret', 'lambda:InvokeFunction', 'kms:CreateGrant']) {
      expect(actions).toContain(a);
    }
  });

  test('Cognito: new user pools only with the environment tag; pools, clients and groups only on pools that carry it', () => {
    const apply = statements(json, docName(json, 'ci_dev-apply-policy-doc'));
    expect(apply.find((s) => s.actions.includes('cognito-idp:CreateUserPool'))!.conditions.StringEquals).toEqual({ 'aws:RequestTag/environment': ['dev'] });
    const manage = apply.find((s) => s.actions.includes('cognito-idp:CreateUserPoolClient'))!;
    expect(manage.resources).toEqual(['arn:aws:cognito-idp:eu-west-1:*:userpool/*']);
    expect(manage.conditions.StringEquals).toEqual({ 'aws:ResourceTag/environment': ['dev'] });
    const plan = statements(json, docName(json, 'ci_dev-plan-policy-doc'));
    expect(plan.find((s) => s.actions.includes('cognito-idp:DescribeUserPool'))!.conditions.StringEquals).toEqual({ 'aws:ResourceTag/environment': ['dev'] });
    expect(plan.flatMap((s) => (s.effect === 'Deny' ? [] : s.actions)).filter((a) => a.startsWith('cognito-idp:') && !/^cognito-idp:(Describe|Get)/.test(a))).toEqual([]);
  });

  test('web front end: the apply role may create only the environment\'s bucket (by name), distribution (by tag), function and log delivery (by name, us-east-1)', () => {
    const apply = statements(json, docName(json, 'ci_dev-apply-policy-doc'));
    const granting = (action: string) => apply.filter((s) => s.effect === 'Allow' && s.actions.includes(action));
    expect(granting('s3:CreateBucket').map((s) => s.resources)).toEqual([['arn:aws:s3:::sps-dev-web-*']]);
    expect(granting('s3:PutObject').flatMap((s) => s.resources)).toEqual(expect.arrayContaining(['arn:aws:s3:::sps-dev-web-*/*']));
    expect(granting('s3:PutObject').flatMap((s) => s.resources).filter((r) => r.includes('sps-prod'))).toEqual([]);
    const create = granting('cloudfront:CreateDistribution');
    expect(create.map((s) => [s.resources, s.conditions.StringEquals])).toEqual([[['arn:aws:cloudfront::*:distribution/*'], { 'aws:RequestTag/environment': ['dev'] }]]);
    for (const a of ['cloudfront:UpdateDistribution', 'cloudfront:DeleteDistribution', 'cloudfront:AllowVendedLogDeliveryForResource']) {
      expect(granting(a).map((s) => s.conditions.StringEquals)).toEqual([{ 'aws:ResourceTag/environment': ['dev'] }]);
    }
    expect(granting('cloudfront:CreateFunction').map((s) => s.resources)).toEqual([['arn:aws:cloudfront::*:function/sps-dev-*']]);
    expect(granting('logs:PutDeliverySource').flatMap((s) => s.resources)).toEqual(['arn:aws:logs:us-east-1:*:delivery-source:sps-dev-*', 'arn:aws:logs:us-east-1:*:delivery-destination:sps-dev-*']);
    expect(granting('logs:CreateLogGroup').flatMap((s) => s.resources)).toContain('arn:aws:logs:us-east-1:*:log-group:/aws/cloudfront/sps-dev/*');
    // No tags, ids for ARN: OACs and response headers policies are the only CloudFront writes without a scope.
    const unscoped = apply.filter(
      (s) => s.effect === 'Allow' && s.actions.some((a) => /^cloudfront:(Create|Update|Delete)/.test(a)) && Object.keys(s.conditions ?? {}).length === 0 && !s.resources.some((r) => r.includes('sps-dev')),
    );
    expect(unscoped.flatMap((s) => s.resources)).toEqual(['arn:aws:cloudfront::*:origin-access-control/*', 'arn:aws:cloudfront::*:response-headers-policy/*']);
    expect(apply.find((s) => s.effect === 'Deny' && s.actions.includes('ec2:*'))!.actions).toEqual(expect.arrayContaining(['cloudfront:*', 's3:*']));
  });

  test('web front end: the plan role reads the bucket, distribution, function and log delivery, and writes none of them', () => {
    const plan = statements(json, docName(json, 'ci_dev-plan-policy-doc')).filter((s) => s.effect === 'Allow');
    const actions = plan.flatMap((s) => s.actions);
    for (const a of ['s3:GetBucketPolicy', 's3:GetBucketOwnershipControls', 's3:GetObjectTagging', 'cloudfront:GetDistribution', 'cloudfront:GetFunction', 'cloudfront:GetOriginAccessControl', 'logs:GetDelivery', 'logs:GetDeliverySource']) expect(actions).toContain(a);
    // (The state statements write the lock file only: tested above.)
    const web = plan.filter((s) => !s.resources.some((r) => r.includes('tfstate')));
    expect(web.flatMap((s) => s.actions).filter((a) => /^(cloudfront|s3):/.test(a) && !/^(cloudfront|s3):(Get|List|Describe)/.test(a))).toEqual([]);
    expect(plan.find((s) => s.actions.includes('cloudfront:GetDistribution'))!.conditions.StringEquals).toEqual({ 'aws:ResourceTag/environment': ['dev'] });
  });

  test('KMS: new keys only with the environment tag, changes only to keys that carry it', () => {
    const apply = statements(json, docName(json, 'ci_dev-apply-policy-doc'));
    expect(apply.find((s) => s.actions.includes('kms:CreateKey'))!.conditions.StringEquals).toEqual({ 'aws:RequestTag/environment': ['dev'] });
    const manage = apply.find((s) => s.actions.includes('kms:PutKeyPolicy') && s.effect === 'Allow')!;
    expect(manage.conditions.StringEquals).toEqual({ 'aws:ResourceTag/environment': ['dev'] });
  });

  test('the boundary allows no IAM and no STS', () => {
    const boundary = statements(json, docName(json, 'ci_dev-boundary-doc'));
    expect(boundary.flatMap((s) => s.actions).filter((a) => /^(iam|sts):/.test(a))).toEqual([]);
  });

  test('passes the policy pack (state bucket, OIDC trust, IAM and CI rules)', () => {
    const report = runPack([{ name: 'bootstrap', json }], { rules: allRules });
    expect(report.results.filter((r) => r.verdict !== 'pass')).toEqual([]);
    const judged = new Set(report.results.map((r) => r.rule));
    for (const id of ['SPS-S3-1', 'SPS-S3-2', 'SPS-S3-3', 'SPS-S3-4', 'SPS-OIDC-1', 'SPS-IAM-1', 'SPS-IAM-2', 'SPS-IAM-3', 'SPS-KMS-1', 'SPS-CI-1', 'SPS-CI-2', 'SPS-CI-3']) expect(judged).toContain(id);
  });

  test('fails when the repository, bucket or environment names are unusable', () => {
    expect(() => synth({ githubRepository: 'not a repo' })).toThrow('githubRepository: use "owner/name" (received "not a repo")');
    expect(() => synth({ stateBucketName: 'Bad_Bucket' })).toThrow('stateBucketName: use 3-63 lower-case letters');
    expect(() => synth({ environments: [{ name: 'dev' }, { name: 'dev-eu' }] })).toThrow('environments: "dev-eu" starts with "dev-", so name-scoped permissions of dev would reach dev-eu; rename one');
    expect(() => synth({ environments: [] })).toThrow('environments: list at least one environment');
  });

  test('settings come from BOOTSTRAP_* variables, placeholders are reported', () => {
    const s = bootstrapSettingsFromEnv({ project: 'sps', region: 'eu-west-1', environments: ['dev', 'prod'] }, { BOOTSTRAP_GITHUB_REPOSITORY: 'acme/x', BOOTSTRAP_ENVIRONMENTS: 'dev, staging ,prod' });
    expect(s).toMatchObject({ githubRepository: 'acme/x', environments: [{ name: 'dev' }, { name: 'staging' }, { name: 'prod' }], placeholders: ['BOOTSTRAP_STATE_BUCKET'] });
    expect(bootstrapSettingsFromEnv({ project: 'sps', region: 'eu-west-1', environments: ['dev', 'prod'] }, {}).environments).toEqual([{ name: 'dev' }, { name: 'prod' }]);
  });
});

describe('the CI rules catch the bootstrap as it was before issue 11 (one apply role for every environment)', () => {
  const before = JSON.parse(readFileSync(new URL('./fixtures/bootstrap-before-issue-11.json', import.meta.url), 'utf8')) as Json;
  const report = runPack([{ name: 'bootstrap', json: before }], { rules: allRules });
  const failures = (rule: string) => report.results.filter((r) => r.rule === rule && r.verdict === 'fail').map((r) => `${r.resource}: ${r.message}`);

  test('SPS-CI-1: the apply role may rewrite its own policy (a self-escalation path)', () => {
    expect(failures('SPS-CI-1')).toEqual([expect.stringMatching(/^aws_iam_role\.ci_apply-role_\w+: may iam:\w+ on CI role sps-ci-(apply|plan)/)]);
  });

  test('SPS-CI-2: one apply role serves dev and prod, and both roles reach every state object', () => {
    expect(failures('SPS-CI-2')).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/ci_apply-role_\w+: trusted by 2 GitHub environments/),
        expect.stringMatching(/ci_plan-role_\w+: .*(not a per-environment CI role|every state object)/),
      ]),
    );
  });

  test('SPS-CI-3: the apply role may create roles without a permissions boundary', () => {
    expect(failures('SPS-CI-3')).toEqual([expect.stringMatching(/ci_apply-role_\w+: may iam:CreateRole.* without requiring a permissions boundary/)]);
  });
});
