/**
 * What the CI roles of one environment may do to its web front end
 * (infra/constructs/web-site.ts, web-access-logs.ts): the S3 bucket and its
 * files, the CloudFront distribution, Origin Access Control, response headers
 * policy and function, and CloudFront's access logs (standard logging v2)
 * delivered to CloudWatch Logs in us-east-1.
 *
 * Sources: the hashicorp/aws 5.100 provider's `internal/service/s3`
 * (bucket.go reads every bucket sub-configuration; object.go HeadObject,
 * GetObjectTagging, ListObjectVersions/DeleteObject on delete),
 * `internal/service/cloudfront` (distribution.go CreateDistributionWithTags,
 * GetDistribution, UpdateDistribution to disable before DeleteDistribution;
 * function.go DescribeFunction/GetFunction/PublishFunction;
 * origin_access_control.go; response_headers_policy.go),
 * `internal/service/logs` (delivery*.go, resource_policy.go); AWS's Service
 * Authorization Reference (S3, CloudFront, CloudWatch Logs); the CloudWatch
 * Logs User Guide, "Logs sent to CloudWatch Logs" [V2] and "Service-specific
 * permissions" (cloudfront:AllowVendedLogDeliveryForResource).
 *
 * How the environment's web resources are told apart:
 * - by name: the bucket `<project>-<env>-web-*` (bucket_prefix) and its
 *   objects, the function `<project>-<env>-*`, the log delivery source and
 *   destination `<project>-<env>-*`, the log group `/aws/cloudfront/<project>-<env>/…`;
 * - by the `environment` tag: the distribution (its ARN is an id) and the
 *   log delivery (named by an id);
 * - by neither: Origin Access Controls and response headers policies have an
 *   id for ARN and take no tags, so the apply role may change any of the
 *   account's (docs/ci-cd.md, "What one account cannot isolate").
 */
import { allow, tagIs, type EnvironmentScope, type PolicyStatementJson } from './ci-statement';

/** CloudFront's log delivery sources live in us-east-1, whatever the stack's region (infra/constructs/web-access-logs.ts). */
export const LOG_DELIVERY_REGION = 'us-east-1';

/** ARN patterns of one environment's web front end. CloudFront and S3 ARNs carry no region. */
export function webArns(s: EnvironmentScope) {
  const p = s.partition ?? 'aws';
  const prefix = `${s.project}-${s.environment}`;
  const logs = `arn:${p}:logs:${LOG_DELIVERY_REGION}:*`;
  return {
    bucket: `arn:${p}:s3:::${prefix}-web-*`,
    objects: `arn:${p}:s3:::${prefix}-web-*/*`,
    distribution: `arn:${p}:cloudfront::*:distribution/*`,
    function: `arn:${p}:cloudfront::*:function/${prefix}-*`,
    originAccessControl: `arn:${p}:cloudfront::*:origin-access-control/*`,
    responseHeadersPolicy: `arn:${p}:cloudfront::*:response-headers-policy/*`,
    logGroup: `${logs}:log-group:/aws/cloudfront/${prefix}/*`,
    deliverySource: `${logs}:delivery-source:${prefix}-*`,
    deliveryDestination: `${logs}:delivery-destination:${prefix}-*`,
    delivery: `${logs}:delivery:*`,
  };
}

/** What aws_s3_bucket's read calls (bucket.go: HeadBucket, then every Get of a sub-configuration) and the bucket_* resources read. */
const BUCKET_READS = [
  's3:ListBucket', 's3:GetBucketPolicy', 's3:GetBucketAcl', 's3:GetBucketCORS', 's3:GetBucketWebsite', 's3:GetBucketVersioning',
  's3:GetAccelerateConfiguration', 's3:GetBucketRequestPayment', 's3:GetBucketLogging', 's3:GetLifecycleConfiguration',
  's3:GetReplicationConfiguration', 's3:GetEncryptionConfiguration', 's3:GetBucketObjectLockConfiguration', 's3:GetBucketTagging',
  's3:GetBucketPublicAccessBlock', 's3:GetBucketOwnershipControls',
];

/** CloudWatch Logs' delivery listings, documented with `"Resource": "*"` ("Logs sent to CloudWatch Logs", ListAccessForLogDeliveryActions). */
export const WEB_DISCOVERY_READS = ['logs:DescribeDeliveries', 'logs:DescribeDeliverySources', 'logs:DescribeDeliveryDestinations', 'logs:DescribeResourcePolicies'];

/** The plan role's reads of the web front end (the apply role has them too). */
export function webReads(s: EnvironmentScope): PolicyStatementJson[] {
  const w = webArns(s);
  const env = s.environment;
  return [
    // aws_s3_bucket and its sub-resources; the objects (HeadObject is authorised as s3:GetObject).
    allow('ReadWebBucket', BUCKET_READS, [w.bucket]),
    allow('ReadWebObjects', ['s3:GetObject', 's3:GetObjectTagging'], [w.objects]),
    // Distribution ids are random: the environment's by tag (distribution.go GetDistribution, tags ListTagsForResource).
    allow('ReadWebDistribution', ['cloudfront:GetDistribution', 'cloudfront:ListTagsForResource'], [w.distribution], tagIs('ResourceTag', env)),
    // function.go reads both stages' metadata and the code; named <project>-<env>-*.
    allow('ReadWebFunction', ['cloudfront:DescribeFunction', 'cloudfront:GetFunction'], [w.function]),
    // No tags, ids for ARN: the account's OACs and response headers policies (read-only).
    allow('ReadWebCloudFrontPolicies', ['cloudfront:GetOriginAccessControl', 'cloudfront:GetResponseHeadersPolicy'], [w.originAccessControl, w.responseHeadersPolicy]),
    // Access logs in us-east-1: the log group, the delivery source and destination by name, the delivery by tag.
    allow('ReadWebLogGroup', ['logs:ListTagsForResource', 'logs:ListTagsLogGroup'], [w.logGroup]),
    allow('ReadWebLogDeliveryParts', ['logs:GetDeliverySource', 'logs:GetDeliveryDestination', 'logs:GetDeliveryDestinationPolicy', 'logs:ListTagsForResource'], [w.deliverySource, w.deliveryDestination]),
    allow('ReadWebLogDelivery', ['logs:GetDelivery', 'logs:ListTagsForResource'], [w.delivery], tagIs('ResourceTag', env)),
  ];
}

