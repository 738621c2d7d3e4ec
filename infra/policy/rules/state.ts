/** State bucket and CI identity rules (the bootstrap stack). */
import { blocks, bool, list, type StackModel, type TfResource } from '../model';
import { parsePolicy } from '../iam-documents';
import type { CheckResult, Rule } from '../types';
import { fail, pass, show } from './util';

const BUCKET = ['aws_s3_bucket'];

/** The first resource of `type` whose `bucket` attribute references this bucket. */
function bucketConfig(model: StackModel, bucket: TfResource, type: string): TfResource | undefined {
  return model.referrers(bucket, type, 'bucket')[0];
}

const GITHUB_OIDC = 'token.actions.githubusercontent.com';

export const stateRules: Rule[] = [
  {
    id: 'SPS-S3-1',
    title: 'S3 buckets are versioned',
    mapsTo: ['CKV_AWS_21', 'NIST.800.53.R5-S3BucketVersioningEnabled'],
    rationale: 'Terraform state must survive a bad write: versioning keeps every previous state.',
    fix: 'Add aws_s3_bucket_versioning with versioning_configuration { status = "Enabled" }.',
    resourceTypes: BUCKET,
    check: ({ model }) =>
      model.ofType('aws_s3_bucket').map((b) => {
        const v = bucketConfig(model, b, 'aws_s3_bucket_versioning');
        const status = blocks(v?.values.versioning_configuration)[0]?.status;
        return status === 'Enabled' ? pass(b, `versioned by ${v!.address}`) : fail(b, `versioning status ${show(status)}`);
      }),
  },
  {
    id: 'SPS-S3-2',
    title: 'S3 buckets are encrypted with KMS by default',
    mapsTo: ['CKV_AWS_145', 'NIST.800.53.R5-S3DefaultEncryptionKMS'],
    rationale: 'State holds resource attributes (ARNs, endpoints); encrypt it under a key whose use is logged.',
    fix: 'Add aws_s3_bucket_server_side_encryption_configuration with sse_algorithm "aws:kms" and our key.',
    resourceTypes: BUCKET,
    check: ({ model }) =>
      model.ofType('aws_s3_bucket').map((b) => {
        const sse = bucketConfig(model, b, 'aws_s3_bucket_server_side_encryption_configuration');
        const rule = blocks(blocks(sse?.values.rule)[0]?.apply_server_side_encryption_by_default)[0];
        if (rule?.sse_algorithm !== 'aws:kms' && rule?.sse_algorithm !== 'aws:kms:dsse') return fail(b, `sse_algorithm=${show(rule?.sse_algorithm)}`);
        return pass(b, `SSE-KMS via ${sse!.address}`);
      }),
  },
  {
    id: 'SPS-S3-3',
    title: 'S3 buckets block all public access',
    mapsTo: ['CKV2_AWS_6', 'AwsSolutions-S2', 'CKV_AWS_53', 'CKV_AWS_54', 'CKV_AWS_55', 'CKV_AWS_56'],
    rationale: 'State must never become public through an ACL or a policy mistake.',
    fix: 'Add aws_s3_bucket_public_access_block with all four settings true.',
    resourceTypes: BUCKET,
    check: ({ model }) =>
      model.ofType('aws_s3_bucket').map((b) => {
        const pab = bucketConfig(model, b, 'aws_s3_bucket_public_access_block');
        const keys = ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'];
        const off = keys.filter((k) => bool(pab?.values[k]) !== true);
        return off.length === 0 ? pass(b, `blocked by ${pab!.address}`) : fail(b, `public access not blocked: ${off.join(', ')}`);
      }),
  },
  {
    id: 'SPS-S3-4',
    title: 'S3 bucket policies deny requests without TLS',
    mapsTo: ['AwsSolutions-S10', 'NIST.800.53.R5-S3BucketSSLRequestsOnly'],
    rationale: 'State and lock files must never travel in clear text.',
    fix: 'Add a bucket policy statement Deny s3:* for aws:SecureTransport = false on the bucket and its objects.',
    resourceTypes: BUCKET,
    check: ({ model }) =>
      model.ofType('aws_s3_bucket').map((b) => {
        const policy = bucketConfig(model, b, 'aws_s3_bucket_policy');
        if (!policy) return fail(b, 'no aws_s3_bucket_policy');
        const doc = parsePolicy(model, policy.values.policy);
        if (!doc.ok) return fail(b, `${policy.address}: ${doc.reason}`);
        const denies = doc.statements.some(
          (s) =>
            s.effect === 'Deny' &&
            (s.actions.includes('s3:*') || s.actions.includes('*')) &&
            Object.values(s.conditions).some((c) => ['false', false].some((f) => list((c as Record<string, unknown>)['aws:SecureTransport']).includes(f))),
        );
        return denies ? pass(b, `${policy.address} denies non-TLS requests`) : fail(b, `${policy.address} has no Deny on aws:SecureTransport = false`);
      }),
  },
  {
    id: 'SPS-S3-5',
    title: 'S3 buckets have ACLs disabled (object ownership BucketOwnerEnforced)',
    mapsTo: ['CKV2_AWS_65'],
    rationale: 'With ACLs disabled the bucket policy alone decides who reads and writes; an ACL cannot open an object behind its back (S3 User Guide, "Controlling ownership of objects").',
    fix: 'Add aws_s3_bucket_ownership_controls with rule { object_ownership = "BucketOwnerEnforced" } and no aws_s3_bucket_acl.',
    resourceTypes: BUCKET,
    check: ({ model }) =>
      model.ofType('aws_s3_bucket').map((b) => {
        const acl = model.referrers(b, 'aws_s3_bucket_acl', 'bucket')[0];
        if (acl) return fail(b, `ACL set by ${acl.address}`);
        const ownership = bucketConfig(model, b, 'aws_s3_bucket_ownership_controls');
        const mode = blocks(ownership?.values.rule)[0]?.object_ownership;
        return mode === 'BucketOwnerEnforced' ? pass(b, `ACLs disabled by ${ownership!.address}`) : fail(b, `object_ownership=${show(mode)}`);
      }),
  },
  {
    id: 'SPS-OIDC-1',
    title: 'Roles trusted by GitHub OIDC are restricted to our repository (and audience)',
    mapsTo: ['CKV_AWS_358', 'CKV_AWS_393'],
    rationale: "Without a sub condition any GitHub repository's workflow could assume the role.",
    fix: 'Add StringEquals token.actions.githubusercontent.com:aud = sts.amazonaws.com and a :sub condition naming repo:<owner>/<repo>:...',
    resourceTypes: ['aws_iam_role'],
    check: ({ model }) => {
      const out: CheckResult[] = [];
      for (const role of model.ofType('aws_iam_role')) {
        const doc = parsePolicy(model, role.values.assume_role_policy);
        if (!doc.ok) continue;
        const federated = doc.statements.filter((s) =>
          (s.principals.Federated ?? []).some((p) => p.includes(GITHUB_OIDC) || model.targets(p, 'aws_iam_openid_connect_provider').length > 0),
        );
        if (federated.length === 0) continue;
        const problems: string[] = [];
        for (const s of federated) {
          const flat: Record<string, unknown[]> = {};
          for (const [op, byKey] of Object.entries(s.conditions)) {
            for (const [key, v] of Object.entries(byKey)) flat[`${op} ${key}`] = list(v);
          }
          const aud = flat[`StringEquals ${GITHUB_OIDC}:aud`];
          if (!aud || !aud.every((a) => a === 'sts.amazonaws.com')) problems.push('aud is not pinned to sts.amazonaws.com');
          const subs = [...(flat[`StringEquals ${GITHUB_OIDC}:sub`] ?? []), ...(flat[`StringLike ${GITHUB_OIDC}:sub`] ?? [])].map(String);
          if (subs.length === 0) problems.push('no :sub condition');
          for (const sub of subs) {
            if (!/^repo:[^/*:]+\/[^/*:]+:.+/.test(sub)) problems.push(`sub ${JSON.stringify(sub)} does not pin owner/repo`);
          }
        }
        out.push(problems.length ? fail(role, problems.join('; ')) : pass(role, 'trust pinned to repository and audience'));
      }
      return out;
    },
  },
];
