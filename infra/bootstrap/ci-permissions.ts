/**
 * What the CI roles of one environment may do, as IAM statements: the plan
 * role reads what the hashicorp/aws 5.100 provider reads when it refreshes the
 * stack; the apply role also creates, changes and deletes the environment's
 * resources, and only those; the permissions boundary caps every role the
 * stack creates. Sources: the provider's `internal/service/<service>` read and
 * CRUD functions (rds `cluster.go` always calls DescribeGlobalClusters; kms
 * `key.go` DescribeKey/GetKeyPolicy/GetKeyRotationStatus/ListResourceTags;
 * lambda `function.go` GetFunction/ListVersionsByFunction/
 * GetFunctionCodeSigningConfig; iam `role.go` GetRole/ListRolePolicies/
 * GetRolePolicy/ListAttachedRolePolicies; ec2 `vpc_endpoint.go`
 * DescribePrefixLists/DescribeNetworkInterfaces …), AWS's Service
 * Authorization Reference, and docs/ci-cd.md's "What each role may do".
 *
 * How an environment's resources are told apart (docs/ci-cd.md):
 * - by name, where the ARN carries it: `<project>-<env>-*` functions, tables,
 *   roles, log groups, RDS clusters and instances, `<project>-<env>/*` secrets;
 * - by the `environment` tag every resource gets from the provider's
 *   default_tags, where the ARN is an id (EC2, KMS keys, RDS proxies, APIs,
 *   Cognito user pools):
 *   creating requires the request to carry `environment=<env>`, changing
 *   requires the resource to carry it already.
 * What neither can scope (API Gateway v2 routes and integrations, whose tags
 * are not inherited; the AWS-managed private DNS zone of an interface
 * endpoint; ENIs Lambda leaves behind) is listed where it is granted.
 *
 * The web front end's statements are in ci-web-permissions.ts; what the
 * provider calls per resource type, and the test that the roles grant it, in
 * provider-actions.ts and test/policy/ci-coverage.test.ts.
 */
import { allow, tagIs, type EnvironmentScope, type PolicyStatementJson } from './ci-statement';
import { webApplyStatements, webReads, WEB_DISCOVERY_READS } from './ci-web-permissions';

export type { EnvironmentScope, PolicyStatementJson } from './ci-statement';

/** Where the environment's Terraform state lives. */
export interface StateLocation {
  readonly bucketArn: string;
  /** `<keyPrefix>/<env>.tfstate` */
  readonly key: string;
  readonly kmsKeyArn: string;
}

/** Event source mapping actions, only for the environment's functions. */
const ownFunction = (lambdaArns: string) => [{ test: 'ArnLike', variable: 'lambda:FunctionArn', values: [lambdaArns] }];

