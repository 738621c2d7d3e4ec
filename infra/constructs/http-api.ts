/**
 * API Gateway HTTP API (payload 2.0): one route per registry entry, an OPTIONS
 * route per path so preflight reaches the middy CORS middleware, a `$default`
 * auto-deployed stage with JSON access logs and default throttling.
 *
 * No `cors_configuration`: with it API Gateway answers preflight itself and
 * ignores the CORS headers our functions return. CORS lives in one place.
 */
import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { Apigatewayv2Api } from '@cdktf/provider-aws/lib/apigatewayv2-api';
import { Apigatewayv2Integration } from '@cdktf/provider-aws/lib/apigatewayv2-integration';
import { Apigatewayv2Route } from '@cdktf/provider-aws/lib/apigatewayv2-route';
import { Apigatewayv2Stage } from '@cdktf/provider-aws/lib/apigatewayv2-stage';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import type { HttpMethod } from '../../functions/registry-types';
import type { ServiceFunction } from './function';

export interface HttpRoute {
  readonly method: HttpMethod;
  readonly path: string;
  readonly fn: ServiceFunction;
  /** Integration timeout; API Gateway's maximum is 30 s. */
  readonly timeoutSeconds: number;
}

export interface HttpApiProps {
  /** API name, e.g. `sps-dev`. */
  readonly name: string;
  readonly routes: readonly HttpRoute[];
  readonly logRetentionDays: number;
  /** Default route throttling, requests per second. */
  readonly throttlingRateLimit: number;
  /** Default route throttling, burst. */
  readonly throttlingBurstLimit: number;
  /** Answer preflight (OPTIONS) in the functions. @default true */
  readonly preflightRoutes?: boolean;
}

/** API Gateway access log fields (JSON, one object per request). */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  path: '$context.path',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  userAgent: '$context.identity.userAgent',
});

export class HttpApi extends Construct {
  readonly api: Apigatewayv2Api;
  readonly logGroup: CloudwatchLogGroup;
  readonly stage: Apigatewayv2Stage;
  readonly integrations = new Map<ServiceFunction, Apigatewayv2Integration>();
  readonly routes: Apigatewayv2Route[] = [];
  readonly permissions: LambdaPermission[] = [];

  constructor(scope: Construct, id: string, private readonly props: HttpApiProps) {
    super(scope, id);
    this.slugs = uniqueSlugs(props.routes.map((r) => r.path));
    this.api = new Apigatewayv2Api(this, 'api', {
      name: props.name,
      protocolType: 'HTTP',
      description: `HTTP API of ${props.name}`,
    });
    this.createRoutes();
    this.createPreflightRoutes();
    this.allowInvocations();
    this.logGroup = new CloudwatchLogGroup(this, 'access-logs', {
      name: `/aws/apigateway/${props.name}/access`,
      retentionInDays: props.logRetentionDays,
    });
    this.stage = this.createStage();
  }

  /** Invoke URL of the `$default` stage. */
  get url(): string {
    return this.stage.invokeUrl;
  }

  /** Construct-id part of each path, unique within this API. */
  private readonly slugs: Map<string, string>;

  private integrationFor(route: HttpRoute): Apigatewayv2Integration {
    let integration = this.integrations.get(route.fn);
    if (!integration) {
      integration = new Apigatewayv2Integration(this, `integration-${route.fn.node.id}`, {
        apiId: this.api.id,
        integrationType: 'AWS_PROXY',
        integrationUri: route.fn.lambda.invokeArn,
        payloadFormatVersion: '2.0',
        timeoutMilliseconds: Math.min(30_000, route.timeoutSeconds * 1000 + 1000),
      });
      this.integrations.set(route.fn, integration);
    }
    return integration;
  }

  private createRoutes(): void {
    for (const route of this.props.routes) {
      this.routes.push(
        new Apigatewayv2Route(this, `route-${route.method}-${this.slugs.get(route.path)}`, {
          apiId: this.api.id,
          routeKey: `${route.method} ${route.path}`,
          target: `integrations/${this.integrationFor(route).id}`,
        }),
      );
    }
  }

  /** OPTIONS <path> to the first function registered for that path. */
  private createPreflightRoutes(): void {
    if (!(this.props.preflightRoutes ?? true)) return;
    const byPath = new Map<string, HttpRoute>();
    for (const route of this.props.routes) if (!byPath.has(route.path)) byPath.set(route.path, route);
    for (const [path, route] of byPath) {
      this.routes.push(
        new Apigatewayv2Route(this, `route-OPTIONS-${this.slugs.get(path)}`, {
          apiId: this.api.id,
          routeKey: `OPTIONS ${path}`,
          target: `integrations/${this.integrationFor(route).id}`,
        }),
      );
    }
  }

  /** One permission per function and path: any method (incl. OPTIONS), any stage, this API only. */
  private allowInvocations(): void {
    const seen = new Set<string>();
    for (const route of this.props.routes) {
      const key = `${route.fn.node.id} ${route.path}`;
      if (seen.has(key)) continue;
      seen.add(key);
      this.permissions.push(
        new LambdaPermission(this, `invoke-${route.fn.node.id}-${this.slugs.get(route.path)}`, {
          statementId: `AllowApiGateway${seen.size}`,
          action: 'lambda:InvokeFunction',
          functionName: route.fn.lambda.functionName,
          principal: 'apigateway.amazonaws.com',
          sourceArn: `${this.api.executionArn}/*/*${route.path}`,
        }),
      );
    }
  }

  private createStage(): Apigatewayv2Stage {
    return new Apigatewayv2Stage(this, 'stage', {
      apiId: this.api.id,
      name: '$default',
      autoDeploy: true,
      accessLogSettings: { destinationArn: this.logGroup.arn, format: ACCESS_LOG_FORMAT },
      defaultRouteSettings: {
        throttlingRateLimit: this.props.throttlingRateLimit,
        throttlingBurstLimit: this.props.throttlingBurstLimit,
        detailedMetricsEnabled: false,
      },
    });
  }
}

/**
 * A construct-id-safe form of each path: `/posts/{id}` -> `posts_id`. Paths
 * that differ only in punctuation (`/posts/{id}`, `/posts/id`: both valid API
 * Gateway routes) would share it; the later one gets a hash of the path, so
 * ids already in state keep their names.
 */
function uniqueSlugs(paths: readonly string[]): Map<string, string> {
  const slugs = new Map<string, string>();
  const taken = new Set<string>();
  for (const path of paths) {
    if (slugs.has(path)) continue;
    let slug = path.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '') || 'root';
    if (taken.has(slug)) slug = `${slug}_${createHash('sha256').update(path).digest('hex').slice(0, 8)}`;
    taken.add(slug);
    slugs.set(path, slug);
  }
  return slugs;
}
