/**
 * What a team needs once per AWS account before CI can plan and apply the
 * environment stacks:
 *
 *   createStateKey(); createStateBucket(); createOidcProvider(); createPlanRole(); createApplyRole();
 *
 * - the GitHub Actions OIDC identity provider (no long-lived AWS keys in GitHub);
 * - the Terraform state bucket: versioned, SSE-KMS with its own rotating key,
 *   public access blocked, TLS-only; locking is S3-native (`use_lockfile`),
 *   so there is no DynamoDB lock table;
 * - a plan role (pull requests and main): read-only metadata of the stack's
 *   services plus state read and lock-file write;
 * - an apply role (GitHub environments only, i.e. jobs that passed the
 *   environment's protection rules): manage the stack's services in one
 *   region, IAM limited to `<project>-*` roles and policies.
 */
import { Construct } from 'constructs';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';

export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';

export interface CiBootstrapProps {
  /** Project name: prefix of the roles and of the resources the apply role may manage (e.g. `sps`). */
  readonly project: string;
  /** AWS region of the environment stacks (the apply role is limited to it). */
  readonly region: string;
  /** GitHub repository allowed to assume the roles, `owner/name`. */
  readonly githubRepository: string;
  /** State bucket name (globally unique). */
  readonly stateBucketName: string;
  /** Key prefix of the environment states (`<prefix>/<env>.tfstate`). @default - the project name */
  readonly stateKeyPrefix?: string;
  /** Branch whose pushes may plan (besides pull requests). @default "main" */
  readonly mainBranch?: string;
  /**
   * GitHub environments whose jobs may assume the apply role. Protect them in
   * the repository settings (prod: required reviewers, main branch only).
   * @default ["dev", "prod"]
   */
  readonly applyEnvironments?: readonly string[];
  /**
   * ARN of an existing GitHub OIDC provider (there is one per account and URL).
   * @default - a provider is created
   */
  readonly existingOidcProviderArn?: string;
  /** Days before a deleted state-key version is purged. @default 30 */
  readonly keyDeletionWindowDays?: number;
}

export class CiBootstrap extends Construct {
  readonly stateKey: KmsKey;
  readonly stateBucket: S3Bucket;
  readonly oidcProviderArn: string;
  readonly oidcProvider?: IamOpenidConnectProvider;
  readonly planRole: IamRole;
  readonly applyRole: IamRole;
  private readonly stateKeyPrefix: string;