/** Names and ARN patterns of one environment's resources. */
export function environmentArns(s: EnvironmentScope) {
  const p = s.partition ?? 'aws';
  const prefix = `${s.project}-${s.environment}`;
  const r = s.region;
  return {
    prefix,
    lambda: `arn:${p}:lambda:${r}:*:function:${prefix}-*`,
    table: `arn:${p}:dynamodb:${r}:*:table/${prefix}-*`,
    // /aws/lambda/<prefix>-<fn>, /aws/rds/proxy/<prefix>, /aws/rds/cluster/<prefix>/…, /vpc/<prefix>/…, /aws/apigateway/<prefix>/…
    logGroups: [`arn:${p}:logs:${r}:*:log-group:*/${prefix}-*`, `arn:${p}:logs:${r}:*:log-group:*/${prefix}`, `arn:${p}:logs:${r}:*:log-group:*/${prefix}/*`],
    role: `arn:${p}:iam::*:role/${prefix}-*`,
    boundary: `arn:${p}:iam::*:policy/${prefix}-boundary`,
    appSecret: `arn:${p}:secretsmanager:${r}:*:secret:${prefix}/*`,
    // The master secret RDS creates for manage_master_user_password is named rds!cluster-<uuid>.
    rdsSecret: `arn:${p}:secretsmanager:${r}:*:secret:rds!cluster-*`,
    rdsNamed: [
      `arn:${p}:rds:${r}:*:cluster:${prefix}`,
      `arn:${p}:rds:${r}:*:db:${prefix}-*`,
      `arn:${p}:rds:${r}:*:subgrp:${prefix}-*`,
      `arn:${p}:rds:${r}:*:cluster-pg:${prefix}-*`,
    ],
    rdsById: [`arn:${p}:rds:${r}:*:db-proxy:*`, `arn:${p}:rds:${r}:*:db-proxy-endpoint:*`],
    rdsTargetGroup: `arn:${p}:rds:${r}:*:target-group:*`,
    kmsKey: `arn:${p}:kms:${r}:*:key/*`,
    kmsAlias: `arn:${p}:kms:${r}:*:alias/${prefix}-*`,
    apis: `arn:${p}:apigateway:${r}::/apis`,
    api: `arn:${p}:apigateway:${r}::/apis/*`,
    apiTags: `arn:${p}:apigateway:${r}::/tags/*`,
    // Pool ids are random; the app client and groups are authorised on their pool (Service Authorization Reference, cognito-idp).
    userPool: `arn:${p}:cognito-idp:${r}:*:userpool/*`,
    ec2: (type: string) => `arn:${p}:ec2:${r}:*:${type}/*`,
    topic: `arn:${p}:sns:${r}:*:${prefix}-*`,
    queue: `arn:${p}:sqs:${r}:*:${prefix}-*`,
    rule: `arn:${p}:events:${r}:*:rule/${prefix}-*`,
    // Event source mappings are named by a UUID; every action on them takes the lambda:FunctionArn condition.
    eventSourceMapping: `arn:${p}:lambda:${r}:*:event-source-mapping:*`,
  };
}

/** Read-only discovery the provider makes on every refresh; these APIs take only `"Resource": "*"`. */
export const DISCOVERY_READS = [
  'sts:GetCallerIdentity',
  'ec2:DescribeVpcs', 'ec2:DescribeVpcAttribute', 'ec2:DescribeSubnets', 'ec2:DescribeRouteTables', 'ec2:DescribeSecurityGroups',
  'ec2:DescribeSecurityGroupRules', 'ec2:DescribeVpcEndpoints', 'ec2:DescribePrefixLists', 'ec2:DescribeManagedPrefixLists',
  'ec2:DescribeNetworkInterfaces', 'ec2:DescribeNetworkAcls', 'ec2:DescribeFlowLogs', 'ec2:DescribeInternetGateways',
  'ec2:DescribeNatGateways', 'ec2:DescribeAddresses', 'ec2:DescribeAddressesAttribute', 'ec2:DescribeTags', 'ec2:DescribeAvailabilityZones',
  // aws_rds_cluster's read always calls DescribeGlobalClusters (engine_mode provisioned too).
  'rds:DescribeDBClusters', 'rds:DescribeGlobalClusters', 'rds:DescribeDBInstances', 'rds:DescribeDBSubnetGroups',
  'rds:DescribeDBClusterParameterGroups', 'rds:DescribeDBClusterParameters', 'rds:DescribeDBProxies',
  'rds:DescribeDBProxyTargetGroups', 'rds:DescribeDBProxyTargets', 'rds:ListTagsForResource',
  'logs:DescribeLogGroups', 'kms:ListAliases', 'lambda:ListFunctions',
  ...WEB_DISCOVERY_READS,
];

const USER_POOL_READS = ['cognito-idp:DescribeUserPool', 'cognito-idp:GetUserPoolMfaConfig', 'cognito-idp:DescribeUserPoolClient', 'cognito-idp:GetGroup'];

