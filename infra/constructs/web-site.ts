/**
 * The web front end: the built files in a private S3 bucket, served by a
 * CloudFront distribution that alone may read it (Origin Access Control),
 * over HTTPS only, with the security headers of infra/web-headers.ts, the
 * single-page app's routing of infra/web-routing.ts, access logs, and a
 * `config.json` generated from the stack. The constructor reads as the list
 * of steps; docs/infrastructure.md ("Web front end: S3 + CloudFront") says
 * why each default is the secure, cheap one.
 */
import { Construct } from 'constructs';
import { AssetType, Fn, TerraformAsset, type TerraformProvider } from 'cdktf';
import { CloudfrontDistribution } from '@cdktf/provider-aws/lib/cloudfront-distribution';
import { CloudfrontFunction } from '@cdktf/provider-aws/lib/cloudfront-function';
import { CloudfrontOriginAccessControl } from '@cdktf/provider-aws/lib/cloudfront-origin-access-control';
import { CloudfrontResponseHeadersPolicy } from '@cdktf/provider-aws/lib/cloudfront-response-headers-policy';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import { suppressPolicy } from '../policy/suppress';
import { FRAME_OPTIONS, HSTS, REFERRER_POLICY, cognitoOrigin, contentSecurityPolicy } from '../web-headers';
import { SPA_REWRITE_FUNCTION_CODE } from '../web-routing';
import { WebAccessLogs } from './web-access-logs';
import { CONFIG_KEY, HASHED_PREFIX, REVALIDATE_CACHE, listWebFiles, type WebFile } from './web-files';

/** What the front end reads from `config.json`: built from the stack's own resources, never typed in. */
export interface WebSettings {
  /** The HTTP API's origin, e.g. the API's `api_endpoint` (`https://<id>.execute-api.<region>.amazonaws.com`). */
  readonly apiUrl: string;
  readonly region: string;
  /** Cognito user pool id, once the stack has one (sign-in). */
  readonly userPoolId?: string;
  /** The pool's app client for the browser. */
  readonly userPoolClientId?: string;
}

/** A domain of one's own, with its ACM certificate (us-east-1). */
export interface WebCustomDomain {
  readonly name: string;
  readonly certificateArn: string;
}

export type PriceClass = 'PriceClass_100' | 'PriceClass_200' | 'PriceClass_All';

export interface WebSiteProps {
  /** Prefix of every name, e.g. `sps-dev`. */
  readonly namePrefix: string;
  /** The built front end (infra/constructs/web-files.ts has the contract). */
  readonly webDir: string;
  /** Written to `config.json`; `apiUrl` and the region also make the CSP's `connect-src`. */
  readonly settings: WebSettings;
  /** An AWS provider in us-east-1, where CloudFront's log delivery lives. */
  readonly usEast1Provider: TerraformProvider;
  /** Retention of the access logs, days. */
  readonly logRetentionDays: number;
  /** @default "PriceClass_100" (North America, Europe, Israel: the cheapest) */
  readonly priceClass?: PriceClass;
  /** @default - `<id>.cloudfront.net` with CloudFront's certificate */
  readonly customDomain?: WebCustomDomain;
  /** Days a replaced or deleted file's previous version is kept (rollback window). @default 30 */
  readonly noncurrentVersionDays?: number;
}

/** AWS's managed cache policy "CachingOptimized" (CloudFront Developer Guide, "Use managed cache policies"). */
export const CACHING_OPTIMIZED_POLICY_ID = '658327ea-f89d-4fab-a63d-7e88639e58f6';
/** The security policy CloudFront applies with a custom certificate (TLS 1.2+, modern ciphers). */
export const MINIMUM_TLS_WITH_CUSTOM_DOMAIN = 'TLSv1.2_2021';
const ORIGIN_ID = 's3-web';

