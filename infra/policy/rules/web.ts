/**
 * Web front end rules: CloudFront distributions and the S3 buckets behind
 * them. Sources: CloudFront Developer Guide ("Restricting access to an Amazon
 * S3 origin", "Supported protocols and ciphers between viewers and
 * CloudFront", "Configure standard logging (v2)", "Understand response
 * headers policies"), checkov's CloudFront checks (CKV_AWS_34, CKV_AWS_86,
 * CKV_AWS_174, CKV_AWS_259, CKV2_AWS_32, CKV2_AWS_46) and cdk-nag's
 * AwsSolutions-CFR rules.
 */
import { blocks, bool, list, num, type StackModel, type TfResource } from '../model';
import { parsePolicy } from '../iam-documents';
import type { CheckResult, Rule } from '../types';
import { fail, pass, show } from './util';

const DISTRIBUTION = ['aws_cloudfront_distribution'];

/** Viewer security policies that require TLS 1.2 or later with modern ciphers only. */
export const MODERN_TLS_POLICIES = ['TLSv1.2_2021', 'TLSv1.2_2025', 'TLSv1.3_2025'];
const STRICT_REFERRER = ['no-referrer', 'same-origin', 'strict-origin', 'strict-origin-when-cross-origin'];
const ONE_YEAR = 31_536_000;

/** Every cache behavior of a distribution (default first). */
function behaviors(d: TfResource): Record<string, unknown>[] {
  return [...blocks(d.values.default_cache_behavior), ...blocks(d.values.ordered_cache_behavior)];
}

/** The S3 bucket an origin points at, or a literal S3 domain, or undefined for another origin. */
function s3Origin(model: StackModel, origin: Record<string, unknown>): TfResource | string | undefined {
  const bucket = model.targets(origin.domain_name, 'aws_s3_bucket')[0] ?? model.targets(origin.domain_name, 'aws_s3_bucket_website_configuration')[0];
  if (bucket) return bucket;
  const domain = model.resolveString(origin.domain_name);
  return domain && /\.s3[.-]([a-z0-9-]+\.)?amazonaws\.com$|s3-website/.test(domain) ? domain : undefined;
}

/** Buckets that are the origin of a distribution of the stack. */
function originBuckets(model: StackModel): TfResource[] {
  return model.ofType('aws_s3_bucket').filter((b) => model.referrers(b, 'aws_cloudfront_distribution', 'origin').length > 0);
}

/** The response headers policy every behavior of `d` uses, when it is one of the stack's. */
function headersPolicies(model: StackModel, d: TfResource): (TfResource | undefined)[] {
  return behaviors(d).map((b) => model.targets(b.response_headers_policy_id, 'aws_cloudfront_response_headers_policy')[0]);
}

function checkHeaders(policy: TfResource): string[] {
  const h = blocks(policy.values.security_headers_config)[0] ?? {};
  const problems: string[] = [];
  const hsts = blocks(h.strict_transport_security)[0];
  if (!hsts || (num(hsts.access_control_max_age_sec) ?? 0) < ONE_YEAR || bool(hsts.include_subdomains) !== true || bool(hsts.preload) !== true || bool(hsts.override) !== true) {
    problems.push(`strict_transport_security=${show(hsts)} (needs max-age >= ${ONE_YEAR}, include_subdomains, preload, override)`);
  }
  if (bool(blocks(h.content_type_options)[0]?.override) !== true) problems.push('content_type_options (nosniff) is not set with override');
  const frame = blocks(h.frame_options)[0];
  if (frame?.frame_option !== 'DENY' || bool(frame.override) !== true) problems.push(`frame_options=${show(frame)} (needs DENY, override)`);
  const referrer = blocks(h.referrer_policy)[0];
  if (!STRICT_REFERRER.includes(String(referrer?.referrer_policy)) || bool(referrer?.override) !== true) problems.push(`referrer_policy=${show(referrer)}`);
  const csp = blocks(h.content_security_policy)[0];
  if (!csp?.content_security_policy || bool(csp.override) !== true) problems.push('content_security_policy is not set with override');
  return problems;
}

/** What is too permissive in a CSP (wildcards, unsafe-*, scheme-only sources), or a missing directive. */
export function cspProblems(csp: string): string[] {
  const directives = new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...sources]) => [name!.toLowerCase(), sources] as const),
  );
  const problems: string[] = [];
  for (const [name, sources] of directives) {
    for (const source of sources) {
      if (source.includes('*')) problems.push(`${name} allows ${source}`);
      else if (/^'unsafe-/.test(source)) problems.push(`${name} allows ${source}`);
      else if (/^[a-z][a-z0-9+.-]*:$/i.test(source) && !(source === 'data:' && ['img-src', 'font-src'].includes(name))) problems.push(`${name} allows any ${source} URL`);
    }
  }
  if (!directives.has('default-src')) problems.push('no default-src');
  if (directives.get('frame-ancestors')?.join(' ') !== "'none'") problems.push("frame-ancestors is not 'none'");
  return problems;
}

