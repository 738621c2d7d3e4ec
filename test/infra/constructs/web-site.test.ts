/**
 * WebSite alone, on the fixture build (test/fixtures/web): a private bucket
 * read only by its distribution through OAC, HTTPS only with the shared
 * security headers and SPA routing, access logs in us-east-1, and one object
 * per built file with its type, cache header and hash, plus config.json.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing, type TerraformResource } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { CloudfrontOriginAccessControl } from '@cdktf/provider-aws/lib/cloudfront-origin-access-control';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { CACHING_OPTIMIZED_POLICY_ID, WebSite, type WebSiteProps } from '../../../infra/constructs/web-site';
import { IMMUTABLE_CACHE, REVALIDATE_CACHE } from '../../../infra/constructs/web-files';
import { cognitoOrigin, webSecurityHeaders } from '../../../infra/web-headers';
import { SPA_REWRITE_FUNCTION_CODE } from '../../../infra/web-routing';
import { FIXTURE_WEB_KEYS, fixtureWebDir } from '../../fixtures/web';
import { addressOf, onlyResource, policyDocumentOf, refTo, resourcesOf, synthScope, type TfJson } from '../helpers';

Testing.setupJest();

const API = 'https://abc123.execute-api.eu-west-1.amazonaws.com';
const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9';

function synthWeb(props: Partial<WebSiteProps> = {}) {
  let site: WebSite | undefined;
  const synth = synthScope((scope) => {
    const usEast1 = new AwsProvider(scope, 'aws-us-east-1', { alias: 'us_east_1', region: 'us-east-1' });
    site = new WebSite(scope, 'web', {
      namePrefix: 'sps-test',
      webDir: fixtureWebDir,
      settings: { apiUrl: API, region: 'eu-west-1' },
      usEast1Provider: usEast1,
      logRetentionDays: 14,
      ...props,
    });
  });
  return { ...synth, site: site! };
}

let defaults: ReturnType<typeof synthWeb>;
beforeAll(() => {
  defaults = synthWeb();
});

const distribution = (json: TfJson) => onlyResource(json, 'aws_cloudfront_distribution');
const objectsByKey = (json: TfJson): Record<string, Record<string, any>> =>
  Object.fromEntries(resourcesOf(json, 'aws_s3_object').map(([id, o]) => [o.key as string, { id, ...o }]));
/** Policy suppressions declared on a resource (`suppressPolicy`; Testing.synth leaves the `//` metadata out). */
function suppressionsOf(resource: TerraformResource): { rule: string; reason: string }[] {
  const [block] = Object.values(Object.values((resource.toTerraform() as { resource: Record<string, Record<string, any>> }).resource)[0]!);
  return block['//']?.sps_suppressions ?? [];
}

