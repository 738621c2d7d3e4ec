/**
 * What a team needs once per AWS account before CI can plan and apply the
 * environment stacks:
 *
 *   createStateKey(); createStateBucket(); createOidcProvider(); and per environment:
 *   createBoundary(); createPlanRole(); createApplyRole();
 *
 * - the GitHub Actions OIDC identity provider (no long-lived AWS keys in GitHub);
 * - the Terraform state bucket: versioned, SSE-KMS with its own rotating key,
 *   public access blocked, TLS-only; locking is S3-native (`use_lockfile`),
 *   so there is no DynamoDB lock table;
 * - per environment (infra/bootstrap/ci-permissions.ts):
 *   - `<project>-<env>-boundary`, the permissions boundary every role of the
 *     environment's stack must carry;
 *   - `<project>-ci-<env>-plan`, trusted by pull requests and the main branch:
 *     what the provider reads, the environment's state, its lock file;
 *   - `<project>-ci-<env>-apply`, trusted only by the `<env>` GitHub
 *     environment (reviewers protect prod): the environment's resources, by
 *     name or tag, IAM roles only under the boundary;
 *   - neither can touch a CI role, a boundary, the state key's administration,
 *     or a resource tagged with another environment.
 */
import { Construct } from 'constructs';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { applyStatements, boundaryStatements, guardStatements, planStatements, splitIntoPolicies, type PolicyStatementJson } from './ci-permissions';

export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';

/** One environment CI plans and applies. */
export interface CiEnvironment {
  /** Environment (and stack) name, e.g. `dev`. */
  readonly name: string;
  /** GitHub environment whose jobs may assume the apply role. @default - `name` */
  readonly githubEnvironment?: string;
}

export interface CiBootstrapProps {
  /** Project name: prefix of every role and of the resources the roles may manage (e.g. `sps`). */
  readonly project: string;
  /** AWS region of the environment stacks (the roles are limited to it). */
  readonly region: string;
  /** GitHub repository allowed to assume the roles, `owner/name`. */
  readonly githubRepository: string;
  /** State bucket name (globally unique). */
  readonly stateBucketName: string;
  /** Key prefix of the environment states (`<prefix>/<env>.tfstate`). @default - the project name */
  readonly stateKeyPrefix?: string;
  /** Branch whose pushes may plan (besides pull requests). @default "main" */
  readonly mainBranch?: string;
  /** The environments deployed from this account: one boundary, plan role and apply role each. */
  readonly environments: readonly CiEnvironment[];
  /**
   * ARN of an existing GitHub OIDC provider (there is one per account and URL).
   * @default - a provider is created
   */
  readonly existingOidcProviderArn?: string;
  /** Days before a deleted state-key version is purged. @default 30 */
  readonly keyDeletionWindowDays?: number;
}

/** The CI identities of one environment. */
export interface CiEnvironmentRoles {
  readonly boundary: IamPolicy;
  readonly planRole: IamRole;
  readonly applyRole: IamRole;
}

export class CiBootstrap extends Construct {
  readonly stateKey: KmsKey;
  readonly stateBucket: S3Bucket;
  readonly oidcProviderArn: string;
  readonly oidcProvider?: IamOpenidConnectProvider;
  /** Per environment name. */
  readonly environments: Record<string, CiEnvironmentRoles> = {};
  private readonly stateKeyPrefix: string;

  constructor(scope: Construct, id: string, private readonly props: CiBootstrapProps) {
    super(scope, id);
    validate(props);
    this.stateKeyPrefix = props.stateKeyPrefix ?? props.project;
    this.stateKey = this.createStateKey();
    this.stateBucket = this.createStateBucket();
    [this.oidcProviderArn, this.oidcProvider] = this.createOidcProvider();
    for (const env of props.environments) {
      const boundary = this.createBoundary(env);
      this.environments[env.name] = { boundary, planRole: this.createPlanRole(env), applyRole: this.createApplyRole(env, boundary) };
    }
  }

  private createStateKey(): KmsKey {
    const key = new KmsKey(this, 'state-key', {
      description: `${this.props.project}: Terraform state encryption`,
      enableKeyRotation: true,
      deletionWindowInDays: this.props.keyDeletionWindowDays ?? 30,
    });
    new KmsAlias(this, 'state-key-alias', { name: `alias/${this.props.project}-tfstate`, targetKeyId: key.keyId });
    return key;
  }

