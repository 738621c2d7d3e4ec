/** The CI bootstrap construct: synth assertions and the policy pack on it. */
import { Testing } from 'cdktf';
import { runPack } from '../../infra/policy/engine';
import { allRules } from '../../infra/policy/rules';
import { BootstrapStack, bootstrapSettingsFromEnv } from '../../infra/bootstrap/stack';
import { parsePolicy } from '../../infra/policy/iam-documents';
import { StackModel } from '../../infra/policy/model';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const props = {
  project: 'sps',
  region: 'eu-west-1',
  githubRepository: 'acme/platform',
  stateBucketName: 'acme-sps-tfstate',
};

function synth(extra: Partial<typeof props> & Record<string, unknown> = {}): Json {
  const app = Testing.app();
  const stack = new BootstrapStack(app, 'bootstrap', { ...props, ...extra });
  return JSON.parse(Testing.synth(stack));
}

function statements(json: Json, docName: string) {
  const model = new StackModel('bootstrap', json);
  const parsed = parsePolicy(model, `\${data.aws_iam_policy_document.${docName}.json}`);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.statements;
}

const docName = (json: Json, prefix: string) => Object.keys(json.data.aws_iam_policy_document).find((n) => n.startsWith(prefix))!;

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
    const reused = synth({ existingOidcProviderArn: arn } as never);
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
    const deny = statements(json, docName(json, 'ci_state-bucket-policy-doc'))[0];
    expect(deny).toMatchObject({ effect: 'Deny', actions: ['s3:*'], conditions: { Bool: { 'aws:SecureTransport': ['false'] } } });
  });

  test('uses S3-native locking: no DynamoDB lock table', () => {
    expect(json.resource.aws_dynamodb_table).toBeUndefined();
  });

  test('plan role: trusted by pull requests and main of the repository only', () => {
    const trust = statements(json, docName(json, 'ci_plan-trust'))[0];
    expect(trust.conditions.StringEquals).toEqual({
      'token.actions.githubusercontent.com:aud': ['sts.amazonaws.com'],
      'token.actions.githubusercontent.com:sub': ['repo:acme/platform:pull_request', 'repo:acme/platform:ref:refs/heads/main'],
    });
  });

  test('plan role: read-only (no write action outside the state lock files)', () => {
    const plan = statements(json, docName(json, 'ci_plan-policy-doc'));
    const writes = plan.flatMap((s) => s.actions.filter((a) => /:(Create|Delete|Put|Update|Modify|Attach|Tag)/.test(a)).map((a) => `${a} on ${s.resources.join(',')}`));
    expect(writes).toEqual([
      expect.stringMatching(/^s3:PutObject on .*\/sps\/\*\.tflock$/),
      expect.stringMatching(/^s3:DeleteObject on .*\/sps\/\*\.tflock$/),
    ]);
  });

  test('apply role: trusted only by the GitHub environments (protected by reviewers)', () => {
    const trust = statements(json, docName(json, 'ci_apply-trust'))[0];
    expect(trust.conditions.StringEquals['token.actions.githubusercontent.com:sub']).toEqual([
      'repo:acme/platform:environment:dev',
      'repo:acme/platform:environment:prod',
    ]);
  });

  test('apply role: IAM limited to project roles, PassRole only to our services', () => {
    const apply = statements(json, docName(json, 'ci_apply-policy-doc'));
    const iam = apply.filter((s) => s.actions.some((a) => a.startsWith('iam:')));
    for (const s of iam) expect(s.resources.every((r) => r.startsWith('arn:aws:iam::*:role/sps-') || r === 'arn:aws:iam::*:role/aws-service-role/*')).toBe(true);
    expect(apply.find((s) => s.actions.includes('iam:PassRole'))!.conditions.StringEquals['iam:PassedToService']).toEqual([
      'lambda.amazonaws.com',
      'rds.amazonaws.com',
      'vpc-flow-logs.amazonaws.com',
    ]);
  });

  test('passes the policy pack (state bucket, OIDC trust, IAM rules)', () => {
    const report = runPack([{ name: 'bootstrap', json }], { rules: allRules });
    expect(report.results.filter((r) => r.verdict !== 'pass')).toEqual([]);
    const judged = new Set(report.results.map((r) => r.rule));
    for (const id of ['SPS-S3-1', 'SPS-S3-2', 'SPS-S3-3', 'SPS-S3-4', 'SPS-OIDC-1', 'SPS-IAM-1', 'SPS-IAM-2', 'SPS-IAM-3', 'SPS-KMS-1']) expect(judged).toContain(id);
  });

  test('fails when the repository or bucket name is malformed', () => {
    expect(() => synth({ githubRepository: 'not a repo' })).toThrow('githubRepository: use "owner/name" (received "not a repo")');
    expect(() => synth({ stateBucketName: 'Bad_Bucket' })).toThrow('stateBucketName: use 3-63 lower-case letters');
  });

  test('settings come from BOOTSTRAP_* variables, placeholders are reported', () => {
    const s = bootstrapSettingsFromEnv({ project: 'sps', region: 'eu-west-1' }, { BOOTSTRAP_GITHUB_REPOSITORY: 'acme/x', BOOTSTRAP_APPLY_ENVIRONMENTS: 'dev, staging ,prod' });
    expect(s).toMatchObject({ githubRepository: 'acme/x', applyEnvironments: ['dev', 'staging', 'prod'], placeholders: ['BOOTSTRAP_STATE_BUCKET'] });
  });
});