/** Reads of the environment's own resources (scoped by name or tag). */
function scopedReads(s: EnvironmentScope): PolicyStatementJson[] {
  const a = environmentArns(s);
  return [
    allow(
      'ReadFunctions',
      ['lambda:GetFunction', 'lambda:ListVersionsByFunction', 'lambda:GetFunctionCodeSigningConfig', 'lambda:ListTags', 'lambda:GetPolicy',
        'lambda:GetFunctionConcurrency', 'lambda:GetRuntimeManagementConfig', 'lambda:GetFunctionRecursionConfig'],
      [a.lambda],
    ),
    allow('ReadRoles', ['iam:GetRole', 'iam:ListRolePolicies', 'iam:GetRolePolicy', 'iam:ListAttachedRolePolicies', 'iam:ListRoleTags'], [a.role]),
    allow('ReadBoundary', ['iam:GetPolicy', 'iam:GetPolicyVersion'], [a.boundary]),
    allow('ReadTables', ['dynamodb:DescribeTable', 'dynamodb:DescribeContinuousBackups', 'dynamodb:DescribeTimeToLive', 'dynamodb:ListTagsOfResource', 'dynamodb:GetResourcePolicy'], [a.table, `${a.table}/index/*`]),
    allow('ReadLogGroups', ['logs:ListTagsForResource', 'logs:ListTagsLogGroup'], a.logGroups),
    allow('ReadSecrets', ['secretsmanager:DescribeSecret', 'secretsmanager:GetResourcePolicy'], [a.appSecret, a.rdsSecret]),
    allow('ReadKeys', ['kms:DescribeKey', 'kms:GetKeyPolicy', 'kms:GetKeyRotationStatus', 'kms:ListResourceTags'], [a.kmsKey], tagIs('ResourceTag', s.environment)),
    // API ids are random; GET is read-only metadata.
    allow('ReadApis', ['apigateway:GET'], [a.apis, a.api, a.apiTags]),
    // What aws_cognito_user_pool / _client / _user_group read (provider cognitoidp: DescribeUserPool, GetUserPoolMfaConfig, …).
    allow('ReadUserPools', USER_POOL_READS, [a.userPool], tagIs('ResourceTag', s.environment)),
    // Topics and their subscriptions (`<topic arn>:<id>`), queues, schedule rules, event source mappings.
    allow('ReadTopics', ['sns:GetTopicAttributes', 'sns:GetDataProtectionPolicy', 'sns:ListTagsForResource', 'sns:GetSubscriptionAttributes', 'sns:ListSubscriptionsByTopic'], [a.topic, `${a.topic}:*`]),
    allow('ReadQueues', ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ListQueueTags'], [a.queue]),
    allow('ReadRules', ['events:DescribeRule', 'events:ListTargetsByRule', 'events:ListTagsForResource'], [a.rule]),
    allow('ReadEventSourceMappings', ['lambda:GetEventSourceMapping'], [a.eventSourceMapping], ownFunction(a.lambda)),
    // aws_lambda_event_source_mapping has tags (5.100): its read lists them; lambda:FunctionArn is not in ListTags' context.
    allow('ReadEventSourceMappingTags', ['lambda:ListTags'], [a.eventSourceMapping]),
    ...webReads(s),
  ];
}

/** Reading the environment's state, and writing its lock file only (use_lockfile writes `<key>.tflock` even to plan). */
function stateStatements(state: StateLocation, write: boolean): PolicyStatementJson[] {
  const object = `${state.bucketArn}/${state.key}`;
  return [
    allow('ListOwnState', ['s3:ListBucket'], [state.bucketArn], [{ test: 'StringLike', variable: 's3:prefix', values: [state.key, `${state.key}.tflock`] }]),
    allow('ReadOwnState', ['s3:GetObject'], [object]),
    allow(write ? 'WriteOwnStateAndLock' : 'WriteOwnLockOnly', ['s3:PutObject', 's3:DeleteObject'], write ? [object, `${object}.tflock`] : [`${object}.tflock`]),
    allow('UseStateKey', ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'], [state.kmsKeyArn]),
  ];
}

/** The plan role: reads only, its environment's state, and its lock file. */
export function planStatements(s: EnvironmentScope, state: StateLocation): PolicyStatementJson[] {
  return [...stateStatements(state, false), allow('DiscoverMetadata', DISCOVERY_READS, ['*']), ...scopedReads(s)];
}

/** EC2 resource types the stack creates, with the create actions that make each (tagged on create). */
const EC2_CREATES: readonly [type: string, actions: string[]][] = [
  ['vpc', ['ec2:CreateVpc']],
  ['subnet', ['ec2:CreateSubnet']],
  ['route-table', ['ec2:CreateRouteTable']],
  ['security-group', ['ec2:CreateSecurityGroup']],
  ['security-group-rule', ['ec2:AuthorizeSecurityGroupIngress', 'ec2:AuthorizeSecurityGroupEgress']],
  ['vpc-endpoint', ['ec2:CreateVpcEndpoint']],
  ['vpc-flow-log', ['ec2:CreateFlowLogs']],
  ['internet-gateway', ['ec2:CreateInternetGateway']],
  ['natgateway', ['ec2:CreateNatGateway']],
  ['elastic-ip', ['ec2:AllocateAddress']],
];

/** Changes to EC2 resources that already carry the environment's tag (including the parents of a create). */
const EC2_CHANGES = [
  'ec2:CreateSubnet', 'ec2:CreateRouteTable', 'ec2:CreateSecurityGroup', 'ec2:CreateVpcEndpoint', 'ec2:CreateFlowLogs',
  'ec2:CreateNatGateway', 'ec2:CreateRoute', 'ec2:ReplaceRoute', 'ec2:DeleteRoute',
  'ec2:AuthorizeSecurityGroupIngress', 'ec2:AuthorizeSecurityGroupEgress', 'ec2:RevokeSecurityGroupIngress', 'ec2:RevokeSecurityGroupEgress',
  'ec2:ModifySecurityGroupRules', 'ec2:UpdateSecurityGroupRuleDescriptionsIngress', 'ec2:UpdateSecurityGroupRuleDescriptionsEgress',
  'ec2:ModifyVpcAttribute', 'ec2:ModifySubnetAttribute', 'ec2:ModifyVpcEndpoint', 'ec2:AssociateRouteTable', 'ec2:DisassociateRouteTable',
  'ec2:ReplaceRouteTableAssociation', 'ec2:AttachInternetGateway', 'ec2:DetachInternetGateway',
  'ec2:DeleteVpc', 'ec2:DeleteSubnet', 'ec2:DeleteRouteTable', 'ec2:DeleteSecurityGroup', 'ec2:DeleteVpcEndpoints', 'ec2:DeleteFlowLogs',
  'ec2:DeleteInternetGateway', 'ec2:DeleteNatGateway', 'ec2:ReleaseAddress', 'ec2:DisassociateAddress', 'ec2:CreateTags', 'ec2:DeleteTags',
];

const RDS_MANAGE = [
  'rds:CreateDBCluster', 'rds:ModifyDBCluster', 'rds:DeleteDBCluster', 'rds:CreateDBInstance', 'rds:ModifyDBInstance', 'rds:DeleteDBInstance',
  'rds:RebootDBInstance', 'rds:CreateDBSubnetGroup', 'rds:ModifyDBSubnetGroup', 'rds:DeleteDBSubnetGroup', 'rds:CreateDBClusterParameterGroup',
  'rds:ModifyDBClusterParameterGroup', 'rds:ResetDBClusterParameterGroup', 'rds:DeleteDBClusterParameterGroup', 'rds:EnableHttpEndpoint',
  'rds:DisableHttpEndpoint', 'rds:CreateDBClusterSnapshot', 'rds:AddTagsToResource', 'rds:RemoveTagsFromResource',
];
const RDS_PROXY = ['rds:CreateDBProxy', 'rds:ModifyDBProxy', 'rds:DeleteDBProxy', 'rds:RegisterDBProxyTargets', 'rds:DeregisterDBProxyTargets', 'rds:AddTagsToResource', 'rds:RemoveTagsFromResource'];

/**
 * The apply role: everything the plan role reads, plus the changes the stack
 * makes, each limited to the environment's names or tags. IAM: only roles
 * named `<project>-<env>-*`, created and changed only with the environment's
 * permissions boundary attached, passed only to the services that use them.
 */
export function applyStatements(s: EnvironmentScope, state: StateLocation, boundaryArn: string): PolicyStatementJson[] {
  const a = environmentArns(s);
  const env = s.environment;
  const withBoundary = [{ test: 'StringEquals', variable: 'iam:PermissionsBoundary', values: [boundaryArn] }];
  return [
    ...stateStatements(state, true),
    allow('DiscoverMetadata', DISCOVERY_READS, ['*']),
    ...scopedReads(s),
    // EC2: new resources only with the environment's tag, changes only to resources that have it.
    ...EC2_CREATES.map(([type, actions]) => allow(`Create${type.replace(/(^|-)([a-z])/g, (_m, _d: string, c: string) => c.toUpperCase())}`, actions, [a.ec2(type)], tagIs('RequestTag', env))),
    allow('TagOnCreate', ['ec2:CreateTags'], EC2_CREATES.map(([type]) => a.ec2(type)), [
      ...tagIs('RequestTag', env),
      { test: 'StringEquals', variable: 'ec2:CreateAction', values: [...new Set(EC2_CREATES.flatMap(([, acts]) => acts.map((x) => x.split(':')[1]!)))] },
    ]),
    allow('ChangeOwnNetwork', EC2_CHANGES, [...new Set([...EC2_CREATES.map(([type]) => a.ec2(type)), a.ec2('network-acl')])], tagIs('ResourceTag', env)),
    // Lambda's ENIs carry no tags of ours; deleting a subnet or group first removes the ones Lambda left behind.
    allow('RemoveLambdaNetworkInterfaces', ['ec2:DeleteNetworkInterface', 'ec2:DetachNetworkInterface'], [a.ec2('network-interface')]),
    // Private DNS of an interface endpoint: EC2 checks this on the caller, on the AWS-managed zone (no tags).
    allow('EndpointPrivateDns', ['route53:AssociateVPCWithHostedZone'], [`arn:${s.partition ?? 'aws'}:route53:::hostedzone/*`]),
    // RDS: the cluster, instances, subnet and parameter groups by name; the proxy by tag.
    allow('ManageDatabase', RDS_MANAGE, a.rdsNamed),
    allow('CreateProxy', ['rds:CreateDBProxy', 'rds:AddTagsToResource'], a.rdsById, tagIs('RequestTag', env)),
    // (An existing proxy of another environment cannot be re-tagged: guardStatements' NoOtherEnvironments.)
    allow('ManageProxy', RDS_PROXY, a.rdsById, tagIs('ResourceTag', env)),
    // Target groups cannot be tagged; changing one also needs the (tagged) proxy above.
    allow('ManageProxyTargetGroup', ['rds:ModifyDBProxyTargetGroup', 'rds:RegisterDBProxyTargets', 'rds:DeregisterDBProxyTargets'], [a.rdsTargetGroup]),
    // RDS creates the master secret (manage_master_user_password) with the caller's rights.
    allow('RdsManagedSecret', ['secretsmanager:CreateSecret', 'secretsmanager:TagResource', 'secretsmanager:DeleteSecret', 'secretsmanager:RotateSecret', 'secretsmanager:UpdateSecret'], [a.rdsSecret]),
    allow(
      'ManageAppSecrets',
      ['secretsmanager:CreateSecret', 'secretsmanager:UpdateSecret', 'secretsmanager:DeleteSecret', 'secretsmanager:TagResource', 'secretsmanager:UntagResource', 'secretsmanager:PutResourcePolicy', 'secretsmanager:DeleteResourcePolicy'],
      [a.appSecret],
    ),
    allow(
      'ManageFunctions',
      ['lambda:CreateFunction', 'lambda:UpdateFunctionCode', 'lambda:UpdateFunctionConfiguration', 'lambda:DeleteFunction', 'lambda:PublishVersion',
        'lambda:PutFunctionConcurrency', 'lambda:DeleteFunctionConcurrency', 'lambda:AddPermission', 'lambda:RemovePermission',
        'lambda:TagResource', 'lambda:UntagResource',
        // The stack runs the migration task on apply (aws_lambda_invocation).
        'lambda:InvokeFunction'],
      [a.lambda],
    ),
    allow(
      'ManageTables',
      ['dynamodb:CreateTable', 'dynamodb:UpdateTable', 'dynamodb:DeleteTable', 'dynamodb:UpdateContinuousBackups', 'dynamodb:UpdateTimeToLive', 'dynamodb:TagResource', 'dynamodb:UntagResource'],
      [a.table],
    ),
    allow(
      'ManageLogGroups',
      ['logs:CreateLogGroup', 'logs:DeleteLogGroup', 'logs:PutRetentionPolicy', 'logs:DeleteRetentionPolicy', 'logs:TagResource', 'logs:UntagResource', 'logs:TagLogGroup', 'logs:UntagLogGroup'],
      a.logGroups,
    ),
    // HTTP API access logs: CloudWatch Logs' vended delivery APIs take only "*".
    allow('ApiAccessLogDelivery', ['logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery', 'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies'], ['*']),
    // KMS: new keys only with the environment's tag; keys and grants only on keys that have it.
    // Tagging a new key is authorised as kms:TagResource; an existing key of another
    // environment is out of reach (guardStatements' NoOtherEnvironments).
    allow('CreateKeys', ['kms:CreateKey'], ['*'], tagIs('RequestTag', env)),
    allow('TagNewKeys', ['kms:TagResource'], [a.kmsKey], tagIs('RequestTag', env)),
    allow(
      'ManageOwnKeys',
      ['kms:PutKeyPolicy', 'kms:EnableKeyRotation', 'kms:UpdateKeyDescription', 'kms:TagResource', 'kms:UntagResource', 'kms:ScheduleKeyDeletion',
        'kms:CreateGrant', 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias'],
      [a.kmsKey],
      tagIs('ResourceTag', env),
    ),
    allow('ManageOwnAliases', ['kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias'], [a.kmsAlias]),
    // SNS, SQS, EventBridge rules by name; event source mappings of the environment's functions only.
    allow('ManageTopics', ['sns:CreateTopic', 'sns:DeleteTopic', 'sns:SetTopicAttributes', 'sns:TagResource', 'sns:UntagResource', 'sns:Subscribe', 'sns:Unsubscribe', 'sns:SetSubscriptionAttributes'], [a.topic, `${a.topic}:*`]),
    allow('ManageQueues', ['sqs:CreateQueue', 'sqs:DeleteQueue', 'sqs:SetQueueAttributes', 'sqs:TagQueue', 'sqs:UntagQueue'], [a.queue]),
    allow('ManageRules', ['events:PutRule', 'events:DeleteRule', 'events:EnableRule', 'events:DisableRule', 'events:PutTargets', 'events:RemoveTargets', 'events:TagResource', 'events:UntagResource'], [a.rule]),
    // CreateEventSourceMapping has no resource type (AWS requires "*"); the condition names the functions.
    allow('CreateEventSourceMappings', ['lambda:CreateEventSourceMapping'], ['*'], ownFunction(a.lambda)),
    allow('ManageEventSourceMappings', ['lambda:UpdateEventSourceMapping', 'lambda:DeleteEventSourceMapping'], [a.eventSourceMapping], ownFunction(a.lambda)),
    // Creating a mapping with (default) tags also needs lambda:TagResource on it; tags of the environment only.
    allow('TagEventSourceMappings', ['lambda:TagResource'], [a.eventSourceMapping], tagIs('RequestTag', env)),
    allow('UntagEventSourceMappings', ['lambda:UntagResource'], [a.eventSourceMapping], tagIs('ResourceTag', env)),
    // API Gateway v2: the API by tag. Its routes, integrations and stages do not inherit the API's
    // tags for authorization (only the v1 API does), so they are granted by path (docs/ci-cd.md).
    allow('CreateApi', ['apigateway:POST'], [a.apis, a.apiTags], tagIs('RequestTag', env)),
    allow('ManageApiParts', ['apigateway:GET', 'apigateway:POST', 'apigateway:PUT', 'apigateway:PATCH', 'apigateway:DELETE'], [a.api]),
    allow('UntagApi', ['apigateway:DELETE'], [a.apiTags], tagIs('ResourceTag', env)),
    // Cognito: new pools only with the environment's tag (CreateUserPool takes "*"); the pool, its
    // clients and groups only on pools that carry it. No role is passed: the pool sends no SMS.
    allow('CreateUserPools', ['cognito-idp:CreateUserPool'], ['*'], tagIs('RequestTag', env)),
    allow('TagNewUserPools', ['cognito-idp:TagResource'], [a.userPool], tagIs('RequestTag', env)),
    allow(
      'ManageOwnUserPools',
      ['cognito-idp:UpdateUserPool', 'cognito-idp:DeleteUserPool', 'cognito-idp:SetUserPoolMfaConfig', 'cognito-idp:TagResource', 'cognito-idp:UntagResource',
        'cognito-idp:CreateUserPoolClient', 'cognito-idp:UpdateUserPoolClient', 'cognito-idp:DeleteUserPoolClient',
        'cognito-idp:CreateGroup', 'cognito-idp:UpdateGroup', 'cognito-idp:DeleteGroup'],
      [a.userPool],
      tagIs('ResourceTag', env),
    ),
    // IAM: the environment's roles only, always under its boundary.
    allow('CreateRolesWithBoundary', ['iam:CreateRole', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy', 'iam:PutRolePermissionsBoundary'], [a.role], withBoundary),
    // These IAM actions take no iam:PermissionsBoundary condition; the roles they reach are capped by the boundary anyway.
    allow('ChangeOwnRoles', ['iam:DeleteRole', 'iam:UpdateRole', 'iam:UpdateRoleDescription', 'iam:UpdateAssumeRolePolicy', 'iam:TagRole', 'iam:UntagRole', 'iam:ListInstanceProfilesForRole'], [a.role]),
    allow('PassOwnRoles', ['iam:PassRole'], [a.role], [{ test: 'StringEquals', variable: 'iam:PassedToService', values: ['lambda.amazonaws.com', 'rds.amazonaws.com', 'vpc-flow-logs.amazonaws.com'] }]),
    ...webApplyStatements(s),
    allow('RdsServiceLinkedRole', ['iam:CreateServiceLinkedRole'], [`arn:${s.partition ?? 'aws'}:iam::*:role/aws-service-role/*`], [{ test: 'StringEquals', variable: 'iam:AWSServiceName', values: ['rds.amazonaws.com'] }]),
  ];
}

/** Services whose resources carry the environment tag (provider default_tags). */
// cloudfront: distributions carry the tag (OACs, response headers policies and functions take none, so
// the deny never applies to them); s3: buckets expose aws:ResourceTag only where S3's ABAC is on, the
// deny is a backstop to the bucket names (the state bucket is tagged `bootstrap`).
const TAGGED_SERVICES = ['ec2', 'rds', 'kms', 'apigateway', 'lambda', 'dynamodb', 'logs', 'secretsmanager', 'cognito-idp', 'sns', 'sqs', 'events', 'cloudfront', 's3'];

/**
 * IAM's size limits (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html):
 * a managed policy holds at most 6,144 characters (whitespace not counted),
 * all inline policies of a role together 10,240, and a role carries at most
 * 10 managed policies (the default quota). The apply role's statements are
 * larger than any inline policy may be, so every CI role gets managed
 * policies, filled in statement order up to the limit.
 */
export const MANAGED_POLICY_MAX_CHARS = 6144;
export const MANAGED_POLICIES_PER_ROLE = 10;
/** What a reference (an ARN Terraform fills in at apply) may take in the rendered JSON, at the most. */
const REFERENCE_CHARS = 128;

/** The characters IAM counts for a policy of these statements, references at their longest. */
export function policyChars(statements: readonly PolicyStatementJson[]): number {
  const rendered = JSON.stringify({
    Version: '2012-10-17',
    Statement: statements.map((s) => ({ Sid: s.sid, Effect: s.effect, Action: s.actions, Resource: s.resources, Condition: s.condition })),
  });
  return rendered.replace(/\$\{[^}]*\}/g, 'x'.repeat(REFERENCE_CHARS)).length;
}

/** Statements split into managed policies that each fit IAM's limit; throws when a role would need more than it may carry. */
export function splitIntoPolicies(role: string, statements: readonly PolicyStatementJson[]): PolicyStatementJson[][] {
  const policies: PolicyStatementJson[][] = [];
  for (const statement of statements) {
    const current = policies[policies.length - 1];
    if (current && policyChars([...current, statement]) <= MANAGED_POLICY_MAX_CHARS) current.push(statement);
    else if (policyChars([statement]) <= MANAGED_POLICY_MAX_CHARS) policies.push([statement]);
    else throw new Error(`${role}: statement ${statement.sid ?? '(no sid)'} alone is over IAM's ${MANAGED_POLICY_MAX_CHARS} characters per policy; split its actions or resources`);
  }
  if (policies.length > MANAGED_POLICIES_PER_ROLE) {
    throw new Error(`${role}: needs ${policies.length} managed policies, over IAM's default of ${MANAGED_POLICIES_PER_ROLE} per role; narrow its statements or raise the quota first`);
  }
  return policies;
}

/**
 * What no CI role of `environment` may do, whatever it is allowed elsewhere:
 * touch a CI role or a permissions boundary (its own included), remove a
 * boundary, administer the state key, or act on a resource tagged with another
 * environment (a request tag cannot re-tag a prod resource into dev).
 */
export function guardStatements(project: string, environment: string, stateKmsKeyArn: string, partition = 'aws'): PolicyStatementJson[] {
  return [
    {
      sid: 'NoChangesToCiRolesOrBoundaries',
      effect: 'Deny',
      actions: ['iam:*'],
      // The CI roles, their managed policies (`<project>-ci-<env>-<kind>-<n>`) and the boundaries.
      resources: [`arn:${partition}:iam::*:role/${project}-ci-*`, `arn:${partition}:iam::*:policy/${project}-ci-*`, `arn:${partition}:iam::*:policy/${project}-*-boundary`],
    },
    { sid: 'NoBoundaryRemoval', effect: 'Deny', actions: ['iam:DeleteRolePermissionsBoundary'], resources: ['*'] },
    {
      sid: 'NoStateKeyAdministration',
      effect: 'Deny',
      actions: ['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:CreateGrant', 'kms:RevokeGrant', 'kms:UpdateAlias', 'kms:DeleteAlias', 'kms:TagResource', 'kms:UntagResource'],
      resources: [stateKmsKeyArn],
    },
    {
      sid: 'NoOtherEnvironments',
      effect: 'Deny',
      actions: TAGGED_SERVICES.map((svc) => `${svc}:*`),
      resources: ['*'],
      // Only where the tag exists (a resource being created has none yet).
      condition: [
        { test: 'Null', variable: 'aws:ResourceTag/environment', values: ['false'] },
        { test: 'StringNotEquals', variable: 'aws:ResourceTag/environment', values: [environment, 'bootstrap'] },
      ],
    },
  ];
}

/**
 * The permissions boundary of every role the environment's stack creates: the
 * most any function, proxy or flow-log role can ever do, whatever its own
 * policy says. No IAM, no STS, nothing outside the environment's resources.
 */
export function boundaryStatements(s: EnvironmentScope): PolicyStatementJson[] {
  const a = environmentArns(s);
  const p = s.partition ?? 'aws';
  return [
    allow('WriteLogs', ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'], a.logGroups.flatMap((g) => [g, `${g}:*`])),
    // Lambda's VPC ENI actions; AWS documents them with "*" (AWSLambdaVPCAccessExecutionRole).
    allow('VpcNetworkInterfaces', ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'], ['*']),
    allow(
      'UseOwnTables',
      ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable',
        'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'],
      [a.table, `${a.table}/index/*`],
    ),
    allow('ConnectToDatabase', ['rds-db:connect'], [`arn:${p}:rds-db:${s.region}:*:dbuser:*/*`]),
    allow('DataApi', ['rds-data:ExecuteStatement', 'rds-data:BatchExecuteStatement', 'rds-data:BeginTransaction', 'rds-data:CommitTransaction', 'rds-data:RollbackTransaction'], [a.rdsNamed[0]!]),
    allow('UseOwnSecrets', ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'], [a.appSecret]),
    allow('ProxyReadsMasterSecret', ['secretsmanager:GetSecretValue'], [a.rdsSecret]),
    allow('UseOwnKeys', ['kms:Decrypt', 'kms:GenerateDataKey'], [a.kmsKey], tagIs('ResourceTag', s.environment)),
    allow('PublishToOwnTopics', ['sns:Publish'], [a.topic]),
    allow('ConsumeOwnQueues', ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], [a.queue]),
  ];
}