describe('the bucket', () => {
  test('is private: no website hosting, all four public-access blocks, ACLs disabled', () => {
    const { synth, json } = defaults;
    expect(json.resource.aws_s3_bucket_website_configuration).toBeUndefined();
    expect(json.resource.aws_s3_bucket_acl).toBeUndefined();
    expect(synth).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(synth).toHaveResourceWithProperties(S3BucketOwnershipControls, { rule: { object_ownership: 'BucketOwnerEnforced' } });
  });

  test('is named <prefix>-web-… by S3 (bucket_prefix) and can be destroyed with its versions', () => {
    expect(onlyResource(defaults.json, 'aws_s3_bucket')).toEqual(expect.objectContaining({ bucket_prefix: 'sps-test-web-', force_destroy: true }));
  });

  test('is encrypted with SSE-S3, and says why SPS-S3-2 (KMS) does not apply', () => {
    expect(defaults.synth).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } }],
    });
    expect(suppressionsOf(defaults.site.bucket)).toEqual([{ rule: 'SPS-S3-2', reason: expect.stringContaining('CloudFront OAC') }]);
  });

  test('is versioned, and old versions expire after 30 days', () => {
    expect(defaults.synth).toHaveResourceWithProperties(S3BucketVersioningA, { versioning_configuration: { status: 'Enabled' } });
    const rule = onlyResource(defaults.json, 'aws_s3_bucket_lifecycle_configuration').rule[0];
    expect(rule).toMatchObject({ status: 'Enabled', noncurrent_version_expiration: [{ noncurrent_days: 30 }], abort_incomplete_multipart_upload: [{ days_after_initiation: 1 }] });
  });

  test('GIVEN noncurrentVersionDays WHEN synthesized THEN old versions are kept that long', () => {
    const { json } = synthWeb({ noncurrentVersionDays: 7 });
    expect(onlyResource(json, 'aws_s3_bucket_lifecycle_configuration').rule[0].noncurrent_version_expiration).toEqual([{ noncurrent_days: 7 }]);
  });

  test('policy: only the distribution reads (GetObject, ListBucket for real 404s), nothing without TLS', () => {
    const { json } = defaults;
    const doc = policyDocumentOf(json, onlyResource(json, 'aws_s3_bucket_policy').policy);
    const bucketArn = refTo(json, 'aws_s3_bucket', 'arn');
    const fromDistribution = [{ test: 'StringEquals', variable: 'AWS:SourceArn', values: [refTo(json, 'aws_cloudfront_distribution', 'arn')] }];
    const cloudfront = [{ type: 'Service', identifiers: ['cloudfront.amazonaws.com'] }];
    expect(doc.statement).toEqual([
      expect.objectContaining({ effect: 'Allow', principals: cloudfront, actions: ['s3:GetObject'], resources: [`${bucketArn}/*`], condition: fromDistribution }),
      expect.objectContaining({ effect: 'Allow', principals: cloudfront, actions: ['s3:ListBucket'], resources: [bucketArn], condition: fromDistribution }),
      expect.objectContaining({
        effect: 'Deny',
        actions: ['s3:*'],
        resources: [bucketArn, `${bucketArn}/*`],
        condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
      }),
    ]);
  });
});