export class WebSite extends Construct {
  /** The published files (build output), by key. */
  readonly files: readonly WebFile[];
  readonly bucket: S3Bucket;
  readonly originAccessControl: CloudfrontOriginAccessControl;
  readonly spaFunction: CloudfrontFunction;
  readonly headersPolicy: CloudfrontResponseHeadersPolicy;
  readonly distribution: CloudfrontDistribution;
  readonly bucketPolicy: S3BucketPolicy;
  readonly accessLogs: WebAccessLogs;
  /** One object per built file, by key, plus `config.json`. */
  readonly objects: Readonly<Record<string, S3Object>>;

  constructor(scope: Construct, id: string, private readonly props: WebSiteProps) {
    super(scope, id);
    this.files = listWebFiles(props.webDir);
    this.bucket = this.createBucket();
    this.originAccessControl = this.createOriginAccessControl();
    this.spaFunction = this.createSpaFunction();
    this.headersPolicy = this.createHeadersPolicy();
    this.distribution = this.createDistribution();
    this.bucketPolicy = this.allowOnlyTheDistribution();
    this.accessLogs = new WebAccessLogs(this, 'access-logs', {
      namePrefix: props.namePrefix,
      distributionArn: this.distribution.arn,
      provider: props.usEast1Provider,
      retentionDays: props.logRetentionDays,
    });
    this.objects = this.upload();
  }

  /** `https://` and the domain viewers use: the custom domain, else the distribution's. */
  get url(): string {
    return `https://${this.props.customDomain?.name ?? this.distribution.domainName}`;
  }

  /** Every origin the front end is served from: the distribution's, and the custom domain's when set (for CORS). */
  get origins(): string[] {
    return [`https://${this.distribution.domainName}`, ...(this.props.customDomain ? [`https://${this.props.customDomain.name}`] : [])];
  }

