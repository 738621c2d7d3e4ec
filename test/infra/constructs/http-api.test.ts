/**
 * HttpApi alone (on stand-in functions): payload 2.0 proxy integrations, no
 * CORS in API Gateway, an OPTIONS route per path, a throttled `$default` stage
 * with JSON access logs, invoke permissions scoped to this API and path, and
 * the JWT authorizer on the routes that need sign-in (never on OPTIONS).
 */
import { Testing } from 'cdktf';
import type { Construct } from 'constructs';
import { Apigatewayv2Api } from '@cdktf/provider-aws/lib/apigatewayv2-api';
import { Apigatewayv2Authorizer } from '@cdktf/provider-aws/lib/apigatewayv2-authorizer';
import { Apigatewayv2Stage } from '@cdktf/provider-aws/lib/apigatewayv2-stage';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { ACCESS_LOG_FORMAT, HttpApi, type HttpApiProps, type HttpRoute } from '../../../infra/constructs/http-api';
import { FakeArchives, onlyResource, refTo, resourcesOf, synthScope, testFunction } from '../helpers';

Testing.setupJest();

let archives: FakeArchives;
beforeAll(() => {
  archives = new FakeArchives();
});

/** GET and POST /posts on two functions, GET /posts/{id} on the first again. */
function postsRoutes(scope: Construct): HttpRoute[] {
  const list = testFunction(scope, archives, 'posts-list');
  const create = testFunction(scope, archives, 'posts-create');
  return [
    { method: 'GET', path: '/posts', fn: list, timeoutSeconds: 10 },
    { method: 'POST', path: '/posts', fn: create, timeoutSeconds: 29 },
    { method: 'GET', path: '/posts/{id}', fn: list, timeoutSeconds: 10 },
  ];
}

function synthApi(props: Partial<HttpApiProps> = {}, routes: (scope: Construct) => HttpRoute[] = postsRoutes) {
  return synthScope((scope) => {
    new HttpApi(scope, 'api', { name: 'sps-test', routes: routes(scope), logRetentionDays: 14, throttlingRateLimit: 100, throttlingBurstLimit: 200, ...props });
  });
}

/** Route keys, each with the function its integration invokes. */
function routeTargets(json: ReturnType<typeof synthApi>['json']): [string, string][] {
  const integrations = Object.fromEntries(resourcesOf(json, 'aws_apigatewayv2_integration').map(([id, i]) => [id, i.integration_uri]));
  return resourcesOf(json, 'aws_apigatewayv2_route')
    .map(([, r]): [string, string] => [r.route_key, integrations[/integrations\/\$\{aws_apigatewayv2_integration\.([^.]+)\.id\}/.exec(r.target)![1]!]])
    .sort();
}

