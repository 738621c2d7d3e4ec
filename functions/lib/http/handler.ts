/**
 * `httpHandler`: the typed factory every HTTP handler uses.
 *
 *   export const handler = httpHandler(
 *     { body: PostInput },
 *     async ({ body }) => reply(201, await createPost(body)),
 *   );
 *
 * The route is named once, in functions/registry.ts; log lines carry the
 * event's routeKey (`POST /posts`). The zod schemas ARE the input types: `body`, `path` and `query` arrive
 * validated and typed as the schemas' output. The chain is `@middy/core` as
 * published, with its official middlewares and ours in the same shape.
 */
import middy from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import httpEventNormalizer from '@middy/http-event-normalizer';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { $ZodType, output } from 'zod/v4/core';
import { describeError, log } from '../log';
import { access, requireUser, type User } from './auth';
import { cors, corsFallbackHeaders, type CorsOptions } from './cors';
import { errorContract, jsonBody, lastGate, proxyResponse, zodValidator } from './middlewares';
import { internalErrorResult, reply } from './proxy';
import { SECURITY_HEADERS } from './security-headers';
import type { HttpEvent, LambdaContext, ProxyResult } from './types';

type Params = Record<string, string | undefined>;
type Out<S, Fallback> = S extends $ZodType ? output<S> : Fallback;

export interface HttpHandlerOptions<B, P, Q> {
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
  /** @default - origins from `CORS_ORIGINS`, methods of the route's path from `CORS_METHODS` */
  readonly cors?: CorsOptions;
  /**
   * `cache-control` of the route's answers when the handler sets none. API
   * answers carry data for one caller (a registration list has names and
   * emails): no cache keeps them unless a route says so. @default "no-store"
   */
  readonly cacheControl?: string;
  /** Answer 503 this many ms before the Lambda timeout instead of timing out. @default 50 */
  readonly timeoutEarlyInMillis?: number;
}

export interface HandlerInput<B, P, Q> {
  /**
   * The verified caller of a route whose registry entry declares `auth` (its
   * token's claims, checked by API Gateway). Reading it on a public route is a 401.
   */
  readonly user: User;
  readonly body: Out<B, undefined>;
  readonly path: Out<P, Params>;
  readonly query: Out<Q, Params>;
  readonly event: HttpEvent;
  readonly context: LambdaContext;
  /** Aborted when the request is about to time out. */
  readonly signal: AbortSignal;
}

export type HttpHandler = (event: HttpEvent, context: LambdaContext) => Promise<ProxyResult>;

export function httpHandler<
  B extends $ZodType | undefined = undefined,
  P extends $ZodType | undefined = undefined,
  Q extends $ZodType | undefined = undefined,
>(options: HttpHandlerOptions<B, P, Q>, fn: (input: HandlerInput<B, P, Q>) => unknown): HttpHandler {
  const corsSetup = cors(options.cors);

  const chain = middy<HttpEvent, unknown>(
    (event: HttpEvent, context: LambdaContext, { signal }: { signal: AbortSignal }) =>
      // A CORS preflight: the `after` middlewares add its headers (cors.ts).
      event.requestContext?.http?.method === 'OPTIONS'
        ? reply(204)
        : fn({
            get user() {
              return requireUser(event);
            },
            body: event.body as Out<B, undefined>,
            path: (event.pathParameters ?? {}) as Out<P, Params>,
            query: (event.queryStringParameters ?? {}) as Out<Q, Params>,
            event,
            context,
            signal,
          }),
    { timeoutEarlyInMillis: options.timeoutEarlyInMillis ?? 50 },
  )
    // First in, so its `after` and `onError` run last: every answer leaves through it.
    .use(lastGate({ origins: corsSetup.origins, cacheControl: options.cacheControl }))
    .use(httpHeaderNormalizer())
    .use(corsSetup.middleware)
    .use(httpSecurityHeaders(SECURITY_HEADERS))
    .use(httpErrorHandler({ logger: false }))
    .use(errorContract())
    .use(proxyResponse())
    .use(httpEventNormalizer())
    .use(access());
  if (options.json ?? options.body !== undefined) {
    chain.use(jsonBody(options.maxBodyBytes === undefined ? {} : { maxBytes: options.maxBodyBytes }));
  }
  if (options.body || options.path || options.query) {
    chain.use(zodValidator({ body: options.body, path: options.path, query: options.query }));
  }

  // middy rethrows what an onError middleware throws; API Gateway would then answer a bare 500.
  // This catch is the one thing middy's public API cannot express: the answer is still ours.
  return async (event, context) => {
    try {
      return (await chain(event, context)) as ProxyResult;
    } catch (err) {
      log({ level: 'error', msg: 'unhandled error', requestId: context?.awsRequestId, route: event?.routeKey, error: describeError(err) });
      return internalErrorResult(corsFallbackHeaders(corsSetup.origins, event?.headers?.origin));
    }
  };
}