  private createStateBucket(): S3Bucket {
    const bucket = new S3Bucket(this, 'state-bucket', {
      bucket: this.props.stateBucketName,
      // The state is the only record of what Terraform manages: never destroy it with the stack.
      lifecycle: { preventDestroy: true },
    });
    new S3BucketVersioningA(this, 'state-versioning', {
      bucket: bucket.id,
      versioningConfiguration: { status: 'Enabled' },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, 'state-encryption', {
      bucket: bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: this.stateKey.arn }, bucketKeyEnabled: true }],
    });
    new S3BucketPublicAccessBlock(this, 'state-public-access', {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'state-ownership', {
      bucket: bucket.id,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    const tlsOnly = new DataAwsIamPolicyDocument(this, 'state-bucket-policy-doc', {
      statement: [
        {
          sid: 'DenyInsecureTransport',
          effect: 'Deny',
          actions: ['s3:*'],
          resources: [bucket.arn, `${bucket.arn}/*`],
          principals: [{ type: '*', identifiers: ['*'] }],
          condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
        },
      ],
    });
    new S3BucketPolicy(this, 'state-bucket-policy', { bucket: bucket.id, policy: tlsOnly.json });
    return bucket;
  }

  private createOidcProvider(): [string, IamOpenidConnectProvider | undefined] {
    if (this.props.existingOidcProviderArn) return [this.props.existingOidcProviderArn, undefined];
    // AWS validates GitHub's certificate through its own trust store; no thumbprint needed.
    const provider = new IamOpenidConnectProvider(this, 'github-oidc', {
      url: `https://${GITHUB_OIDC_HOST}`,
      clientIdList: ['sts.amazonaws.com'],
    });
    return [provider.arn, provider];
  }

  /** Trust policy: GitHub OIDC tokens of our repository whose `sub` matches one of `subjects`. */
  private trust(id: string, subjects: string[]): DataAwsIamPolicyDocument {
    return new DataAwsIamPolicyDocument(this, id, {
      statement: [
        {
          effect: 'Allow',
          actions: ['sts:AssumeRoleWithWebIdentity'],
          principals: [{ type: 'Federated', identifiers: [this.oidcProviderArn] }],
          condition: [
            { test: 'StringEquals', variable: `${GITHUB_OIDC_HOST}:aud`, values: ['sts.amazonaws.com'] },
            { test: 'StringEquals', variable: `${GITHUB_OIDC_HOST}:sub`, values: subjects },
          ],
        },
      ],
    });
  }

  private document(id: string, statements: readonly PolicyStatementJson[]): DataAwsIamPolicyDocument {
    return new DataAwsIamPolicyDocument(this, id, {
      statement: statements.map((st) => ({ sid: st.sid, effect: st.effect, actions: st.actions, resources: st.resources, condition: st.condition?.map((c) => ({ ...c })) })),
    });
  }

  private scope(env: CiEnvironment) {
    return { project: this.props.project, environment: env.name, region: this.props.region };
  }

  private state(env: CiEnvironment) {
    return { bucketArn: this.stateBucket.arn, key: `${this.stateKeyPrefix}/${env.name}.tfstate`, kmsKeyArn: this.stateKey.arn };
  }

  /** `<project>-<env>-boundary`: the most any role of the environment's stack can do. */
  private createBoundary(env: CiEnvironment): IamPolicy {
    const doc = this.document(`${env.name}-boundary-doc`, boundaryStatements(this.scope(env)));
    return new IamPolicy(this, `${env.name}-boundary`, {
      name: `${this.props.project}-${env.name}-boundary`,
      description: `Permissions boundary of every IAM role the ${env.name} stack creates`,
      policy: doc.json,
    });
  }

  private createPlanRole(env: CiEnvironment): IamRole {
    const repo = this.props.githubRepository;
    // Fork pull requests get no OIDC token from GitHub; they plan offline (docs/ci-cd.md).
    const trust = this.trust(`${env.name}-plan-trust`, [`repo:${repo}:pull_request`, `repo:${repo}:ref:refs/heads/${this.props.mainBranch ?? 'main'}`]);
    const role = new IamRole(this, `${env.name}-plan-role`, {
      name: `${this.props.project}-ci-${env.name}-plan`,
      description: `GitHub Actions (${repo}): terraform plan of ${env.name}, read-only`,
      assumeRolePolicy: trust.json,
      maxSessionDuration: 3600,
    });
    this.attachPolicies(env, role, 'plan', [...planStatements(this.scope(env), this.state(env)), ...guardStatements(this.props.project, env.name, this.stateKey.arn)]);
    return role;
  }

  private createApplyRole(env: CiEnvironment, boundary: IamPolicy): IamRole {
    const repo = this.props.githubRepository;
    const trust = this.trust(`${env.name}-apply-trust`, [`repo:${repo}:environment:${env.githubEnvironment ?? env.name}`]);
    const role = new IamRole(this, `${env.name}-apply-role`, {
      name: `${this.props.project}-ci-${env.name}-apply`,
      description: `GitHub Actions (${repo}) environment ${env.githubEnvironment ?? env.name}: terraform apply of ${env.name}`,
      assumeRolePolicy: trust.json,
      maxSessionDuration: 3600,
    });
    this.attachPolicies(env, role, 'apply', [
      ...applyStatements(this.scope(env), this.state(env), boundary.arn),
      ...guardStatements(this.props.project, env.name, this.stateKey.arn),
    ]);
    return role;
  }

  /**
   * The role's statements as managed policies `<project>-ci-<env>-<kind>-<n>`
   * (splitIntoPolicies: IAM's size limits), each attached to the role. The
   * guard statements deny every CI role any change to these policies.
   */
  private attachPolicies(env: CiEnvironment, role: IamRole, kind: 'plan' | 'apply', statements: readonly PolicyStatementJson[]): void {
    const name = `${this.props.project}-ci-${env.name}-${kind}`;
    splitIntoPolicies(name, statements).forEach((part, i) => {
      const doc = this.document(`${env.name}-${kind}-policy-doc-${i + 1}`, part);
      const policy = new IamPolicy(this, `${env.name}-${kind}-policy-${i + 1}`, {
        name: `${name}-${i + 1}`,
        description: `terraform ${kind} of ${env.name}, part ${i + 1}`,
        policy: doc.json,
      });
      new IamRolePolicyAttachment(this, `${env.name}-${kind}-policy-${i + 1}-attachment`, { role: role.name, policyArn: policy.arn });
    });
  }
}

function validate(props: CiBootstrapProps): void {
  const problems: string[] = [];
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(props.githubRepository)) {
    problems.push(`githubRepository: use "owner/name" (received ${JSON.stringify(props.githubRepository)})`);
  }
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(props.stateBucketName) || props.stateBucketName.includes('..')) {
    problems.push(`stateBucketName: use 3-63 lower-case letters, digits, dots or dashes (received ${JSON.stringify(props.stateBucketName)})`);
  }
  if (props.environments.length === 0) problems.push('environments: list at least one environment (e.g. [{ name: "dev" }])');
  for (const e of props.environments) {
    if (!/^[a-z][a-z0-9-]{1,15}$/.test(e.name) || e.name === 'ci') problems.push(`environments: ${JSON.stringify(e.name)} is not an environment name (2-16 lower-case letters, digits, dashes; not "ci")`);
    if (e.githubEnvironment !== undefined && !/^[A-Za-z0-9_.-]+$/.test(e.githubEnvironment)) {
      problems.push(`environments[${e.name}].githubEnvironment: ${JSON.stringify(e.githubEnvironment)} is not a valid GitHub environment name`);
    }
    // Roles and resources are scoped by the name prefix <project>-<env>-: "dev" would reach "dev-eu".
    const overlap = props.environments.find((o) => o !== e && o.name.startsWith(`${e.name}-`));
    if (overlap) problems.push(`environments: "${overlap.name}" starts with "${e.name}-", so name-scoped permissions of ${e.name} would reach ${overlap.name}; rename one`);
  }
  if (props.existingOidcProviderArn && !/^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/.test(props.existingOidcProviderArn)) {
    problems.push(`existingOidcProviderArn: expected arn:aws:iam::<account>:oidc-provider/${GITHUB_OIDC_HOST} (received ${JSON.stringify(props.existingOidcProviderArn)})`);
  }
  if (problems.length) throw new Error(`Invalid CI bootstrap settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
}