describe('HttpApi', () => {
  test('is an HTTP API whose integrations are Lambda proxies with payload 2.0', () => {
    const { synth, json } = synthApi();
    expect(synth).toHaveResourceWithProperties(Apigatewayv2Api, { name: 'sps-test', protocol_type: 'HTTP' });
    for (const [, i] of resourcesOf(json, 'aws_apigatewayv2_integration')) {
      expect(i).toMatchObject({ integration_type: 'AWS_PROXY', payload_format_version: '2.0' });
    }
  });

  test('configures no CORS: preflight reaches the functions, which answer it', () => {
    expect(onlyResource(synthApi().json, 'aws_apigatewayv2_api').cors_configuration).toBeUndefined();
  });

  test('paths that differ only in punctuation get routes of their own (ids of the first stay as they were)', () => {
    const { json } = synthApi({}, (scope) => {
      const fn = testFunction(scope, archives, 'posts-list');
      return [
        { method: 'GET', path: '/posts/{id}', fn, timeoutSeconds: 10 },
        { method: 'GET', path: '/posts/id', fn, timeoutSeconds: 10 },
      ];
    });
    const routes = resourcesOf(json, 'aws_apigatewayv2_route');
    expect(routes.map(([, r]) => r.route_key).sort()).toEqual(['GET /posts/id', 'GET /posts/{id}', 'OPTIONS /posts/id', 'OPTIONS /posts/{id}']);
    expect(routes.find(([, r]) => r.route_key === 'GET /posts/{id}')![0]).toMatch(/^api_route-GET-posts_id_[0-9A-F]{8}$/);
  });

  test('routes each method and path to its function', () => {
    const { json } = synthApi();
    const invoke = (fn: string) => refTo(json, 'aws_lambda_function', 'invoke_arn', `${fn}_`);
    expect(routeTargets(json).filter(([key]) => !key.startsWith('OPTIONS'))).toEqual([
      ['GET /posts', invoke('posts-list')],
      ['GET /posts/{id}', invoke('posts-list')],
      ['POST /posts', invoke('posts-create')],
    ]);
  });

  test('adds one OPTIONS route per path, to the first function of that path', () => {
    const { json } = synthApi();
    expect(routeTargets(json).filter(([key]) => key.startsWith('OPTIONS'))).toEqual([
      ['OPTIONS /posts', refTo(json, 'aws_lambda_function', 'invoke_arn', 'posts-list_')],
      ['OPTIONS /posts/{id}', refTo(json, 'aws_lambda_function', 'invoke_arn', 'posts-list_')],
    ]);
  });

  test('GIVEN preflightRoutes false WHEN synthesized THEN there is no OPTIONS route', () => {
    const keys = resourcesOf(synthApi({ preflightRoutes: false }).json, 'aws_apigatewayv2_route').map(([, r]) => r.route_key);
    expect(keys.sort()).toEqual(['GET /posts', 'GET /posts/{id}', 'POST /posts']);
  });

  test('shares one integration per function', () => {
    expect(resourcesOf(synthApi().json, 'aws_apigatewayv2_integration')).toHaveLength(2);
  });

  test('waits for the function\'s timeout plus a second, at most API Gateway\'s 30 s', () => {
    const { json } = synthApi();
    const timeouts = Object.fromEntries(resourcesOf(json, 'aws_apigatewayv2_integration').map(([id, i]) => [id.split('_')[1], i.timeout_milliseconds]));
    expect(timeouts).toEqual({ 'integration-posts-list': 11_000, 'integration-posts-create': 30_000 });
  });

  test('deploys every change to the $default stage', () => {
    expect(synthApi().synth).toHaveResourceWithProperties(Apigatewayv2Stage, { name: '$default', auto_deploy: true });
  });

  test('throttles the default route with the given rate and burst', () => {
    expect(synthApi({ throttlingRateLimit: 500, throttlingBurstLimit: 1000 }).synth).toHaveResourceWithProperties(Apigatewayv2Stage, {
      default_route_settings: expect.objectContaining({ throttling_rate_limit: 500, throttling_burst_limit: 1000 }),
    });
  });

  test('writes JSON access logs to its own log group, kept for the given days', () => {
    const { synth, json } = synthApi({ logRetentionDays: 30 });
    expect(synth).toHaveResourceWithProperties(CloudwatchLogGroup, { name: '/aws/apigateway/sps-test/access', retention_in_days: 30 });
    const stage = onlyResource(json, 'aws_apigatewayv2_stage');
    expect(stage.access_log_settings).toEqual({ destination_arn: refTo(json, 'aws_cloudwatch_log_group', 'arn', 'api_'), format: ACCESS_LOG_FORMAT });
    expect(JSON.parse(stage.access_log_settings.format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
  });

  test('lets API Gateway invoke each function from this API only, on the function\'s paths', () => {
    const { json } = synthApi();
    const api = refTo(json, 'aws_apigatewayv2_api', 'execution_arn');
    const perms = resourcesOf(json, 'aws_lambda_permission').map(([, p]) => p);
    expect(perms.map((p) => [p.function_name, p.source_arn]).sort()).toEqual(
      [
        [refTo(json, 'aws_lambda_function', 'function_name', 'posts-create_'), `${api}/*/*/posts`],
        [refTo(json, 'aws_lambda_function', 'function_name', 'posts-list_'), `${api}/*/*/posts`],
        [refTo(json, 'aws_lambda_function', 'function_name', 'posts-list_'), `${api}/*/*/posts/{id}`],
      ].sort(),
    );
    for (const p of perms) expect(p).toMatchObject({ action: 'lambda:InvokeFunction', principal: 'apigateway.amazonaws.com' });
    expect(new Set(perms.map((p) => p.statement_id)).size).toBe(perms.length);
  });
});

describe('HttpApi: sign-in', () => {
  const jwtAuthorizer = { issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_test', audience: ['client-test'] };

  /** GET /posts public, POST /posts for any signed-in user, GET /posts/{id} with a scope; POST is the first route of /posts. */
  function signedInRoutes(scope: Construct): HttpRoute[] {
    const list = testFunction(scope, archives, 'posts-list');
    const create = testFunction(scope, archives, 'posts-create');
    return [
      { method: 'POST', path: '/posts', fn: create, timeoutSeconds: 10, auth: {} },
      { method: 'GET', path: '/posts', fn: list, timeoutSeconds: 10 },
      { method: 'GET', path: '/posts/{id}', fn: list, timeoutSeconds: 10, auth: { scopes: ['aws.cognito.signin.user.admin'] } },
    ];
  }

  const routesByKey = (json: ReturnType<typeof synthApi>['json']) => Object.fromEntries(resourcesOf(json, 'aws_apigatewayv2_route').map(([, r]) => [r.route_key, r]));

  test('has no authorizer by default, and every route is NONE', () => {
    const { json } = synthApi();
    expect(resourcesOf(json, 'aws_apigatewayv2_authorizer')).toEqual([]);
    for (const [, r] of resourcesOf(json, 'aws_apigatewayv2_route')) expect(r.authorization_type).toBe('NONE');
  });

  test('GIVEN jwtAuthorizer WHEN synthesized THEN a JWT authorizer reads the Authorization header and trusts that issuer and audience', () => {
    const { synth, json } = synthApi({ jwtAuthorizer }, signedInRoutes);
    expect(synth).toHaveResourceWithProperties(Apigatewayv2Authorizer, {
      api_id: refTo(json, 'aws_apigatewayv2_api', 'id'),
      name: 'sps-test-jwt',
      authorizer_type: 'JWT',
      identity_sources: ['$request.header.Authorization'],
      jwt_configuration: { issuer: jwtAuthorizer.issuer, audience: ['client-test'] },
    });
  });

  test('a route with auth uses the JWT authorizer, without scopes unless it has some', () => {
    const { json } = synthApi({ jwtAuthorizer }, signedInRoutes);
    const authorizerId = refTo(json, 'aws_apigatewayv2_authorizer', 'id');
    const routes = routesByKey(json);
    expect(routes['POST /posts']).toMatchObject({ authorization_type: 'JWT', authorizer_id: authorizerId });
    expect(routes['POST /posts']!.authorization_scopes).toBeUndefined();
    expect(routes['GET /posts/{id}']).toMatchObject({ authorization_type: 'JWT', authorizer_id: authorizerId, authorization_scopes: ['aws.cognito.signin.user.admin'] });
  });

  test('public routes have no authorization', () => {
    const route = routesByKey(synthApi({ jwtAuthorizer }, signedInRoutes).json)['GET /posts']!;
    expect(route.authorization_type).toBe('NONE');
    expect(route.authorizer_id).toBeUndefined();
  });

  test('OPTIONS routes have no authorization, even on a path whose first route needs sign-in (a preflight carries no token)', () => {
    const routes = routesByKey(synthApi({ jwtAuthorizer }, signedInRoutes).json);
    for (const key of ['OPTIONS /posts', 'OPTIONS /posts/{id}']) {
      expect(routes[key]).toMatchObject({ authorization_type: 'NONE' });
      expect(routes[key]!.authorizer_id).toBeUndefined();
    }
  });

  test('fails when a route needs sign-in and the API has no authorizer', () => {
    expect(() => synthApi({}, signedInRoutes)).toThrow(
      'HttpApi "sps-test": route "POST /posts" requires sign-in (auth) but the API has no JWT authorizer; give HttpApiProps.jwtAuthorizer (issuer and audience of the user pool), or make the route public',
    );
  });

  test('fails when the authorizer accepts no audience', () => {
    expect(() => synthApi({ jwtAuthorizer: { issuer: jwtAuthorizer.issuer, audience: [] } })).toThrow(/jwtAuthorizer\.audience is empty; give the app client ids/);
  });
});