describe('the distribution', () => {
  test('reads the bucket through an Origin Access Control that always signs with SigV4 (no OAI)', () => {
    const { synth, json } = defaults;
    expect(synth).toHaveResourceWithProperties(CloudfrontOriginAccessControl, { origin_access_control_origin_type: 's3', signing_behavior: 'always', signing_protocol: 'sigv4' });
    expect(distribution(json).origin).toEqual([
      { origin_id: 's3-web', domain_name: refTo(json, 'aws_s3_bucket', 'bucket_regional_domain_name'), origin_access_control_id: refTo(json, 'aws_cloudfront_origin_access_control', 'id') },
    ]);
    expect(json.resource.aws_cloudfront_origin_access_identity).toBeUndefined();
  });

  test('serves HTTPS only (HTTP redirected), over HTTP/2 and HTTP/3 and IPv6, compressed, GET/HEAD only', () => {
    const d = distribution(defaults.json);
    expect(d).toMatchObject({ enabled: true, http_version: 'http2and3', is_ipv6_enabled: true, default_root_object: 'index.html', wait_for_deployment: false });
    expect(d.default_cache_behavior).toMatchObject({
      viewer_protocol_policy: 'redirect-to-https',
      compress: true,
      allowed_methods: ['GET', 'HEAD'],
      cached_methods: ['GET', 'HEAD'],
      cache_policy_id: CACHING_OPTIMIZED_POLICY_ID,
      response_headers_policy_id: refTo(defaults.json, 'aws_cloudfront_response_headers_policy', 'id'),
    });
  });

  test('is in the cheapest price class by default, and in the one given', () => {
    expect(distribution(defaults.json).price_class).toBe('PriceClass_100');
    expect(distribution(synthWeb({ priceClass: 'PriceClass_All' }).json).price_class).toBe('PriceClass_All');
  });

  test('without a custom domain: CloudFront\'s certificate, and SPS-CF-2 suppressed with the reason (TLSv1 is fixed there)', () => {
    const d = distribution(defaults.json);
    expect(d.viewer_certificate).toEqual({ cloudfront_default_certificate: true });
    expect(d.aliases).toBeUndefined();
    expect(suppressionsOf(defaults.site.distribution)).toEqual([{ rule: 'SPS-CF-2', reason: expect.stringContaining('web.customDomain') }]);
  });

  test('GIVEN a custom domain WHEN synthesized THEN it is an alias with its ACM certificate, SNI and TLSv1.2_2021', () => {
    const custom = synthWeb({ customDomain: { name: 'app.example.com', certificateArn: CERT } });
    const d = distribution(custom.json);
    expect(d.aliases).toEqual(['app.example.com']);
    expect(d.viewer_certificate).toEqual({ acm_certificate_arn: CERT, ssl_support_method: 'sni-only', minimum_protocol_version: 'TLSv1.2_2021' });
    expect(suppressionsOf(custom.site.distribution)).toEqual([]);
  });

  test('rewrites app routes to /index.html with a CloudFront Function on viewer-request (the shared routing code)', () => {
    const { json } = defaults;
    expect(onlyResource(json, 'aws_cloudfront_function')).toMatchObject({ runtime: 'cloudfront-js-2.0', publish: true, code: SPA_REWRITE_FUNCTION_CODE });
    expect(distribution(json).default_cache_behavior.function_association).toEqual([
      { event_type: 'viewer-request', function_arn: refTo(json, 'aws_cloudfront_function', 'arn') },
    ]);
    expect(distribution(json).custom_error_response).toBeUndefined();
  });

  test('sends the security headers of infra/web-headers.ts, overriding the origin\'s', () => {
    const headers = webSecurityHeaders({ api: API, auth: [cognitoOrigin('eu-west-1')] });
    const config = onlyResource(defaults.json, 'aws_cloudfront_response_headers_policy').security_headers_config;
    expect(config.content_security_policy).toEqual({ content_security_policy: headers['content-security-policy'], override: true });
    expect(headers['content-security-policy']).toContain(`connect-src 'self' ${API} https://cognito-idp.eu-west-1.amazonaws.com`);
    expect(config.strict_transport_security).toEqual({ access_control_max_age_sec: 63072000, include_subdomains: true, preload: true, override: true });
    expect(headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains; preload');
    expect(config.content_type_options).toEqual({ override: true });
    expect(config.frame_options).toEqual({ frame_option: headers['x-frame-options'], override: true });
    expect(config.referrer_policy).toEqual({ referrer_policy: headers['referrer-policy'], override: true });
  });
});

describe('access logs (standard logging v2 to CloudWatch Logs, in us-east-1)', () => {
  test('the distribution is a delivery source of ACCESS_LOGS, delivered as JSON to a log group with retention', () => {
    const { json } = defaults;
    const usEast1 = 'aws.us_east_1';
    expect(onlyResource(json, 'aws_cloudwatch_log_group')).toEqual(
      expect.objectContaining({ provider: usEast1, name: '/aws/cloudfront/sps-test/access', retention_in_days: 14 }),
    );
    expect(onlyResource(json, 'aws_cloudwatch_log_delivery_source')).toEqual(
      expect.objectContaining({ provider: usEast1, log_type: 'ACCESS_LOGS', resource_arn: refTo(json, 'aws_cloudfront_distribution', 'arn') }),
    );
    expect(onlyResource(json, 'aws_cloudwatch_log_delivery_destination')).toEqual(
      expect.objectContaining({ provider: usEast1, output_format: 'json', delivery_destination_configuration: [{ destination_resource_arn: refTo(json, 'aws_cloudwatch_log_group', 'arn') }] }),
    );
    expect(onlyResource(json, 'aws_cloudwatch_log_delivery')).toEqual(
      expect.objectContaining({
        provider: usEast1,
        delivery_source_name: refTo(json, 'aws_cloudwatch_log_delivery_source', 'name'),
        delivery_destination_arn: refTo(json, 'aws_cloudwatch_log_delivery_destination', 'arn'),
        depends_on: [addressOf(json, 'aws_cloudwatch_log_resource_policy')],
      }),
    );
  });

  test('only the log delivery service may write, to this log group, for this account', () => {
    const { json } = defaults;
    const policy = onlyResource(json, 'aws_cloudwatch_log_resource_policy');
    expect(policy.provider).toBe('aws.us_east_1');
    const [statement] = policyDocumentOf(json, policy.policy_document).statement;
    expect(statement).toMatchObject({
      principals: [{ type: 'Service', identifiers: ['delivery.logs.amazonaws.com'] }],
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [`${refTo(json, 'aws_cloudwatch_log_group', 'arn')}:log-stream:*`],
    });
    expect(statement.condition.map((c: { variable: string }) => c.variable)).toEqual(['aws:SourceAccount', 'aws:SourceArn']);
  });
});

describe('uploads', () => {
  test('every built file becomes one object with its content type and cache header', () => {
    const objects = objectsByKey(defaults.json);
    expect(Object.keys(objects).sort()).toEqual([...FIXTURE_WEB_KEYS, 'config.json'].sort());
    expect(objects['assets/app-3f2a1c.js']).toMatchObject({ content_type: 'text/javascript; charset=utf-8', cache_control: IMMUTABLE_CACHE });
    expect(objects['assets/app-9b1e.css']).toMatchObject({ content_type: 'text/css; charset=utf-8', cache_control: IMMUTABLE_CACHE });
    expect(objects['index.html']).toMatchObject({ content_type: 'text/html; charset=utf-8', cache_control: REVALIDATE_CACHE });
    expect(objects['favicon.ico']).toMatchObject({ content_type: 'image/x-icon', cache_control: REVALIDATE_CACHE });
    expect(objects['config.json']).toMatchObject({ content_type: 'application/json', cache_control: REVALIDATE_CACHE });
    for (const o of Object.values(objects)) expect(o.bucket).toBe(refTo(defaults.json, 'aws_s3_bucket', 'id'));
  });

  test('each file is uploaded from the stack\'s copy of the build, with its SHA-256 as source_hash', () => {
    for (const key of FIXTURE_WEB_KEYS) {
      const o = objectsByKey(defaults.json)[key]!;
      expect(o.source).toMatch(new RegExp(`^assets/web_build_[A-Z0-9]+/build/${key.replace(/[.]/g, '\\.')}$`));
      expect(o.source_hash).toBe(createHash('sha256').update(readFileSync(join(fixtureWebDir, key))).digest('hex'));
    }
  });

  test('index.html and the other entry files are written after the hashed assets they load', () => {
    const objects = objectsByKey(defaults.json);
    const hashed = ['assets/app-3f2a1c.js', 'assets/app-9b1e.css'].map((k) => `aws_s3_object.${objects[k]!.id}`);
    expect(objects['index.html']!.depends_on).toEqual(hashed);
    expect(objects['favicon.ico']!.depends_on).toEqual(hashed);
    expect(objects['assets/app-3f2a1c.js']!.depends_on).toBeUndefined();
  });

  test('config.json is the stack\'s settings, encoded by Terraform (resolved at apply)', () => {
    expect(objectsByKey(defaults.json)['config.json']!.content).toBe(`\${jsonencode({"apiUrl" = "${API}", "region" = "eu-west-1"})}`);
  });

  test('GIVEN the sign-in ids WHEN synthesized THEN config.json carries them too', () => {
    const { json } = synthWeb({ settings: { apiUrl: API, region: 'eu-west-1', userPoolId: 'eu-west-1_Abc', userPoolClientId: 'client123' } });
    expect(objectsByKey(json)['config.json']!.content).toContain('"userPoolId" = "eu-west-1_Abc", "userPoolClientId" = "client123"');
  });
});