  /**
   * Private bucket: no website hosting, all four public-access blocks, ACLs
   * disabled, versioned (a bad deploy can be rolled back) with old versions
   * expiring. SSE-S3, not our KMS key: the files are public through
   * CloudFront anyway, SSE-KMS would need a key policy statement for
   * cloudfront.amazonaws.com and a KMS request per cache miss, and S3
   * reports MD5 ETags only for SSE-S3 objects (docs/infrastructure.md).
   */
  private createBucket(): S3Bucket {
    const bucket = new S3Bucket(this, 'bucket', {
      bucketPrefix: `${this.props.namePrefix}-web-`,
      // Every file is rebuilt from the repository; versions must not block a destroy.
      forceDestroy: true,
    });
    suppressPolicy(
      bucket,
      'SPS-S3-2',
      'Public web assets served through CloudFront OAC: SSE-S3 (AES256) instead of our KMS key, which would add a key policy grant to cloudfront.amazonaws.com and a KMS request per cache miss for no confidentiality gain (docs/infrastructure.md)',
    );
    new S3BucketPublicAccessBlock(this, 'public-access', {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'ownership', { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } });
    new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket: bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
    });
    const versioning = new S3BucketVersioningA(this, 'versioning', { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } });
    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket: bucket.id,
      rule: [
        {
          id: 'expire-old-versions',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          noncurrentVersionExpiration: [{ noncurrentDays: this.props.noncurrentVersionDays ?? 30 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
          expiration: [{ expiredObjectDeleteMarker: true }],
        },
      ],
      dependsOn: [versioning],
    });
    return bucket;
  }

  /** CloudFront signs every request to the bucket (SigV4): the bucket policy can then name the distribution. */
  private createOriginAccessControl(): CloudfrontOriginAccessControl {
    return new CloudfrontOriginAccessControl(this, 'oac', {
      name: `${this.props.namePrefix}-web`,
      description: `CloudFront reads ${this.props.namePrefix}'s web bucket`,
      originAccessControlOriginType: 's3',
      signingBehavior: 'always',
      signingProtocol: 'sigv4',
    });
  }

  /** Extension-less paths are app routes: `/index.html` (infra/web-routing.ts). */
  private createSpaFunction(): CloudfrontFunction {
    return new CloudfrontFunction(this, 'spa-routes', {
      name: `${this.props.namePrefix}-spa-routes`,
      comment: 'App routes (no file extension) get /index.html; files are served as they are',
      runtime: 'cloudfront-js-2.0',
      code: SPA_REWRITE_FUNCTION_CODE,
      publish: true,
    });
  }

  /** The headers of infra/web-headers.ts, overriding whatever the origin sends. */
  private createHeadersPolicy(): CloudfrontResponseHeadersPolicy {
    const s = this.props.settings;
    return new CloudfrontResponseHeadersPolicy(this, 'security-headers', {
      name: `${this.props.namePrefix}-web-security-headers`,
      comment: 'CSP (API and Cognito only), HSTS, nosniff, frame DENY, referrer policy',
      securityHeadersConfig: {
        contentSecurityPolicy: {
          contentSecurityPolicy: contentSecurityPolicy({ api: s.apiUrl, auth: [cognitoOrigin(s.region)] }),
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAgeSec: HSTS.maxAgeSeconds,
          includeSubdomains: HSTS.includeSubdomains,
          preload: HSTS.preload,
          override: true,
        },
        // The block has no value: CloudFront always sends X-Content-Type-Options: nosniff (CONTENT_TYPE_OPTIONS).
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: FRAME_OPTIONS, override: true },
        referrerPolicy: { referrerPolicy: REFERRER_POLICY, override: true },
      },
    });
  }

  /**
   * HTTPS only (HTTP is redirected), HTTP/2 and HTTP/3, IPv6, compression,
   * GET/HEAD only, AWS's CachingOptimized policy. With CloudFront's default
   * certificate the viewer security policy is TLSv1 whatever is asked
   * (CloudFront API reference, ViewerCertificate.MinimumProtocolVersion):
   * only a custom domain can raise it, to TLSv1.2_2021.
   */
  private createDistribution(): CloudfrontDistribution {
    const p = this.props;
    const distribution = new CloudfrontDistribution(this, 'distribution', {
      comment: `${p.namePrefix} web front end`,
      enabled: true,
      // Nothing in the stack needs the edge deployed, and the functions wait for
      // this resource (their CORS origins are its domain): do not block the apply
      // for the minutes a deployment to every edge location takes.
      waitForDeployment: false,
      isIpv6Enabled: true,
      httpVersion: 'http2and3',
      priceClass: p.priceClass ?? 'PriceClass_100',
      defaultRootObject: 'index.html',
      aliases: p.customDomain ? [p.customDomain.name] : undefined,
      origin: [{ originId: ORIGIN_ID, domainName: this.bucket.bucketRegionalDomainName, originAccessControlId: this.originAccessControl.id }],
      defaultCacheBehavior: {
        targetOriginId: ORIGIN_ID,
        viewerProtocolPolicy: 'redirect-to-https',
        allowedMethods: ['GET', 'HEAD'],
        cachedMethods: ['GET', 'HEAD'],
        compress: true,
        cachePolicyId: CACHING_OPTIMIZED_POLICY_ID,
        responseHeadersPolicyId: this.headersPolicy.id,
        functionAssociation: [{ eventType: 'viewer-request', functionArn: this.spaFunction.arn }],
      },
      restrictions: { geoRestriction: { restrictionType: 'none' } },
      viewerCertificate: p.customDomain
        ? { acmCertificateArn: p.customDomain.certificateArn, sslSupportMethod: 'sni-only', minimumProtocolVersion: MINIMUM_TLS_WITH_CUSTOM_DOMAIN }
        : { cloudfrontDefaultCertificate: true },
    });
    if (!p.customDomain) {
      suppressPolicy(
        distribution,
        'SPS-CF-2',
        'No custom domain (web.customDomain): on *.cloudfront.net CloudFront applies its TLSv1 policy whatever is set; browsers negotiate TLS 1.3/1.2 and HSTS keeps them on HTTPS; set web.customDomain to require TLSv1.2_2021',
      );
    }
    return distribution;
  }

  /**
   * Reads for this distribution only (GetObject, and ListBucket so a missing
   * file is a 404, not a 403: S3 API reference, GetObject permissions);
   * nothing without TLS. CloudFront Developer Guide, "Restricting access to an
   * Amazon S3 origin" (OAC bucket policy with AWS:SourceArn).
   */
  private allowOnlyTheDistribution(): S3BucketPolicy {
    const fromDistribution = [{ test: 'StringEquals', variable: 'AWS:SourceArn', values: [this.distribution.arn] }];
    const cloudfront = [{ type: 'Service', identifiers: ['cloudfront.amazonaws.com'] }];
    const doc = new DataAwsIamPolicyDocument(this, 'bucket-policy-doc', {
      statement: [
        { sid: 'CloudFrontReadsObjects', effect: 'Allow', principals: cloudfront, actions: ['s3:GetObject'], resources: [`${this.bucket.arn}/*`], condition: fromDistribution },
        { sid: 'CloudFrontListsForNotFound', effect: 'Allow', principals: cloudfront, actions: ['s3:ListBucket'], resources: [this.bucket.arn], condition: fromDistribution },
        {
          sid: 'DenyInsecureTransport',
          effect: 'Deny',
          principals: [{ type: '*', identifiers: ['*'] }],
          actions: ['s3:*'],
          resources: [this.bucket.arn, `${this.bucket.arn}/*`],
          condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
        },
      ],
    });
    return new S3BucketPolicy(this, 'bucket-policy', { bucket: this.bucket.id, policy: doc.json });
  }

  /**
   * One object per built file, from one copy of the build in the stack's
   * assets (a fixed folder name, so an unchanged file keeps its `source`),
   * with its SHA-256 as `source_hash`: a changed file changes its object only.
   * Files outside assets/ (index.html) are written after the hashed ones they
   * refer to, and `config.json` comes from the stack (jsonencode, resolved at
   * apply).
   */
  private upload(): Record<string, S3Object> {
    const build = new TerraformAsset(this, 'build', { path: this.props.webDir, type: AssetType.DIRECTORY, assetHash: 'build' });
    const put = (file: WebFile, dependsOn: S3Object[]): [string, S3Object] => [
      file.key,
      new S3Object(this, `file-${objectId(file.key)}`, {
        bucket: this.bucket.id,
        key: file.key,
        source: `${build.path}/${file.key}`,
        sourceHash: file.sha256,
        contentType: file.contentType,
        cacheControl: file.cacheControl,
        dependsOn: dependsOn.length ? dependsOn : undefined,
      }),
    ];
    const hashed = this.files.filter((f) => f.key.startsWith(HASHED_PREFIX)).map((f) => put(f, []));
    const entries = this.files.filter((f) => !f.key.startsWith(HASHED_PREFIX)).map((f) => put(f, hashed.map(([, o]) => o)));
    const config = new S3Object(this, 'config-json', {
      bucket: this.bucket.id,
      key: CONFIG_KEY,
      content: Fn.jsonencode(configJson(this.props.settings)),
      contentType: 'application/json',
      cacheControl: REVALIDATE_CACHE,
    });
    return Object.fromEntries([...hashed, ...entries, [CONFIG_KEY, config]]);
  }
}

/** `config.json`: the settings the stack has, in a fixed key order; absent sign-in ids are left out. */
export function configJson(s: WebSettings): Record<string, string> {
  return {
    apiUrl: s.apiUrl,
    region: s.region,
    ...(s.userPoolId ? { userPoolId: s.userPoolId } : {}),
    ...(s.userPoolClientId ? { userPoolClientId: s.userPoolClientId } : {}),
  };
}

/** A construct id for an object key: readable, and unique (a short hash tells `a-b` from `a/b`). */
function objectId(key: string): string {
  let h = 0;
  for (const c of key) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  return `${key.replace(/[^A-Za-z0-9]+/g, '-')}-${h.toString(16).padStart(8, '0')}`;
}