export const webRules: Rule[] = [
  {
    id: 'SPS-S3-6',
    title: 'Buckets behind CloudFront are read only by their distribution (no website hosting, no other reader)',
    mapsTo: ['CKV_AWS_70', 'AwsSolutions-S5'],
    rationale: 'With OAC the bucket stays private: CloudFront signs its requests and the bucket policy names the distribution, so nothing else can read the files around the CDN, its headers and its logs.',
    fix: 'Remove any website configuration; the bucket policy may Allow only Service cloudfront.amazonaws.com with StringEquals AWS:SourceArn = <distribution arn>.',
    resourceTypes: ['aws_s3_bucket'],
    check: ({ model }) =>
      originBuckets(model).map((b) => {
        const website = model.referrers(b, 'aws_s3_bucket_website_configuration', 'bucket')[0];
        if (website) return fail(b, `website hosting is on (${website.address})`);
        const policy = model.referrers(b, 'aws_s3_bucket_policy', 'bucket')[0];
        if (!policy) return fail(b, 'no aws_s3_bucket_policy');
        const doc = parsePolicy(model, policy.values.policy);
        if (!doc.ok) return fail(b, `${policy.address}: ${doc.reason}`);
        const problems = doc.statements
          .filter((s) => s.effect === 'Allow')
          .flatMap((s) => {
            const services = s.principals.Service ?? [];
            const others = Object.entries(s.principals).filter(([type]) => type !== 'Service');
            if (others.length > 0 || services.some((p) => p !== 'cloudfront.amazonaws.com')) return [`allows ${show(s.principals)}`];
            const sourceArn = Object.values(s.conditions).flatMap((byKey) => list((byKey as Record<string, unknown>)['AWS:SourceArn'] ?? (byKey as Record<string, unknown>)['aws:SourceArn']));
            return sourceArn.length > 0 && sourceArn.every((arn) => model.targets(arn, 'aws_cloudfront_distribution').length > 0)
              ? []
              : [`CloudFront statement without AWS:SourceArn = a distribution of this stack (${show(s.conditions)})`];
          });
        return problems.length ? fail(b, `${policy.address}: ${problems.join('; ')}`) : pass(b, `${policy.address} allows its distribution only`);
      }),
  },
  {
    id: 'SPS-CF-1',
    title: 'CloudFront serves viewers over HTTPS only',
    mapsTo: ['CKV_AWS_34'],
    rationale: 'Over plain HTTP a network attacker reads and rewrites the app, its scripts included, before HSTS can help.',
    fix: 'Set viewer_protocol_policy = "redirect-to-https" (or "https-only") on every cache behavior.',
    resourceTypes: DISTRIBUTION,
    check: ({ model }) =>
      model.ofType('aws_cloudfront_distribution').map((d) => {
        const policies = behaviors(d).map((b) => b.viewer_protocol_policy);
        const plain = policies.filter((p) => p !== 'redirect-to-https' && p !== 'https-only');
        return plain.length || policies.length === 0 ? fail(d, `viewer_protocol_policy=${show(policies)}`) : pass(d, `viewer_protocol_policy=${show(policies)}`);
      }),
  },
  {
    id: 'SPS-CF-2',
    title: 'CloudFront requires TLS 1.2 or later from viewers (a custom certificate with TLSv1.2_2021 or newer)',
    mapsTo: ['CKV_AWS_174', 'AwsSolutions-CFR4'],
    rationale: 'TLS 1.0/1.1 and CBC ciphers are deprecated (RFC 8996); on *.cloudfront.net CloudFront fixes the policy at TLSv1, so only a custom domain can refuse them.',
    fix: 'Set web.customDomain (aliases + an ACM certificate in us-east-1) so viewer_certificate has minimum_protocol_version = "TLSv1.2_2021" and ssl_support_method = "sni-only".',
    resourceTypes: DISTRIBUTION,
    check: ({ model }) =>
      model.ofType('aws_cloudfront_distribution').map((d) => {
        const cert = blocks(d.values.viewer_certificate)[0];
        if (!cert || bool(cert.cloudfront_default_certificate) === true) return fail(d, 'CloudFront default certificate: the viewer policy is TLSv1 whatever is set');
        const version = String(cert.minimum_protocol_version);
        return MODERN_TLS_POLICIES.includes(version) ? pass(d, `minimum_protocol_version=${version}`) : fail(d, `minimum_protocol_version=${show(cert.minimum_protocol_version)}`);
      }),
  },
  {
    id: 'SPS-CF-3',
    title: 'CloudFront reads S3 origins through Origin Access Control (signing always, SigV4), never OAI or a public bucket',
    mapsTo: ['AwsSolutions-CFR7', 'CKV2_AWS_46'],
    rationale: 'OAC signs every origin request so the bucket can stay private and name the distribution; OAI is legacy (no SSE-KMS, no SigV4) and a website endpoint is public by design.',
    fix: 'Point the origin at the bucket regional domain name with origin_access_control_id = an aws_cloudfront_origin_access_control (origin type s3, signing_behavior "always", signing_protocol "sigv4"); no s3_origin_config origin_access_identity.',
    resourceTypes: DISTRIBUTION,
    check: ({ model }) =>
      model.ofType('aws_cloudfront_distribution').flatMap((d): CheckResult[] => {
        const origins = blocks(d.values.origin).filter((o) => s3Origin(model, o) !== undefined);
        if (origins.length === 0) return [];
        const problems = origins.flatMap((o) => {
          const target = s3Origin(model, o)!;
          if (typeof target !== 'string' && target.type === 'aws_s3_bucket_website_configuration') return [`${o.origin_id}: S3 website endpoint`];
          if (typeof target === 'string' && target.includes('s3-website')) return [`${o.origin_id}: S3 website endpoint ${target}`];
          const oai = blocks(o.s3_origin_config)[0]?.origin_access_identity;
          if (oai) return [`${o.origin_id}: origin access identity ${show(oai)}`];
          const oac = model.targets(o.origin_access_control_id, 'aws_cloudfront_origin_access_control')[0];
          if (!oac) return [`${o.origin_id}: no origin_access_control_id of this stack`];
          const v = oac.values;
          return v.origin_access_control_origin_type === 's3' && v.signing_behavior === 'always' && v.signing_protocol === 'sigv4'
            ? []
            : [`${o.origin_id}: ${oac.address} signs ${show(v.signing_behavior)} with ${show(v.signing_protocol)}`];
        });
        return [problems.length ? fail(d, problems.join('; ')) : pass(d, `${origins.length} S3 origin(s) through OAC`)];
      }),
  },
  {
    id: 'SPS-CF-4',
    title: 'CloudFront distributions write access logs',
    mapsTo: ['CKV_AWS_86', 'AwsSolutions-CFR3'],
    rationale: 'Access logs are the only record of who requested what from the edge (status, bytes, TLS version), for incidents and abuse.',
    fix: 'Add a standard logging (v2) delivery: aws_cloudwatch_log_delivery_source (log_type ACCESS_LOGS, resource_arn = the distribution) → aws_cloudwatch_log_delivery → aws_cloudwatch_log_delivery_destination, in us-east-1.',
    resourceTypes: DISTRIBUTION,
    check: ({ model }) =>
      model.ofType('aws_cloudfront_distribution').map((d) => {
        const legacy = blocks(d.values.logging_config)[0]?.bucket;
        if (legacy) return pass(d, `legacy logging to ${show(legacy)}`);
        const sources = model.referrers(d, 'aws_cloudwatch_log_delivery_source', 'resource_arn').filter((s) => s.values.log_type === 'ACCESS_LOGS');
        const delivered = sources.flatMap((s) => model.referrers(s, 'aws_cloudwatch_log_delivery', 'delivery_source_name'))
          .find((del) => model.targets(del.values.delivery_destination_arn, 'aws_cloudwatch_log_delivery_destination').length > 0);
        return delivered ? pass(d, `access logs delivered by ${delivered.address}`) : fail(d, 'no access log delivery (standard logging v2) and no logging_config');
      }),
  },
  {
    id: 'SPS-CF-5',
    title: 'CloudFront sends security headers: HSTS (1 year+, subdomains, preload), nosniff, frame DENY, a strict referrer policy and a CSP',
    mapsTo: ['CKV2_AWS_32', 'CKV_AWS_259'],
    rationale: 'S3 sends none of these; without them browsers may downgrade to HTTP, sniff types, frame the app (clickjacking) or leak URLs in Referer.',
    fix: 'Attach an aws_cloudfront_response_headers_policy to every cache behavior with security_headers_config as in infra/web-headers.ts (every header with override = true).',
    resourceTypes: DISTRIBUTION,
    check: ({ model }) =>
      model.ofType('aws_cloudfront_distribution').map((d) => {
        const policies = headersPolicies(model, d);
        if (policies.some((p) => !p)) return fail(d, 'a cache behavior has no response headers policy of this stack');
        const problems = [...new Set(policies as TfResource[])].flatMap((p) => checkHeaders(p).map((x) => `${p.address}: ${x}`));
        return problems.length ? fail(d, problems.join('; ')) : pass(d, `headers from ${[...new Set(policies.map((p) => p!.address))].join(', ')}`);
      }),
  },
  {
    id: 'SPS-CF-6',
    title: "The front end's Content-Security-Policy has no wildcard, no 'unsafe-*' and no scheme-only source, and forbids framing",
    mapsTo: ['(OWASP Content Security Policy cheat sheet)'],
    rationale: 'A "*", a bare "https:" or an unsafe-inline source lets injected markup load or run code from anywhere, which the CSP exists to prevent.',
    fix: "Build the CSP with infra/web-headers.ts: exact origins in connect-src (the API, Cognito), 'self' elsewhere, data: only in img-src, frame-ancestors 'none'.",
    resourceTypes: ['aws_cloudfront_response_headers_policy'],
    check: ({ model }) =>
      model.ofType('aws_cloudfront_response_headers_policy').flatMap((p): CheckResult[] => {
        const csp = blocks(blocks(p.values.security_headers_config)[0]?.content_security_policy)[0]?.content_security_policy;
        if (typeof csp !== 'string') return [];
        const problems = cspProblems(csp);
        return [problems.length ? fail(p, problems.join('; ')) : pass(p, 'strict CSP')];
      }),
  },
];