  constructor(scope: Construct, id: string, private readonly props: CiBootstrapProps) {
    super(scope, id);
    validate(props);
    this.stateKeyPrefix = props.stateKeyPrefix ?? props.project;
    this.stateKey = this.createStateKey();
    this.stateBucket = this.createStateBucket();
    [this.oidcProviderArn, this.oidcProvider] = this.createOidcProvider();
    this.planRole = this.createPlanRole();
    this.applyRole = this.createApplyRole();
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

  /** State objects of the environments, and their S3-native lock files. */
  private stateStatements(write: boolean) {
    const objects = `${this.stateBucket.arn}/${this.stateKeyPrefix}/*`;
    return [
      { sid: 'ListState', effect: 'Allow', actions: ['s3:ListBucket'], resources: [this.stateBucket.arn] },
      { sid: 'ReadState', effect: 'Allow', actions: ['s3:GetObject'], resources: [objects] },
      // use_lockfile writes and deletes `<key>.tflock` next to the state, even for a plan.
      {
        sid: write ? 'WriteStateAndLocks' : 'WriteLocks',
        effect: 'Allow',
        actions: ['s3:PutObject', 's3:DeleteObject'],
        resources: [write ? objects : `${this.stateBucket.arn}/${this.stateKeyPrefix}/*.tflock`],
      },
      {
        sid: 'UseStateKey',
        effect: 'Allow',
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [this.stateKey.arn],
      },
    ];
  }

  private createPlanRole(): IamRole {
    const repo = this.props.githubRepository;
    const trust = this.trust('plan-trust', [`repo:${repo}:pull_request`, `repo:${repo}:ref:refs/heads/${this.props.mainBranch ?? 'main'}`]);
    const role = new IamRole(this, 'plan-role', {
      name: `${this.props.project}-ci-plan`,
      description: `GitHub Actions (${repo}): terraform plan, read-only`,
      assumeRolePolicy: trust.json,
      maxSessionDuration: 3600,
    });
    const r = this.arns();
    const doc = new DataAwsIamPolicyDocument(this, 'plan-policy-doc', {
      statement: [
        ...this.stateStatements(false),
        {
          sid: 'DiscoverMetadata',
          effect: 'Allow',
          // Describe/List APIs have no resource-level permissions: AWS requires "*".
          actions: [
            'ec2:DescribeVpcs', 'ec2:DescribeVpcAttribute', 'ec2:DescribeSubnets', 'ec2:DescribeRouteTables',
            'ec2:DescribeSecurityGroups', 'ec2:DescribeSecurityGroupRules', 'ec2:DescribeVpcEndpoints',
            'ec2:DescribeInternetGateways', 'ec2:DescribeNatGateways', 'ec2:DescribeAddresses', 'ec2:DescribeAddressesAttribute',
            'ec2:DescribeFlowLogs', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribePrefixLists', 'ec2:DescribeManagedPrefixLists',
            'ec2:DescribeNetworkAcls', 'ec2:DescribeTags', 'ec2:DescribeAvailabilityZones',
            'rds:DescribeDBClusters', 'rds:DescribeDBInstances', 'rds:DescribeDBSubnetGroups', 'rds:DescribeDBClusterParameterGroups',
            'rds:DescribeDBClusterParameters', 'rds:DescribeDBProxies', 'rds:DescribeDBProxyTargetGroups', 'rds:DescribeDBProxyTargets',
            'rds:ListTagsForResource', 'logs:DescribeLogGroups', 'kms:ListAliases', 'lambda:ListFunctions', 'sts:GetCallerIdentity',
          ],
          resources: ['*'],
        },
        {
          sid: 'ReadStackResources',
          effect: 'Allow',
          actions: [
            'lambda:GetFunction', 'lambda:GetFunctionConfiguration', 'lambda:GetFunctionCodeSigningConfig',
            'lambda:GetFunctionConcurrency', 'lambda:GetPolicy', 'lambda:ListVersionsByFunction', 'lambda:ListTags',
            'lambda:GetFunctionRecursionConfig', 'lambda:GetRuntimeManagementConfig', 'lambda:GetFunctionEventInvokeConfig',
            'lambda:GetProvisionedConcurrencyConfig', 'lambda:GetFunctionUrlConfig', 'lambda:GetAlias',
            'iam:GetRole', 'iam:GetRolePolicy', 'iam:ListRolePolicies', 'iam:ListAttachedRolePolicies', 'iam:ListRoleTags',
            'iam:GetPolicy', 'iam:GetPolicyVersion', 'iam:ListPolicyVersions', 'iam:GetOpenIDConnectProvider',
            'logs:ListTagsForResource', 'logs:ListTagsLogGroup',
            'dynamodb:DescribeTable', 'dynamodb:DescribeContinuousBackups', 'dynamodb:DescribeTimeToLive',
            'dynamodb:ListTagsOfResource', 'dynamodb:DescribeKinesisStreamingDestination', 'dynamodb:GetResourcePolicy',
            'kms:DescribeKey', 'kms:GetKeyPolicy', 'kms:GetKeyRotationStatus', 'kms:ListResourceTags',
            'secretsmanager:DescribeSecret', 'secretsmanager:GetResourcePolicy',
            'apigateway:GET',
          ],
          resources: [
            r.lambda, r.iamRole, r.iamPolicy, r.oidc, r.logs, r.dynamodb, r.kmsKey, r.secret, r.apigateway,
          ],
        },
      ],
    });
    new IamRolePolicy(this, 'plan-policy', { name: 'terraform-plan', role: role.id, policy: doc.json });
    return role;
  }

  private createApplyRole(): IamRole {
    const repo = this.props.githubRepository;
    const envs = this.props.applyEnvironments ?? ['dev', 'prod'];
    const trust = this.trust('apply-trust', envs.map((e) => `repo:${repo}:environment:${e}`));
    const role = new IamRole(this, 'apply-role', {
      name: `${this.props.project}-ci-apply`,
      description: `GitHub Actions (${repo}) environments ${envs.join(', ')}: terraform apply`,
      assumeRolePolicy: trust.json,
      maxSessionDuration: 3600,
    });
    const r = this.arns();
    const verbs = (service: string, list: string[]) => list.map((v) => `${service}:${v}`);
    const manage = ['Create*', 'Delete*', 'Describe*', 'Get*', 'List*', 'Modify*', 'Update*', 'Put*', 'Tag*', 'Untag*'];
    const doc = new DataAwsIamPolicyDocument(this, 'apply-policy-doc', {
      statement: [
        ...this.stateStatements(true),
        {
          sid: 'DiscoverMetadata',
          effect: 'Allow',
          // Describe/List APIs and kms:CreateKey have no resource-level permissions: AWS requires "*".
          actions: ['ec2:Describe*', 'rds:Describe*', 'logs:DescribeLogGroups', 'kms:ListAliases', 'kms:CreateKey', 'lambda:ListFunctions', 'sts:GetCallerIdentity'],
          resources: ['*'],
        },
        {
          sid: 'ManageNetwork',
          effect: 'Allow',
          actions: [
            ...verbs('ec2', ['Create*', 'Delete*', 'Modify*', 'Associate*', 'Disassociate*', 'Attach*', 'Detach*', 'Replace*']),
            ...verbs('ec2', ['AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress', 'RevokeSecurityGroupIngress', 'RevokeSecurityGroupEgress', 'UpdateSecurityGroupRuleDescriptionsIngress', 'UpdateSecurityGroupRuleDescriptionsEgress']),
            ...verbs('ec2', ['AllocateAddress', 'ReleaseAddress']),
          ],
          resources: [r.ec2],
        },
        {
          sid: 'ManageDatabase',
          effect: 'Allow',
          actions: [
            ...verbs('rds', [...manage, 'AddTagsToResource', 'RemoveTagsFromResource', 'RegisterDBProxyTargets', 'DeregisterDBProxyTargets', 'EnableHttpEndpoint', 'DisableHttpEndpoint', 'ResetDBClusterParameterGroup']),
          ],
          resources: [r.rds],
        },
        {
          sid: 'ApiAccessLogDelivery',
          effect: 'Allow',
          // HTTP API access logging: log-delivery and CloudWatch Logs resource-policy
          // APIs have no resource-level permissions, AWS requires "*".
          actions: [
            'logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery',
            'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies',
          ],
          resources: ['*'],
        },
        {
          sid: 'ManageFunctionsAndApi',
          effect: 'Allow',
          actions: [
            // InvokeFunction: the stack runs the migration task on apply (aws_lambda_invocation).
            ...verbs('lambda', [...manage, 'AddPermission', 'RemovePermission', 'PublishVersion', 'InvokeFunction']),
            ...verbs('apigateway', ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'TagResource', 'UntagResource']),
          ],
          resources: [r.lambda, r.apigateway],
        },
        {
          sid: 'ManageDataAndLogs',
          effect: 'Allow',
          actions: [
            ...verbs('dynamodb', [...manage, 'UpdateContinuousBackups', 'UpdateTimeToLive']),
            ...verbs('logs', [...manage, 'TagLogGroup', 'UntagLogGroup', 'PutRetentionPolicy', 'DeleteRetentionPolicy']),
            ...verbs('secretsmanager', ['DescribeSecret', 'GetResourcePolicy', 'CreateSecret', 'TagResource', 'UntagResource', 'RotateSecret', 'DeleteSecret', 'UpdateSecret']),
          ],
          resources: [r.dynamodb, r.logs, r.secret],
        },
        {
          sid: 'ManageKeys',
          effect: 'Allow',
          actions: verbs('kms', ['DescribeKey', 'GetKeyPolicy', 'GetKeyRotationStatus', 'ListResourceTags', 'PutKeyPolicy', 'EnableKeyRotation', 'TagResource', 'UntagResource', 'ScheduleKeyDeletion', 'CreateAlias', 'DeleteAlias', 'UpdateAlias', 'CreateGrant', 'Decrypt', 'Encrypt', 'GenerateDataKey', 'UpdateKeyDescription']),
          resources: [r.kmsKey, r.kmsAlias],
        },
        {
          sid: 'ManageProjectRoles',
          effect: 'Allow',
          actions: verbs('iam', ['CreateRole', 'DeleteRole', 'GetRole', 'UpdateRole', 'UpdateAssumeRolePolicy', 'TagRole', 'UntagRole', 'PutRolePolicy', 'GetRolePolicy', 'DeleteRolePolicy', 'ListRolePolicies', 'ListAttachedRolePolicies', 'ListRoleTags', 'ListInstanceProfilesForRole']),
          resources: [r.iamRole],
        },
        {
          sid: 'PassProjectRoles',
          effect: 'Allow',
          actions: ['iam:PassRole'],
          resources: [r.iamRole],
          condition: [{ test: 'StringEquals', variable: 'iam:PassedToService', values: ['lambda.amazonaws.com', 'rds.amazonaws.com', 'vpc-flow-logs.amazonaws.com'] }],
        },
        {
          sid: 'ServiceLinkedRoles',
          effect: 'Allow',
          actions: ['iam:CreateServiceLinkedRole'],
          resources: [r.serviceLinkedRoles],
          condition: [{ test: 'StringEquals', variable: 'iam:AWSServiceName', values: ['rds.amazonaws.com'] }],
        },
      ],
    });
    new IamRolePolicy(this, 'apply-policy', { name: 'terraform-apply', role: role.id, policy: doc.json });
    return role;
  }

