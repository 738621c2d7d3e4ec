/**
 * HttpApi alone (on stand-in functions): payload 2.0 proxy integrations, no
 * CORS in API Gateway, an OPTIONS route per path, a throttled `$default` stage
 * with JSON access logs, invoke permissions scoped to this API and path.
 */
import { Testing } from 'cdktf';
import type { Construct } from 'constructs';
import { Apigatewayv2Api } from '@cdktf/provider-aws/lib/apigatewayv2-api';
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