/** The apply role's changes to the web front end, each limited to the environment's names or tags where AWS allows. */
export function webApplyStatements(s: EnvironmentScope): PolicyStatementJson[] {
  const w = webArns(s);
  const env = s.environment;
  return [
    // S3 by bucket name: create (then PutBucketTagging), the sub-configurations (their Delete* calls are
    // authorised as the Put* action, except DeleteBucketPolicy), and force_destroy's emptying (ListObjectVersions).
    allow(
      'ManageWebBucket',
      ['s3:CreateBucket', 's3:DeleteBucket', 's3:PutBucketTagging', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy', 's3:PutBucketPublicAccessBlock',
        's3:PutBucketOwnershipControls', 's3:PutEncryptionConfiguration', 's3:PutBucketVersioning', 's3:PutLifecycleConfiguration', 's3:ListBucketVersions'],
      [w.bucket],
    ),
    // aws_s3_object: PutObject with default tags needs s3:PutObjectTagging too; deleting from a versioned
    // bucket deletes every version (DeleteObject with VersionId is s3:DeleteObjectVersion).
    allow('ManageWebObjects', ['s3:PutObject', 's3:PutObjectTagging', 's3:DeleteObjectTagging', 's3:DeleteObject', 's3:DeleteObjectVersion'], [w.objects]),
    // CreateDistributionWithTags needs cloudfront:CreateDistribution and cloudfront:TagResource (CloudFront API
    // reference): only with the environment's request tag.
    allow('CreateWebDistribution', ['cloudfront:CreateDistribution', 'cloudfront:TagResource'], [w.distribution], tagIs('RequestTag', env)),
    // Changes (delete disables with UpdateDistribution first) and the log delivery's authorisation on the
    // distribution (CloudWatch Logs "Service-specific permissions"), only on distributions with the tag.
    allow(
      'ManageWebDistribution',
      ['cloudfront:UpdateDistribution', 'cloudfront:DeleteDistribution', 'cloudfront:TagResource', 'cloudfront:UntagResource', 'cloudfront:AllowVendedLogDeliveryForResource'],
      [w.distribution],
      tagIs('ResourceTag', env),
    ),
    // CloudFront Functions have names: <project>-<env>-* (publish: true publishes on create and update).
    allow('ManageWebFunction', ['cloudfront:CreateFunction', 'cloudfront:UpdateFunction', 'cloudfront:PublishFunction', 'cloudfront:DeleteFunction'], [w.function]),
    // OACs and response headers policies take no tags and have ids for ARN: no way to scope them to the environment.
    allow(
      'ManageWebCloudFrontPolicies',
      ['cloudfront:CreateOriginAccessControl', 'cloudfront:UpdateOriginAccessControl', 'cloudfront:DeleteOriginAccessControl',
        'cloudfront:CreateResponseHeadersPolicy', 'cloudfront:UpdateResponseHeadersPolicy', 'cloudfront:DeleteResponseHeadersPolicy'],
      [w.originAccessControl, w.responseHeadersPolicy],
    ),
    allow(
      'ManageWebLogGroup',
      ['logs:CreateLogGroup', 'logs:DeleteLogGroup', 'logs:PutRetentionPolicy', 'logs:DeleteRetentionPolicy', 'logs:TagResource', 'logs:UntagResource', 'logs:TagLogGroup', 'logs:UntagLogGroup'],
      [w.logGroup],
    ),
    // Delivery source and destination by name (tags on create need logs:TagResource).
    allow(
      'ManageWebLogDeliveryParts',
      ['logs:PutDeliverySource', 'logs:DeleteDeliverySource', 'logs:PutDeliveryDestination', 'logs:DeleteDeliveryDestination', 'logs:TagResource', 'logs:UntagResource'],
      [w.deliverySource, w.deliveryDestination],
    ),
    // CreateDelivery is authorised on the delivery and on the source and destination it pairs; only with the tag.
    allow('CreateWebLogDelivery', ['logs:CreateDelivery', 'logs:TagResource'], [w.delivery, w.deliverySource, w.deliveryDestination], tagIs('RequestTag', env)),
    allow('ManageWebLogDelivery', ['logs:UpdateDeliveryConfiguration', 'logs:DeleteDelivery', 'logs:TagResource', 'logs:UntagResource'], [w.delivery], tagIs('ResourceTag', env)),
    // The log group's resource policy (aws_cloudwatch_log_resource_policy; CreateDelivery checks it): account-level
    // policies named, not ARNs, so "*" ("Logs sent to CloudWatch Logs", AllowUpdatesToResourcePolicyCWL; Describe is a discovery read).
    allow('WebLogResourcePolicy', ['logs:PutResourcePolicy', 'logs:DeleteResourcePolicy'], ['*']),
  ];
}
