/**
 * What the hashicorp/aws 5.100 provider asks AWS for, per resource type and
 * data source the environment stacks synthesize: the IAM actions of its
 * read (refresh, what `terraform plan` needs) and of its create, update and
 * delete (what `terraform apply` needs), and the ARN IAM authorises each on,
 * built from the resource as synthesized. test/policy/ci-coverage.test.ts
 * checks every type of a real stack against this table and the CI roles of
 * infra/bootstrap/ci-permissions.ts: a new type without an entry fails it by
 * name, and so does an action the roles do not grant, or grant beyond the
 * environment.
 *
 * Sources, per entry: the provider's `internal/service/<service>/<file>.go`
 * (the SDK calls of its CRUD functions) and AWS's Service Authorization
 * Reference (which IAM action an API call is authorised as, on which resource
 * type). Not recorded from a real apply (no AWS account here).
 */

/** One synthesized resource, and how to name what it refers to. */
export interface Synthesized {
  readonly type: string;
  readonly values: Record<string, unknown>;
  /** The stack's region, or us-east-1 for a resource of the `aws.us_east_1` provider. */
  readonly region: string;
  readonly account: string;
  readonly partition: string;
  /** Its own name: `name`, `bucket`, or `bucket_prefix` plus what S3 appends. */
  readonly name: string;
  /** The name of the resource a reference (`${aws_s3_bucket.web_x.id}`) points at; a literal as it is. */
  nameOf(value: unknown): string;
  /** `arn:<partition>:<service>:<region>:<account>:<rest>`; `global` drops the region (CloudFront), `bare` both (S3). */
  arn(service: string, rest: string, scope?: 'regional' | 'global' | 'bare'): string;
}

export interface Calls {
  readonly actions: readonly string[];
  /** The ARN IAM authorises the actions on, for this resource (`*` where the action has no resource type). */
  readonly on: (r: Synthesized) => string;
  /** Condition keys the request carries besides the environment tags (e.g. lambda:FunctionArn). */
  readonly context?: (r: Synthesized) => Record<string, string>;
  /** Why these calls cannot be limited to the environment, when they cannot: the roles may make them on any environment's. */
  readonly anyEnvironment?: string;
}

export interface ProviderActions {
  /** Where the calls are read from. */
  readonly source: string;
  /** Refresh: the plan role needs these. */
  readonly read: readonly Calls[];
  /** Create, update, delete (and tag): the apply role needs these too. */
  readonly write: readonly Calls[];
}

const s3Bucket = (r: Synthesized) => r.arn('s3', r.nameOf(r.values.bucket), 'bare');
const distribution = (r: Synthesized) => r.arn('cloudfront', 'distribution/E2QWRUHEXAMPLE', 'global');
const logGroup = (r: Synthesized) => r.arn('logs', `log-group:${r.values.name as string}`);
const topic = (r: Synthesized, name: string) => r.arn('sns', name);
const queue = (r: Synthesized, name: string) => r.arn('sqs', name);
const rule = (r: Synthesized, name: string) => r.arn('events', `rule/${name}`);
const userPool = (r: Synthesized) => r.arn('cognito-idp', `userpool/${r.region}_EXAMPLE`);
const ANY = () => '*';

/** How the stack names a bucket from its bucket_prefix (S3 appends a timestamp and a counter). */
export const BUCKET_SUFFIX = '20250101000000000000000001';

const OAC_AND_POLICIES = 'Origin Access Controls and response headers policies take no tags and have ids for ARN (CloudFront Service Authorization Reference)';
const RESOURCE_POLICY = 'CloudWatch Logs resource policies are account-level, named, with no resource type ("Logs sent to CloudWatch Logs")';

const BUCKET_READS = ['s3:ListBucket', 's3:GetBucketPolicy', 's3:GetBucketAcl', 's3:GetBucketCORS', 's3:GetBucketWebsite', 's3:GetBucketVersioning',
  's3:GetAccelerateConfiguration', 's3:GetBucketRequestPayment', 's3:GetBucketLogging', 's3:GetLifecycleConfiguration', 's3:GetReplicationConfiguration',
  's3:GetEncryptionConfiguration', 's3:GetBucketObjectLockConfiguration', 's3:GetBucketTagging'];