  /** ARN patterns of what the stacks create: this region, this project's names where AWS names them. */
  private arns() {
    const { region, project } = this.props;
    return {
      ec2: `arn:aws:ec2:${region}:*:*`,
      rds: `arn:aws:rds:${region}:*:*`,
      lambda: `arn:aws:lambda:${region}:*:function:${project}-*`,
      apigateway: `arn:aws:apigateway:${region}::/*`,
      dynamodb: `arn:aws:dynamodb:${region}:*:table/${project}-*`,
      logs: `arn:aws:logs:${region}:*:log-group:*`,
      secret: `arn:aws:secretsmanager:${region}:*:secret:rds!*`,
      kmsKey: `arn:aws:kms:${region}:*:key/*`,
      kmsAlias: `arn:aws:kms:${region}:*:alias/${project}-*`,
      iamRole: `arn:aws:iam::*:role/${project}-*`,
      iamPolicy: `arn:aws:iam::*:policy/${project}-*`,
      oidc: `arn:aws:iam::*:oidc-provider/${GITHUB_OIDC_HOST}`,
      serviceLinkedRoles: 'arn:aws:iam::*:role/aws-service-role/*',
    };
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
  for (const e of props.applyEnvironments ?? []) {
    if (!/^[A-Za-z0-9_.-]+$/.test(e)) problems.push(`applyEnvironments: ${JSON.stringify(e)} is not a valid GitHub environment name`);
  }
  if (props.existingOidcProviderArn && !/^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/.test(props.existingOidcProviderArn)) {
    problems.push(`existingOidcProviderArn: expected arn:aws:iam::<account>:oidc-provider/${GITHUB_OIDC_HOST} (received ${JSON.stringify(props.existingOidcProviderArn)})`);
  }
  if (problems.length) throw new Error(`Invalid CI bootstrap settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
}
