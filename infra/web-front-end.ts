/**
 * How an environment's stack gets its web front end (`web` in the config):
 * the site on S3 + CloudFront (infra/constructs/web-site.ts) with the us-east-1
 * provider its access logs need, the origins the API's CORS allows for it,
 * and its outputs. PlatformStack calls these; the construct knows nothing of
 * the config.
 */
import { Lazy, TerraformOutput, type TerraformStack } from 'cdktf';
import type { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { ConfigError, type EnvironmentConfig } from './config';
import { WebBuildError } from './constructs/web-files';
import { WebSite, type WebSettings } from './constructs/web-site';
import { configureUsEast1Provider } from './provider';

export interface WebFrontEnd {
  readonly site: WebSite;
  /** The us-east-1 provider of CloudFront's log delivery. */
  readonly usEast1Provider: AwsProvider;
}

/**
 * The site, from the build in `webDir` and the stack's own `settings` (for
 * config.json and the CSP). A build that breaks the contract fails synth as a
 * config error: field, value, fix.
 */
export function createWebFrontEnd(stack: TerraformStack, config: EnvironmentConfig, webDir: string, settings: WebSettings): WebFrontEnd {
  const usEast1Provider = configureUsEast1Provider(stack, config);
  try {
    const site = new WebSite(stack, 'web', {
      namePrefix: `${config.project}-${config.name}`,
      webDir,
      settings,
      usEast1Provider,
      logRetentionDays: config.web.logRetentionDays ?? config.logRetentionDays,
      priceClass: config.web.priceClass,
      customDomain: config.web.customDomain,
    });
    return { site, usEast1Provider };
  } catch (e) {
    if (!(e instanceof WebBuildError)) throw e;
    throw new ConfigError(config.name, [`web.enabled: ${e.message}, or set web.enabled to false (received true)`]);
  }
}

/**
 * The front end's origins, allowed by CORS without a line of config: the
 * distribution's domain (a reference, resolved at synth once the site exists:
 * the functions are made before it) and the custom domain, unless listed.
 */
export function webCorsOrigins(config: EnvironmentConfig, site: () => WebSite | undefined): string[] {
  if (!config.web.enabled) return [];
  const custom = config.web.customDomain ? [`https://${config.web.customDomain.name}`] : [];
  return [Lazy.stringValue({ produce: () => site()!.origins[0] }), ...custom.filter((o) => !config.corsOrigins.includes(o))];
}

/** `web_url`, `web_distribution_domain`, `web_distribution_id`, `web_bucket`. */
export function webOutputs(stack: TerraformStack, site: WebSite): void {
  new TerraformOutput(stack, 'web_url', { value: site.url, description: 'The web front end (CloudFront)' });
  new TerraformOutput(stack, 'web_distribution_domain', { value: site.distribution.domainName, description: "Target of a custom domain's DNS record" });
  new TerraformOutput(stack, 'web_distribution_id', { value: site.distribution.id, description: 'CloudFront distribution id' });
  new TerraformOutput(stack, 'web_bucket', { value: site.bucket.bucket, description: 'S3 bucket of the built front end (private; read by CloudFront only)' });
}