/** A bucket sub-configuration: its Get to read, its Put to write (S3 authorises its Delete* as the Put, but DeleteBucketPolicy). */
const bucketPart = (source: string, get: string, put: string[]): ProviderActions => ({
  source: `internal/service/s3/${source}`,
  read: [{ actions: [get], on: s3Bucket }],
  write: [{ actions: put, on: s3Bucket }],
});

export const PROVIDER_ACTIONS: Readonly<Record<string, ProviderActions>> = {
  // --- Web front end: S3 ---
  aws_s3_bucket: {
    source: 'internal/service/s3/bucket.go: CreateBucket, HeadBucket, every GetBucket* of the read, PutBucketTagging, force_destroy ListObjectVersions + DeleteObjects',
    read: [{ actions: BUCKET_READS, on: (r) => r.arn('s3', r.name, 'bare') }],
    write: [
      { actions: ['s3:CreateBucket', 's3:DeleteBucket', 's3:PutBucketTagging', 's3:ListBucketVersions'], on: (r) => r.arn('s3', r.name, 'bare') },
      { actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'], on: (r) => r.arn('s3', `${r.name}/any-key`, 'bare') },
    ],
  },
  aws_s3_bucket_public_access_block: bucketPart('bucket_public_access_block.go', 's3:GetBucketPublicAccessBlock', ['s3:PutBucketPublicAccessBlock']),
  aws_s3_bucket_ownership_controls: bucketPart('bucket_ownership_controls.go', 's3:GetBucketOwnershipControls', ['s3:PutBucketOwnershipControls']),
  aws_s3_bucket_server_side_encryption_configuration: bucketPart('bucket_server_side_encryption_configuration.go', 's3:GetEncryptionConfiguration', ['s3:PutEncryptionConfiguration']),
  aws_s3_bucket_versioning: bucketPart('bucket_versioning.go', 's3:GetBucketVersioning', ['s3:PutBucketVersioning']),
  aws_s3_bucket_lifecycle_configuration: bucketPart('bucket_lifecycle_configuration.go', 's3:GetLifecycleConfiguration', ['s3:PutLifecycleConfiguration']),
  aws_s3_bucket_policy: bucketPart('bucket_policy.go', 's3:GetBucketPolicy', ['s3:PutBucketPolicy', 's3:DeleteBucketPolicy']),
  aws_s3_object: {
    source: 'internal/service/s3/object.go: PutObject (with tags: s3:PutObjectTagging), HeadObject (s3:GetObject), GetObjectTagging, delete of every version',
    read: [{ actions: ['s3:GetObject', 's3:GetObjectTagging'], on: (r) => `${s3Bucket(r)}/${r.values.key as string}` }],
    write: [
      { actions: ['s3:PutObject', 's3:PutObjectTagging', 's3:DeleteObjectTagging', 's3:DeleteObject', 's3:DeleteObjectVersion'], on: (r) => `${s3Bucket(r)}/${r.values.key as string}` },
      { actions: ['s3:ListBucketVersions'], on: s3Bucket },
    ],
  },
  // --- Web front end: CloudFront ---
  aws_cloudfront_distribution: {
    source: 'internal/service/cloudfront/distribution.go: CreateDistributionWithTags (CreateDistribution + TagResource), GetDistribution, ListTagsForResource, UpdateDistribution (also to disable before delete), DeleteDistribution',
    read: [{ actions: ['cloudfront:GetDistribution', 'cloudfront:ListTagsForResource'], on: distribution }],
    write: [{ actions: ['cloudfront:CreateDistribution', 'cloudfront:TagResource', 'cloudfront:UpdateDistribution', 'cloudfront:DeleteDistribution', 'cloudfront:UntagResource'], on: distribution }],
  },
  aws_cloudfront_function: {
    source: 'internal/service/cloudfront/function.go: CreateFunction, DescribeFunction, GetFunction, UpdateFunction, PublishFunction, DeleteFunction',
    read: [{ actions: ['cloudfront:DescribeFunction', 'cloudfront:GetFunction'], on: (r) => r.arn('cloudfront', `function/${r.values.name as string}`, 'global') }],
    write: [{ actions: ['cloudfront:CreateFunction', 'cloudfront:UpdateFunction', 'cloudfront:PublishFunction', 'cloudfront:DeleteFunction'], on: (r) => r.arn('cloudfront', `function/${r.values.name as string}`, 'global') }],
  },
  aws_cloudfront_origin_access_control: {
    source: 'internal/service/cloudfront/origin_access_control.go: Create/Get/Update/DeleteOriginAccessControl',
    read: [{ actions: ['cloudfront:GetOriginAccessControl'], on: (r) => r.arn('cloudfront', 'origin-access-control/E3EXAMPLE', 'global') }],
    write: [{ actions: ['cloudfront:CreateOriginAccessControl', 'cloudfront:UpdateOriginAccessControl', 'cloudfront:DeleteOriginAccessControl'], on: (r) => r.arn('cloudfront', 'origin-access-control/E3EXAMPLE', 'global'), anyEnvironment: OAC_AND_POLICIES }],
  },
  aws_cloudfront_response_headers_policy: {
    source: 'internal/service/cloudfront/response_headers_policy.go: Create/Get/Update/DeleteResponseHeadersPolicy',
    read: [{ actions: ['cloudfront:GetResponseHeadersPolicy'], on: (r) => r.arn('cloudfront', 'response-headers-policy/00000000-example', 'global') }],
    write: [{ actions: ['cloudfront:CreateResponseHeadersPolicy', 'cloudfront:UpdateResponseHeadersPolicy', 'cloudfront:DeleteResponseHeadersPolicy'], on: (r) => r.arn('cloudfront', 'response-headers-policy/00000000-example', 'global'), anyEnvironment: OAC_AND_POLICIES }],
  },
  // --- Web front end: access logs (CloudWatch Logs delivery, us-east-1) ---
  aws_cloudwatch_log_group: {
    source: 'internal/service/logs/group.go: CreateLogGroup (tags: TagResource), DescribeLogGroups, ListTagsForResource, PutRetentionPolicy, DeleteLogGroup',
    read: [{ actions: ['logs:DescribeLogGroups'], on: ANY }, { actions: ['logs:ListTagsForResource'], on: logGroup }],
    write: [{ actions: ['logs:CreateLogGroup', 'logs:TagResource', 'logs:UntagResource', 'logs:PutRetentionPolicy', 'logs:DeleteRetentionPolicy', 'logs:DeleteLogGroup'], on: logGroup }],
  },
  aws_cloudwatch_log_resource_policy: {
    source: 'internal/service/logs/resource_policy.go: PutResourcePolicy, DescribeResourcePolicies, DeleteResourcePolicy',
    read: [{ actions: ['logs:DescribeResourcePolicies'], on: ANY }],
    write: [{ actions: ['logs:PutResourcePolicy', 'logs:DeleteResourcePolicy'], on: ANY, anyEnvironment: RESOURCE_POLICY }],
  },
  aws_cloudwatch_log_delivery_source: {
    source: 'internal/service/logs/delivery_source.go: PutDeliverySource (CloudWatch Logs "Service-specific permissions": cloudfront:AllowVendedLogDeliveryForResource on the distribution), GetDeliverySource, DeleteDeliverySource, tags',
    read: [{ actions: ['logs:GetDeliverySource', 'logs:ListTagsForResource'], on: (r) => r.arn('logs', `delivery-source:${r.values.name as string}`) }],
    write: [
      { actions: ['logs:PutDeliverySource', 'logs:DeleteDeliverySource', 'logs:TagResource', 'logs:UntagResource'], on: (r) => r.arn('logs', `delivery-source:${r.values.name as string}`) },
      { actions: ['cloudfront:AllowVendedLogDeliveryForResource'], on: distribution },
    ],
  },
  aws_cloudwatch_log_delivery_destination: {
    source: 'internal/service/logs/delivery_destination.go: PutDeliveryDestination, GetDeliveryDestination, DeleteDeliveryDestination, tags',
    read: [{ actions: ['logs:GetDeliveryDestination', 'logs:ListTagsForResource'], on: (r) => r.arn('logs', `delivery-destination:${r.values.name as string}`) }],
    write: [{ actions: ['logs:PutDeliveryDestination', 'logs:DeleteDeliveryDestination', 'logs:TagResource', 'logs:UntagResource'], on: (r) => r.arn('logs', `delivery-destination:${r.values.name as string}`) }],
  },
  aws_cloudwatch_log_delivery: {
    source: 'internal/service/logs/delivery.go: CreateDelivery (authorised on the delivery, its source and destination), GetDelivery, UpdateDeliveryConfiguration, DeleteDelivery, tags',
    read: [{ actions: ['logs:GetDelivery', 'logs:ListTagsForResource'], on: (r) => r.arn('logs', 'delivery:AbCdEfExample') }],
    write: [
      { actions: ['logs:CreateDelivery', 'logs:TagResource', 'logs:UpdateDeliveryConfiguration', 'logs:DeleteDelivery', 'logs:UntagResource'], on: (r) => r.arn('logs', 'delivery:AbCdEfExample') },
      { actions: ['logs:CreateDelivery'], on: (r) => r.arn('logs', `delivery-source:${r.nameOf(r.values.delivery_source_name)}`) },
      { actions: ['logs:CreateDelivery'], on: (r) => r.arn('logs', `delivery-destination:${r.nameOf(r.values.delivery_destination_arn)}`) },
    ],
  },
  // --- Messaging ---
  aws_sns_topic: {
    source: 'internal/service/sns/topic.go: CreateTopic (tags: TagResource), GetTopicAttributes, GetDataProtectionPolicy, ListTagsForResource, SetTopicAttributes, DeleteTopic',
    read: [{ actions: ['sns:GetTopicAttributes', 'sns:GetDataProtectionPolicy', 'sns:ListTagsForResource'], on: (r) => topic(r, r.name) }],
    write: [{ actions: ['sns:CreateTopic', 'sns:TagResource', 'sns:UntagResource', 'sns:SetTopicAttributes', 'sns:DeleteTopic'], on: (r) => topic(r, r.name) }],
  },
  aws_sns_topic_policy: {
    source: 'internal/service/sns/topic_policy.go: SetTopicAttributes(Policy), GetTopicAttributes',
    read: [{ actions: ['sns:GetTopicAttributes'], on: (r) => topic(r, r.nameOf(r.values.arn)) }],
    write: [{ actions: ['sns:SetTopicAttributes'], on: (r) => topic(r, r.nameOf(r.values.arn)) }],
  },
  aws_sns_topic_subscription: {
    source: 'internal/service/sns/topic_subscription.go: Subscribe (on the topic), GetSubscriptionAttributes, SetSubscriptionAttributes, Unsubscribe',
    read: [{ actions: ['sns:GetSubscriptionAttributes'], on: (r) => `${topic(r, r.nameOf(r.values.topic_arn))}:00000000-example` }],
    write: [
      { actions: ['sns:Subscribe'], on: (r) => topic(r, r.nameOf(r.values.topic_arn)) },
      { actions: ['sns:SetSubscriptionAttributes', 'sns:Unsubscribe'], on: (r) => `${topic(r, r.nameOf(r.values.topic_arn))}:00000000-example` },
    ],
  },
  aws_sqs_queue: {
    source: 'internal/service/sqs/queue.go: CreateQueue (tags: TagQueue), GetQueueAttributes, ListQueueTags, SetQueueAttributes, DeleteQueue',
    read: [{ actions: ['sqs:GetQueueAttributes', 'sqs:ListQueueTags'], on: (r) => queue(r, r.name) }],
    write: [{ actions: ['sqs:CreateQueue', 'sqs:TagQueue', 'sqs:UntagQueue', 'sqs:SetQueueAttributes', 'sqs:DeleteQueue'], on: (r) => queue(r, r.name) }],
  },
  aws_sqs_queue_policy: {
    source: 'internal/service/sqs/queue_policy.go (attribute_funcs.go): SetQueueAttributes(Policy), GetQueueAttributes',
    read: [{ actions: ['sqs:GetQueueAttributes'], on: (r) => queue(r, r.nameOf(r.values.queue_url)) }],
    write: [{ actions: ['sqs:SetQueueAttributes'], on: (r) => queue(r, r.nameOf(r.values.queue_url)) }],
  },
  aws_sqs_queue_redrive_allow_policy: {
    source: 'internal/service/sqs/queue_redrive_allow_policy.go (attribute_funcs.go): SetQueueAttributes(RedriveAllowPolicy), GetQueueAttributes',
    read: [{ actions: ['sqs:GetQueueAttributes'], on: (r) => queue(r, r.nameOf(r.values.queue_url)) }],
    write: [{ actions: ['sqs:SetQueueAttributes'], on: (r) => queue(r, r.nameOf(r.values.queue_url)) }],
  },
  aws_cloudwatch_event_rule: {
    source: 'internal/service/events/rule.go: PutRule (tags: TagResource), DescribeRule, ListTagsForResource, EnableRule/DisableRule, DeleteRule',
    read: [{ actions: ['events:DescribeRule', 'events:ListTagsForResource'], on: (r) => rule(r, r.name) }],
    write: [{ actions: ['events:PutRule', 'events:TagResource', 'events:UntagResource', 'events:EnableRule', 'events:DisableRule', 'events:DeleteRule'], on: (r) => rule(r, r.name) }],
  },
  aws_cloudwatch_event_target: {
    source: 'internal/service/events/target.go: PutTargets, ListTargetsByRule, RemoveTargets (all on the rule)',
    read: [{ actions: ['events:ListTargetsByRule'], on: (r) => rule(r, r.nameOf(r.values.rule)) }],
    write: [{ actions: ['events:PutTargets', 'events:RemoveTargets'], on: (r) => rule(r, r.nameOf(r.values.rule)) }],
  },
  aws_lambda_event_source_mapping: {
    source: 'internal/service/lambda/event_source_mapping.go: CreateEventSourceMapping (no resource type; lambda:FunctionArn), GetEventSourceMapping, ListTags, Update/DeleteEventSourceMapping',
    read: [
      { actions: ['lambda:GetEventSourceMapping'], on: (r) => r.arn('lambda', 'event-source-mapping:00000000-example'), context: (r) => ({ 'lambda:FunctionArn': r.arn('lambda', `function:${r.nameOf(r.values.function_name)}`) }) },
      { actions: ['lambda:ListTags'], on: (r) => r.arn('lambda', 'event-source-mapping:00000000-example') },
    ],
    write: [
      { actions: ['lambda:CreateEventSourceMapping'], on: ANY, context: (r) => ({ 'lambda:FunctionArn': r.arn('lambda', `function:${r.nameOf(r.values.function_name)}`) }) },
      { actions: ['lambda:UpdateEventSourceMapping', 'lambda:DeleteEventSourceMapping'], on: (r) => r.arn('lambda', 'event-source-mapping:00000000-example'), context: (r) => ({ 'lambda:FunctionArn': r.arn('lambda', `function:${r.nameOf(r.values.function_name)}`) }) },
      { actions: ['lambda:TagResource', 'lambda:UntagResource'], on: (r) => r.arn('lambda', 'event-source-mapping:00000000-example') },
    ],
  },
  // --- Sign-in: Cognito ---
  aws_cognito_user_pool: {
    source: 'internal/service/cognitoidp/user_pool.go: CreateUserPool (no ARN yet: "*"), DescribeUserPool, GetUserPoolMfaConfig, UpdateUserPool, SetUserPoolMfaConfig, DeleteUserPool, tags',
    read: [{ actions: ['cognito-idp:DescribeUserPool', 'cognito-idp:GetUserPoolMfaConfig'], on: userPool }],
    write: [
      { actions: ['cognito-idp:CreateUserPool'], on: ANY },
      { actions: ['cognito-idp:TagResource', 'cognito-idp:UntagResource', 'cognito-idp:UpdateUserPool', 'cognito-idp:SetUserPoolMfaConfig', 'cognito-idp:DeleteUserPool'], on: userPool },
    ],
  },
  aws_cognito_user_pool_client: {
    source: 'internal/service/cognitoidp/user_pool_client.go: Create/Describe/Update/DeleteUserPoolClient (authorised on the pool)',
    read: [{ actions: ['cognito-idp:DescribeUserPoolClient'], on: userPool }],
    write: [{ actions: ['cognito-idp:CreateUserPoolClient', 'cognito-idp:UpdateUserPoolClient', 'cognito-idp:DeleteUserPoolClient'], on: userPool }],
  },
  aws_cognito_user_group: {
    source: 'internal/service/cognitoidp/user_group.go: Create/Get/Update/DeleteGroup (authorised on the pool)',
    read: [{ actions: ['cognito-idp:GetGroup'], on: userPool }],
    write: [{ actions: ['cognito-idp:CreateGroup', 'cognito-idp:UpdateGroup', 'cognito-idp:DeleteGroup'], on: userPool }],
  },
};

/** Data sources: what each reads (none of the stack's calls AWS today). */
export const DATA_SOURCE_ACTIONS: Readonly<Record<string, ProviderActions>> = {
  // Rendered by the provider itself (internal/service/iam/policy_document_data_source.go): no AWS call.
  aws_iam_policy_document: { source: 'internal/service/iam/policy_document_data_source.go: no AWS call', read: [], write: [] },
};

/**
 * Types the CI roles cover (ci-permissions.ts, by the statements the
 * bootstrap tests check one by one) without an entry in this table yet.
 * Move a type into PROVIDER_ACTIONS to have the coverage test check it; a
 * type in neither list fails the test.
 */
export const NOT_YET_TABLED: readonly string[] = [
  'aws_apigatewayv2_api', 'aws_apigatewayv2_authorizer', 'aws_apigatewayv2_integration', 'aws_apigatewayv2_route', 'aws_apigatewayv2_stage',
  'aws_db_proxy', 'aws_db_proxy_default_target_group', 'aws_db_proxy_target', 'aws_db_subnet_group', 'aws_rds_cluster', 'aws_rds_cluster_instance',
  'aws_rds_cluster_parameter_group', 'aws_default_security_group', 'aws_security_group', 'aws_vpc_security_group_egress_rule',
  'aws_vpc_security_group_ingress_rule', 'aws_vpc', 'aws_subnet', 'aws_route_table', 'aws_route_table_association', 'aws_route', 'aws_vpc_endpoint',
  'aws_flow_log', 'aws_internet_gateway', 'aws_nat_gateway', 'aws_eip', 'aws_dynamodb_table', 'aws_iam_role', 'aws_iam_role_policy',
  'aws_kms_alias', 'aws_kms_key', 'aws_kms_key_policy', 'aws_lambda_function', 'aws_lambda_invocation', 'aws_lambda_permission', 'aws_secretsmanager_secret',
];

type Json = Record<string, unknown>;
const REFERENCE = /^\$\{([a-z0-9_]+)\.([^.}]+)\.[a-z_]+\}$/;
/** The us-east-1 provider's alias (infra/provider.ts, configureUsEast1Provider). */
const US_EAST_1_PROVIDER = 'aws.us_east_1';

