/**
 * API Gateway HTTP API (payload 2.0): one route per registry entry, an OPTIONS
 * route per path so preflight reaches the middy CORS middleware, a `$default`
 * auto-deployed stage with JSON access logs and default throttling, and a JWT
 * authorizer for the routes that need sign-in.
 *
 * A route with `auth` is authorized by API Gateway before its function runs:
 * the token's signature (the issuer's JWKS), `iss`, `aud` or `client_id`,
 * `exp`, `nbf`, and at least one of the route's scopes when it has any (API
 * Gateway developer guide, "Control access to HTTP APIs with JWT
 * authorizers"); anything else gets 401 without calling the function. Public
 * routes and the OPTIONS preflight routes have no authorization: browsers
 * send no token with a preflight.
 *
 * No `cors_configuration`: with it API Gateway answers preflight itself and
 * ignores the CORS headers our functions return. CORS lives in one place.
 */
import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { Apigatewayv2Api } from '@cdktf/provider-aws/lib/apigatewayv2-api';
import { Apigatewayv2Authorizer } from '@cdktf/provider-aws/lib/apigatewayv2-authorizer';
import { Apigatewayv2Integration } from '@cdktf/provider-aws/lib/apigatewayv2-integration';
import { Apigatewayv2Route, type Apigatewayv2RouteConfig } from '@cdktf/provider-aws/lib/apigatewayv2-route';
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
  /**
   * Sign-in required: the JWT authorizer checks the token, and that it carries
   * at least one of `scopes` when given (access tokens only: ID tokens have no
   * `scope` claim).
   * @default - public: no authorization
   */
  readonly auth?: { readonly scopes?: readonly string[] };
}

/** Whom the JWT authorizer trusts. */
export interface JwtAuthorizerProps {
  /** Token issuer (`iss`), e.g. `https://cognito-idp.<region>.amazonaws.com/<pool id>`; its JWKS is `<issuer>/.well-known/jwks.json`. */
  readonly issuer: string;
  /** Accepted `aud` (ID tokens) or `client_id` (access tokens) values: the app client ids. */
  readonly audience: readonly string[];
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
  /**
   * The JWT authorizer of the routes with `auth`.
   * @default - no authorizer; a route with `auth` is then refused
   */
  readonly jwtAuthorizer?: JwtAuthorizerProps;
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
  /** The JWT authorizer (when `jwtAuthorizer` is given). */
  readonly authorizer?: Apigatewayv2Authorizer;

  constructor(scope: Construct, id: string, private readonly props: HttpApiProps) {
    super(scope, id);
    this.slugs = uniqueSlugs(props.routes.map((r) => r.path));
    this.api = new Apigatewayv2Api(this, 'api', {
      name: props.name,
      protocolType: 'HTTP',
      description: `HTTP API of ${props.name}`,
    });
    this.authorizer = props.jwtAuthorizer && this.createJwtAuthorizer(props.jwtAuthorizer);
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

  /** Reads the bearer token from the Authorization header (with or without `Bearer `). */
  private createJwtAuthorizer(jwt: JwtAuthorizerProps): Apigatewayv2Authorizer {
    if (jwt.audience.length === 0) throw new Error(`HttpApi "${this.props.name}": jwtAuthorizer.audience is empty; give the app client ids whose tokens the API accepts`);
    return new Apigatewayv2Authorizer(this, 'jwt-authorizer', {
      apiId: this.api.id,
      name: `${this.props.name}-jwt`,
      authorizerType: 'JWT',
      identitySources: ['$request.header.Authorization'],
      jwtConfiguration: { issuer: jwt.issuer, audience: [...jwt.audience] },
    });
  }

  /** `JWT` with the authorizer (and the route's scopes) for a route with `auth`, `NONE` otherwise. */
  private authorizationOf(route: HttpRoute): Pick<Apigatewayv2RouteConfig, 'authorizationType' | 'authorizerId' | 'authorizationScopes'> {
    if (!route.auth) return { authorizationType: 'NONE' };
    if (!this.authorizer) {
      throw new Error(
        `HttpApi "${this.props.name}": route "${route.method} ${route.path}" requires sign-in (auth) but the API has no JWT authorizer; give HttpApiProps.jwtAuthorizer (issuer and audience of the user pool), or make the route public`,
      );
    }
    const scopes = route.auth.scopes ?? [];
    return { authorizationType: 'JWT', authorizerId: this.authorizer.id, ...(scopes.length ? { authorizationScopes: [...scopes] } : {}) };
  }

  private createRoutes(): void {
    for (const route of this.props.routes) {
      this.routes.push(
        new Apigatewayv2Route(this, `route-${route.method}-${this.slugs.get(route.path)}`, {
          apiId: this.api.id,
          routeKey: `${route.method} ${route.path}`,
          target: `integrations/${this.integrationFor(route).id}`,
          ...this.authorizationOf(route),
        }),
      );
    }
  }

  /** OPTIONS <path> to the first function registered for that path; never authorized (a preflight carries no token). */
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
          authorizationType: 'NONE',
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
