/**
 * The web front end in the whole stack (fixture app, fixture build): off
 * unless the environment asks; then its config.json and CSP are made of the
 * stack's own API, its origin is allowed by every function's CORS without a
 * line of config, its logs keep their retention in us-east-1, and a missing
 * build stops synth with the fix. The construct's own defaults are tested in
 * test/infra/constructs/web-site.test.ts.
 */
import { App } from 'cdktf';
import { ConfigError } from '../../infra/config';
import { FIXTURE_WEB_KEYS, fixtureWebDir } from '../fixtures/web';
import { tempDir } from '../support/temp';
import { configFor, FixtureBundles, fixtureStack, onlyResource, refTo, resourcesOf, synthStack, type SynthResult, type TfJson } from './helpers';

const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9';

let bundles: FixtureBundles;
let withWeb: SynthResult;
let withoutWeb: SynthResult;

beforeAll(() => {
  bundles = new FixtureBundles();
  withWeb = synthStack(configFor('dev', { web: { enabled: true } }), bundles, { webDir: fixtureWebDir });
  withoutWeb = synthStack(configFor('dev'), bundles);
});

const API_ENDPOINT = (json: TfJson) => refTo(json, 'aws_apigatewayv2_api', 'api_endpoint');
const corsOrigins = (json: TfJson) => [...new Set(resourcesOf(json, 'aws_lambda_function').map(([, f]) => f.environment.variables.CORS_ORIGINS as string))];

test('off by default: no bucket, no distribution, no second provider, CORS from the config alone', () => {
  const { json } = withoutWeb;
  for (const type of ['aws_s3_bucket', 'aws_cloudfront_distribution', 'aws_s3_object', 'aws_cloudwatch_log_delivery']) expect(json.resource[type]).toBeUndefined();
  expect(json.provider.aws).toHaveLength(1);
  expect(corsOrigins(json)).toEqual(['http://localhost:5173,http://127.0.0.1:5173']);
  expect(withoutWeb.stack.web).toBeUndefined();
});

test('every function allows the distribution\'s origin (a reference, no copy in config) besides the configured ones', () => {
  const domain = refTo(withWeb.json, 'aws_cloudfront_distribution', 'domain_name');
  expect(corsOrigins(withWeb.json)).toEqual([`http://localhost:5173,http://127.0.0.1:5173,https://${domain}`]);
});

test('GIVEN a custom domain WHEN synthesized THEN its origin is allowed too, once', () => {
  const customDomain = { name: 'app.example.com', certificateArn: CERT };
  const { json } = synthStack(configFor('prod', { web: { enabled: true, customDomain } }), bundles, { webDir: fixtureWebDir });
  const domain = refTo(json, 'aws_cloudfront_distribution', 'domain_name');
  // prod's config already lists https://app.example.com: it is not repeated.
  expect(corsOrigins(json)).toEqual([`https://app.example.com,https://${domain}`]);
  expect(onlyResource(json, 'aws_cloudfront_distribution').aliases).toEqual(['app.example.com']);
});

test('only the web origin is allowed when the config lists none', () => {
  const { json } = synthStack(configFor('dev', { corsOrigins: [], web: { enabled: true } }), bundles, { webDir: fixtureWebDir });
  expect(corsOrigins(json)).toEqual([`https://${refTo(json, 'aws_cloudfront_distribution', 'domain_name')}`]);
});

test('config.json is made of the stack\'s API endpoint, region and user pool, encoded at apply', () => {
  const config = resourcesOf(withWeb.json, 'aws_s3_object').find(([, o]) => o.key === 'config.json')![1];
  const bare = (ref: string) => ref.slice(2, -1);
  const pool = bare(refTo(withWeb.json, 'aws_cognito_user_pool', 'id'));
  const client = bare(refTo(withWeb.json, 'aws_cognito_user_pool_client', 'id'));
  expect(config.content).toBe(
    `\${jsonencode({"apiUrl" = ${bare(API_ENDPOINT(withWeb.json))}, "region" = "eu-west-1", "userPoolId" = ${pool}, "userPoolClientId" = ${client}})}`,
  );
});

