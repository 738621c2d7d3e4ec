/**
 * `httpHandler`: the typed factory every HTTP handler uses.
 *
 *   export const handler = httpHandler(
 *     { route: 'posts-create', body: PostInput },
 *     async ({ body }) => reply(201, await createPost(body)),
 *   );
 *
 * The zod schemas ARE the input types: `body`, `path` and `query` arrive
 * validated and typed as the schemas' output.
 */
import middy from '@middy/core';
import { executionModeStandard } from '@middy/core/executionModeStandard';
import httpErrorHandler from '@middy/http-error-handler';
import httpEventNormalizer from '@middy/http-event-normalizer';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { $ZodType, output } from 'zod/v4/core';
import { routes } from '../../registry';
import { describeError, log } from '../log';
import { cors, corsFallbackHeaders, type CorsOptions } from './cors';
import { errorContract, jsonBody, proxyResponse, zodValidator } from './middlewares';
import { finalizeProxyResult, internalErrorResult } from './proxy';
import { runRequestLazySignal } from './run-request';
import { SECURITY_HEADERS } from './security-headers';
import type { HttpEvent, LambdaContext, ProxyResult } from './types';

export type RouteName = (typeof routes)[number]['name'];

type Params = Record<string, string | undefined>;
type Out<S, Fallback> = S extends $ZodType ? output<S> : Fallback;

export interface HttpHandlerOptions<B, P, Q> {
  /** Registry name of the route: logged, and used to announce the path's methods in preflights. @default - the event's routeKey */
  readonly route?: RouteName;
  /** Schema of the JSON body. Setting it makes the route a JSON route. @default - body ignored */
  readonly body?: B;
  /** Schema of the path parameters. @default - raw `pathParameters` */
  readonly path?: P;
  /** Schema of the query parameters (values are strings: use `z.coerce`). @default - raw `queryStringParameters` */
  readonly query?: Q;
  /** Parse a JSON body even without a body schema. @default - true when `body` is set */
  readonly json?: boolean;
  /** Largest JSON body, in decoded bytes. @default 262144 */
  readonly maxBodyBytes?: number;
  /** @default - origins from `CORS_ORIGINS`, methods of the route's path */
  readonly cors?: CorsOptions;
  /** Answer 503 this many ms before the Lambda timeout instead of timing out. @default 50 */
  readonly timeoutEarlyInMillis?: number;
}

export interface HandlerInput<B, P, Q> {
  readonly body: Out<B, undefined>;
  readonly path: Out<P, Params>;
  readonly query: Out<Q, Params>;
  readonly event: HttpEvent;
  readonly context: LambdaContext;
  /** Aborted when the request is about to time out. */
  readonly signal: AbortSignal;
}

export type HttpHandler = ((event: HttpEvent, context: LambdaContext) => Promise<ProxyResult>) & {
  use: (middleware: unknown) => HttpHandler;
};

function methodsOfPath(route: RouteName | undefined): string[] | undefined {
  if (!route) return undefined;
  const entry = routes.find((r) => r.name === route);
  if (!entry) throw new Error(`httpHandler: route "${route}" is not in functions/registry.ts`);
  return routes.filter((r) => r.path === entry.path).map((r) => r.method);
}

/**
 * middy's standard execution mode wrapped with the last gate: every result is
 * finalised into a valid proxy result, and one log line is written per request.
 */
function proxyExecutionMode(route: string | undefined, origins: readonly string[]) {
  return (core: { middyRequest: unknown; runRequest: unknown }, ...rest: unknown[]) => {
    // middy's own runner, except that the handler's AbortSignal is made only if read (run-request.ts).
    const inner = (executionModeStandard as unknown as (...a: unknown[]) => {
      (event: HttpEvent, context: LambdaContext): Promise<unknown>;
      handler: (h: unknown) => unknown;
    })({ middyRequest: core.middyRequest, runRequest: runRequestLazySignal }, ...rest);
    const runtime = async function httpHandlerRuntime(event: HttpEvent, context: LambdaContext): Promise<ProxyResult> {
      const started = performance.now();
      let result: ProxyResult;
      try {
        result = finalizeProxyResult(await inner(event, context), () => corsFallbackHeaders(origins, event?.headers?.origin));
      } catch (err) {
        log({ level: 'error', msg: 'unhandled error', requestId: context?.awsRequestId, route: route ?? event?.routeKey, error: describeError(err) });
        result = internalErrorResult({ ...corsFallbackHeaders(origins, event?.headers?.origin) });
      }
      log({
        level: 'info',
        msg: 'request',
        requestId: context?.awsRequestId,
        apiRequestId: event?.requestContext?.requestId,
        route: route ?? event?.routeKey,
        method: event?.requestContext?.http?.method,
        status: result.statusCode,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
      });
      return result;
    };
    (runtime as unknown as { handler: unknown }).handler = (h: unknown) => {
      inner.handler(h);
      return runtime;
    };
    return runtime;
  };
}

/**
 * What the handler function receives. `signal` is a getter (on the prototype,
 * so creating an Input stays cheap): reading it is what creates the request's
 * AbortController (run-request.ts).
 */
class Input {
  readonly body: unknown;
  readonly path: unknown;
  readonly query: unknown;

  readonly #abort: { readonly signal: AbortSignal };

  constructor(
    readonly event: HttpEvent,
    readonly context: LambdaContext,
    abort: { readonly signal: AbortSignal },
  ) {
    this.#abort = abort;
    this.body = event.body;
    this.path = event.pathParameters ?? {};
    this.query = event.queryStringParameters ?? {};
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }
}

export function httpHandler<
  B extends $ZodType | undefined = undefined,
  P extends $ZodType | undefined = undefined,
  Q extends $ZodType | undefined = undefined,
>(options: HttpHandlerOptions<B, P, Q>, fn: (input: HandlerInput<B, P, Q>) => unknown): HttpHandler {
  const corsSetup = cors({ methods: methodsOfPath(options.route), ...options.cors });

  const lambdaHandler = (event: HttpEvent, context: LambdaContext, opts: { readonly signal: AbortSignal }) =>
    fn(new Input(event, context, opts) as unknown as HandlerInput<B, P, Q>);

  const chain = middy(lambdaHandler as never, {
    timeoutEarlyInMillis: options.timeoutEarlyInMillis ?? 50,
    executionMode: proxyExecutionMode(options.route, corsSetup.origins) as never,
  })
    .use(httpHeaderNormalizer())
    .use(corsSetup.middleware)
    .use(httpSecurityHeaders(SECURITY_HEADERS))
    .use(httpErrorHandler({ logger: false }))
    .use(errorContract({ route: options.route }))
    .use(proxyResponse())
    .use(httpEventNormalizer());
  if (options.json ?? options.body !== undefined) {
    chain.use(jsonBody(options.maxBodyBytes === undefined ? {} : { maxBytes: options.maxBodyBytes }));
  }
  if (options.body || options.path || options.query) {
    chain.use(zodValidator({ body: options.body, path: options.path, query: options.query } as never));
  }
  return chain as unknown as HttpHandler;
}