/**
 * Every resource of a synthesized stack (`cdktf synth` JSON) as the table's
 * functions see it, with `account` standing in for the account id.
 */
export function synthesizedResources(stack: { resource?: Record<string, Record<string, Json>>; provider?: Record<string, Json[]> }, account = '123456789012'): Synthesized[] {
  const resources = stack.resource ?? {};
  const aws = stack.provider?.aws ?? [];
  const regionOf = (alias?: unknown) => (alias === US_EAST_1_PROVIDER ? 'us-east-1' : ((aws.find((p) => p.alias === undefined)?.region as string | undefined) ?? 'us-east-1'));
  const ownName = (type: string, v: Json): string => {
    const name = v.name ?? v.bucket ?? (v.bucket_prefix !== undefined ? `${v.bucket_prefix as string}${BUCKET_SUFFIX}` : undefined) ?? v.function_name;
    if (typeof name !== 'string') return `(${type} has no name)`;
    return name;
  };
  const nameOf = (value: unknown): string => {
    if (typeof value !== 'string') throw new Error(`provider-actions: cannot name ${JSON.stringify(value)}`);
    const ref = REFERENCE.exec(value);
    if (!ref) return value;
    const target = resources[ref[1]!]?.[ref[2]!];
    if (!target) throw new Error(`provider-actions: ${value} refers to no resource of the stack`);
    return ownName(ref[1]!, target);
  };
  return Object.entries(resources).flatMap(([type, byId]) =>
    Object.values(byId).map((values): Synthesized => {
      const region = regionOf(values.provider);
      return {
        type,
        values,
        region,
        account,
        partition: 'aws',
        name: ownName(type, values),
        nameOf,
        arn: (service, rest, scope = 'regional') =>
          scope === 'bare' ? `arn:aws:${service}:::${rest}` : `arn:aws:${service}:${scope === 'global' ? '' : region}:${account}:${rest}`,
      };
    }),
  );
}