test('the CSP lets the page call this API and Cognito in the environment\'s region only', () => {
  const csp = onlyResource(withWeb.json, 'aws_cloudfront_response_headers_policy').security_headers_config.content_security_policy.content_security_policy;
  expect(csp).toContain(`connect-src 'self' ${API_ENDPOINT(withWeb.json)} https://cognito-idp.eu-west-1.amazonaws.com;`);
});

test('the built files are uploaded with their types and cache headers', () => {
  const objects = Object.fromEntries(resourcesOf(withWeb.json, 'aws_s3_object').map(([, o]) => [o.key, [o.content_type, o.cache_control]]));
  expect(Object.keys(objects).sort()).toEqual([...FIXTURE_WEB_KEYS, 'config.json'].sort());
  expect(objects).toMatchObject({
    'index.html': ['text/html; charset=utf-8', 'no-cache'],
    'config.json': ['application/json', 'no-cache'],
    'assets/app-3f2a1c.js': ['text/javascript; charset=utf-8', 'public, max-age=31536000, immutable'],
    'assets/app-9b1e.css': ['text/css; charset=utf-8', 'public, max-age=31536000, immutable'],
  });
});

test('price class and names follow the environment', () => {
  const customDomain = { name: 'app.example.com', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9' };
  const { json } = synthStack(configFor('prod', { web: { enabled: true, priceClass: 'PriceClass_200', customDomain } }), bundles, { webDir: fixtureWebDir });
  expect(onlyResource(json, 'aws_cloudfront_distribution').price_class).toBe('PriceClass_200');
  expect(onlyResource(json, 'aws_s3_bucket').bucket_prefix).toBe('sps-prod-web-');
  expect(onlyResource(withWeb.json, 'aws_cloudfront_distribution').price_class).toBe('PriceClass_100');
});

test('the access logs live in us-east-1 (a second provider, tagged like the first) and keep the environment\'s retention unless web sets its own', () => {
  const providers = withWeb.json.provider.aws!;
  expect(providers).toHaveLength(2);
  expect(providers[1]).toMatchObject({ alias: 'us_east_1', region: 'us-east-1', default_tags: providers[0]!.default_tags });
  const webLogs = (json: TfJson) => resourcesOf(json, 'aws_cloudwatch_log_group').map(([, g]) => g).find((g) => g.provider === 'aws.us_east_1')!;
  expect(webLogs(withWeb.json)).toMatchObject({ name: '/aws/cloudfront/sps-dev/access', retention_in_days: 14 });
  const { json } = synthStack(configFor('dev', { web: { enabled: true, logRetentionDays: 90 } }), bundles, { webDir: fixtureWebDir });
  expect(webLogs(json).retention_in_days).toBe(90);
});

test('outputs: the site\'s URL, the distribution\'s domain and id, the bucket', () => {
  const outputs = withWeb.json.output!;
  expect(outputs.web_url!.value).toBe(`https://${refTo(withWeb.json, 'aws_cloudfront_distribution', 'domain_name')}`);
  expect(outputs.web_distribution_domain!.value).toBe(refTo(withWeb.json, 'aws_cloudfront_distribution', 'domain_name'));
  expect(outputs.web_distribution_id!.value).toBe(refTo(withWeb.json, 'aws_cloudfront_distribution', 'id'));
  expect(outputs.web_bucket!.value).toBe(refTo(withWeb.json, 'aws_s3_bucket', 'bucket'));
});

test('fails at synth when web is on and the front end is not built, naming the field, the value and the fix', () => {
  const build = () => fixtureStack(new App({ outdir: tempDir('unbuilt') }), configFor('dev', { web: { enabled: true } }), bundles, { webDir: tempDir('no-build') });
  expect(build).toThrow(ConfigError);
  expect(build).toThrow(/web\.enabled: the front end is not built: .*index\.html does not exist; run `npm run build:web` .*, or set web\.enabled to false \(received true\)/);
});

test('a protected environment (deletionProtection) must serve its front end on its own domain: CloudFront keeps TLS 1.0 on *.cloudfront.net', () => {
  expect(() => configFor('prod', { web: { enabled: true } })).toThrow(
    /web\.customDomain: a protected environment \(deletionProtection: true\) serves its front end on a domain of its own: .*TLS 1\.0.*\(received undefined\)/,
  );
  expect(configFor('dev', { web: { enabled: true } }).web.customDomain).toBeUndefined();
});
