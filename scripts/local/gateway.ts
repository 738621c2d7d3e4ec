/**
 * A local stand-in for API Gateway HTTP API (payload format 2.0): route
 * matching, request -> event translation, and result -> HTTP response
 * conversion by the service's rules; the answers it makes itself (404, 413,
 * 500, the JWT authorizer's 401 and 403) are in gateway-answers.ts, the JWT
 * authorizer in authorizer.ts.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { RouteAuth } from '../../functions/registry-types';
import type { AuthorizerContext, JwtAuthorizer } from './authorizer';
import type { InvokeOutcome, LocalFunction } from './functions';
import {
  INTERNAL_ERROR,
  MAX_LAMBDA_REQUEST_BYTES,
  MAX_LAMBDA_RESPONSE_BYTES,
  MAX_REQUEST_BYTES,
  NOT_FOUND,
  requestId,
  TOO_LARGE,
  type HttpResponse,
} from './gateway-answers';

export interface GatewayRoute {
  readonly method: string;
  /** API Gateway path with `{param}` segments. */
  readonly path: string;
  readonly fn: LocalFunction;
  /** The route's JWT authorizer settings (its registry entry's `auth`). @default - no authorizer: the route is public */
  readonly auth?: RouteAuth;
}

export interface GatewayOptions {
  readonly routes: readonly GatewayRoute[];
  readonly invoke: (fn: LocalFunction, event: Record<string, unknown>) => Promise<InvokeOutcome>;
  /** The JWT authorizer of the routes with `auth` (required when a route has one). @default - none */
  readonly authorizer?: JwtAuthorizer;
  /** @default "000000000000" */
  readonly accountId?: string;
  /** @default "local" */
  readonly apiId?: string;
  /** One line per request. @default - none */
  readonly onRequest?: (line: AccessLog) => void;
  /** Function errors and malformed results (the details API Gateway logs but never returns). */
  readonly onFunctionError?: (fn: LocalFunction, message: string) => void;
}

export interface AccessLog {
  readonly requestId: string;
  readonly routeKey: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly durationMs: number;
  readonly functionName?: string;
  readonly integrationStatus?: 'ok' | 'error' | 'timeout' | 'malformed';
}

interface CompiledRoute {
  readonly routeKey: string;
  readonly method: string;
  readonly segments: readonly string[];
  readonly fn: LocalFunction;
  readonly auth?: RouteAuth;
}

interface Match {
  readonly route: CompiledRoute;
  readonly pathParameters?: Record<string, string>;
}

const TEXT_CONTENT_TYPE = /^(text\/|application\/(json|javascript|xml)\b|[^;]*\+(json|xml)\b)/i;

/**
 * Compiles the routes plus one OPTIONS route per path to the path's first
 * function (as infra does), without an authorizer: browsers send no
 * credentials with a CORS preflight.
 */
export function compileRoutes(routes: readonly GatewayRoute[]): CompiledRoute[] {
  const compiled: CompiledRoute[] = [];
  const preflight = new Map<string, LocalFunction>();
  for (const r of routes) {
    compiled.push({ routeKey: `${r.method} ${r.path}`, method: r.method, segments: r.path.split('/').slice(1), fn: r.fn, auth: r.auth });
    if (!preflight.has(r.path)) preflight.set(r.path, r.fn);
  }
  for (const [path, fn] of preflight) {
    if (!routes.some((r) => r.method === 'OPTIONS' && r.path === path)) {
      compiled.push({ routeKey: `OPTIONS ${path}`, method: 'OPTIONS', segments: path.split('/').slice(1), fn });
    }
  }
  return compiled;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Finds the route for a method and raw path. Literal segments win over
 * `{param}` segments, position by position (API Gateway's "most specific
 * route" rule); a parameter matches one non-empty segment.
 */
export function matchRoute(routes: readonly CompiledRoute[], method: string, rawPath: string): Match | undefined {
  const parts = rawPath.split('/').slice(1);
  let best: { route: CompiledRoute; score: string; params: Record<string, string> } | undefined;
  for (const route of routes) {
    if (route.method !== method || route.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let score = '';
    let ok = true;
    for (let i = 0; i < parts.length; i++) {
      const seg = route.segments[i]!;
      const part = parts[i]!;
      const param = /^\{([^}+]+)\}$/.exec(seg);
      if (param) {
        if (part === '') {
          ok = false;
          break;
        }
        params[param[1]!] = safeDecode(part);
        score += '0';
      } else {
        if (seg !== part) {
          ok = false;
          break;
        }
        score += '1';
      }
    }
    if (ok && (!best || score > best.score)) best = { route, score, params };
  }
  if (!best) return undefined;
  return { route: best.route, pathParameters: Object.keys(best.params).length ? best.params : undefined };
}

/** CLF-style time API Gateway puts in requestContext.time: "12/Mar/2020:19:03:58 +0000". */
export function clfTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())} +0000`;
}

function parseQuery(raw: string): Record<string, string> | undefined {
  if (!raw) return undefined;
  const out: Record<string, string> = {};
  for (const pair of raw.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const key = safeDecode((eq === -1 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '));
    const value = eq === -1 ? '' : safeDecode(pair.slice(eq + 1).replace(/\+/g, ' '));
    out[key] = key in out ? `${out[key]},${value}` : value;
  }
  return Object.keys(out).length ? out : undefined;
}

export interface EventInput {
  readonly method: string;
  /** Request target as received: path plus optional query. */
  readonly url: string;
  /** Node's rawHeaders: name, value, name, value… */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly sourceIp: string;
  readonly localPort: number;
  readonly protocol: string;
  readonly requestId: string;
  readonly now: Date;
  /** What the JWT authorizer passes on a route with `auth`. @default - none (a public route) */
  readonly authorizer?: AuthorizerContext;
}

/** Builds the payload 2.0 event API Gateway sends for a request on a matched route. */
export function buildEvent(
  input: EventInput,
  match: Match,
  ids: { accountId: string; apiId: string },
): Record<string, unknown> {
  const q = input.url.indexOf('?');
  const rawPath = q === -1 ? input.url : input.url.slice(0, q);
  const rawQueryString = q === -1 ? '' : input.url.slice(q + 1);

  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i < input.rawHeaders.length; i += 2) {
    const name = input.rawHeaders[i]!.toLowerCase();
    const value = input.rawHeaders[i + 1]!;
    if (name === 'cookie') {
      // Cookies move to `cookies`; the header is not forwarded.
      for (const c of value.split(';')) if (c.trim()) cookies.push(c.trim());
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  const traceId = `Root=1-${Math.floor(input.now.getTime() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
  headers['x-amzn-trace-id'] = traceId;
  headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${input.sourceIp}` : input.sourceIp;
  headers['x-forwarded-port'] = String(input.localPort);
  headers['x-forwarded-proto'] = 'http';

  const domainName = headers.host ?? `127.0.0.1:${input.localPort}`;
  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey: match.route.routeKey,
    rawPath,
    rawQueryString,
  };
  if (cookies.length) event.cookies = cookies;
  event.headers = headers;
  const query = parseQuery(rawQueryString);
  if (query) event.queryStringParameters = query;
  event.requestContext = {
    accountId: ids.accountId,
    apiId: ids.apiId,
    ...(input.authorizer ? { authorizer: input.authorizer } : {}),
    domainName,
    domainPrefix: domainName.split('.')[0],
    http: {
      method: input.method,
      path: rawPath,
      protocol: input.protocol,
      sourceIp: input.sourceIp,
      userAgent: headers['user-agent'] ?? '',
    },
    requestId: input.requestId,
    routeKey: match.route.routeKey,
    stage: '$default',
    time: clfTime(input.now),
    timeEpoch: input.now.getTime(),
  };
  if (match.pathParameters) event.pathParameters = match.pathParameters;
  if (input.body.length > 0) {
    const text = TEXT_CONTENT_TYPE.test(headers['content-type'] ?? '');
    event.body = text ? input.body.toString('utf8') : input.body.toString('base64');
    event.isBase64Encoded = !text;
  } else {
    event.isBase64Encoded = false;
  }
  return event;
}

export class MalformedResultError extends Error {}

/**
 * Converts a Lambda result (its JSON serialisation) to the HTTP response, by
 * payload 2.0's rules: an object with `statusCode` is a structured response;
 * anything else valid is a 200 JSON body (a string result is the body as is).
 * Throws MalformedResultError where API Gateway answers 500.
 */
export function convertResult(payload: string): HttpResponse {
  let result: unknown;
  try {
    result = JSON.parse(payload);
  } catch {
    throw new MalformedResultError('result is not valid JSON');
  }
  const structured = typeof result === 'object' && result !== null && !Array.isArray(result) && 'statusCode' in result;
  if (!structured) {
    const body = typeof result === 'string' ? result : payload;
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, cookies: [], body: Buffer.from(body) };
  }
  const r = result as Record<string, unknown>;
  const status = typeof r.statusCode === 'string' && /^\d+$/.test(r.statusCode) ? Number(r.statusCode) : r.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    throw new MalformedResultError(`statusCode ${JSON.stringify(r.statusCode)} is not an HTTP status`);
  }
  const headers: Record<string, string> = {};
  if (r.headers !== undefined && r.headers !== null) {
    if (typeof r.headers !== 'object' || Array.isArray(r.headers)) throw new MalformedResultError('headers is not an object');
    for (const [name, value] of Object.entries(r.headers as Record<string, unknown>)) {
      if (!['string', 'number', 'boolean'].includes(typeof value)) {
        throw new MalformedResultError(`header ${name} is not a string`);
      }
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || /[\r\n]/.test(String(value))) {
        throw new MalformedResultError(`header ${name} is not a valid HTTP header`);
      }
      headers[name.toLowerCase()] = String(value);
    }
  }
  let cookies: string[] = [];
  if (r.cookies !== undefined && r.cookies !== null) {
    if (!Array.isArray(r.cookies) || r.cookies.some((c) => typeof c !== 'string' || /[\r\n]/.test(c))) {
      throw new MalformedResultError('cookies is not an array of strings');
    }
    cookies = r.cookies as string[];
  }
  let body = Buffer.alloc(0);
  if (r.body !== undefined && r.body !== null) {
    if (typeof r.body !== 'string') throw new MalformedResultError('body is not a string');
    body = r.isBase64Encoded === true ? Buffer.from(r.body, 'base64') : Buffer.from(r.body, 'utf8');
  }
  return { statusCode: status, headers, cookies, body };
}

/** HTTP server that fronts the functions like API Gateway HTTP API. */
export function createGatewayServer(options: GatewayOptions): http.Server {
  const routes = compileRoutes(options.routes);
  const guarded = options.routes.filter((r) => r.auth);
  if (guarded.length && !options.authorizer) {
    throw new Error(`routes ${guarded.map((r) => `${r.method} ${r.path}`).join(', ')} declare auth, but the gateway has no JWT authorizer`);
  }
  const ids = { accountId: options.accountId ?? '000000000000', apiId: options.apiId ?? 'local' };

  return http.createServer((req, res) => {
    const started = Date.now();
    const id = requestId();
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const path = url.split('?')[0]!;
    let routeKey = '-';
    let fnName: string | undefined;
    let integrationStatus: AccessLog['integrationStatus'];

    const send = (response: HttpResponse) => {
      if (res.headersSent) return;
      const headers: http.OutgoingHttpHeaders = { ...response.headers, 'apigw-requestid': id };
      if (response.cookies.length) headers['set-cookie'] = [...response.cookies];
      headers['content-length'] = String(response.body.length);
      // Said ourselves, so Node adds no `keep-alive: timeout=N` header: API Gateway sends none.
      const connection: http.OutgoingHttpHeaders = res.shouldKeepAlive ? { connection: 'keep-alive' } : {};
      try {
        res.writeHead(response.statusCode, { ...headers, ...connection });
      } catch {
        // A header value Node refuses: API Gateway would reject the result too.
        const error = INTERNAL_ERROR();
        res.writeHead(500, { ...error.headers, 'apigw-requestid': id, 'content-length': String(error.body.length), ...connection });
        res.end(error.body);
        return;
      }
      res.end(method === 'HEAD' ? undefined : response.body);
      options.onRequest?.({
        requestId: id,
        routeKey,
        method,
        path,
        status: response.statusCode,
        durationMs: Date.now() - started,
        functionName: fnName,
        integrationStatus,
      });
    };

    const match = matchRoute(routes, method, path);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_REQUEST_BYTES) {
      tooLarge = true;
      send(TOO_LARGE());
      req.resume();
      return;
    }
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        tooLarge = true;
        send(TOO_LARGE());
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      if (tooLarge) return;
      if (!match) {
        send(NOT_FOUND());
        return;
      }
      routeKey = match.route.routeKey;
      const auth = match.route.auth;
      if (!auth) {
        dispatch(match);
        return;
      }
      // The authorizer answers before any function runs.
      options.authorizer!.authorize(req.headers.authorization, auth.scopes).then(
        (result) => (result.allowed ? dispatch(match, result.context) : send(result.response)),
        () => send(INTERNAL_ERROR()),
      );
    });

    const dispatch = (matched: Match, authorizer?: AuthorizerContext) => {
      fnName = matched.route.fn.functionName;
      const event = buildEvent(
        {
          method,
          url,
          rawHeaders: req.rawHeaders,
          body: Buffer.concat(chunks),
          sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
          localPort: req.socket.localPort ?? 0,
          protocol: `HTTP/${req.httpVersion}`,
          requestId: id,
          now: new Date(started),
          authorizer,
        },
        matched,
        ids,
      );
      if (Buffer.byteLength(JSON.stringify(event)) > MAX_LAMBDA_REQUEST_BYTES) {
        send(TOO_LARGE());
        return;
      }
      options.invoke(matched.route.fn, event).then((outcome) => {
        if (outcome.kind === 'timeout') {
          integrationStatus = 'timeout';
          options.onFunctionError?.(matched.route.fn, `Task timed out after ${matched.route.fn.timeoutSeconds} seconds`);
          // The stack sets each integration timeout to the function's + 1 s, so
          // in AWS the function times out first: a function error, API Gateway's 500.
          send(INTERNAL_ERROR());
          return;
        }
        if (outcome.kind === 'error') {
          integrationStatus = 'error';
          options.onFunctionError?.(matched.route.fn, `${outcome.error.name}: ${outcome.error.message}${outcome.error.stack ? `\n${outcome.error.stack}` : ''}`);
          send(INTERNAL_ERROR());
          return;
        }
        if (Buffer.byteLength(outcome.payload) > MAX_LAMBDA_RESPONSE_BYTES) {
          integrationStatus = 'error';
          options.onFunctionError?.(matched.route.fn, `Response payload size exceeded maximum allowed payload size (${MAX_LAMBDA_RESPONSE_BYTES} bytes).`);
          send(INTERNAL_ERROR());
          return;
        }
        try {
          const response = convertResult(outcome.payload);
          integrationStatus = 'ok';
          send(response);
        } catch (err) {
          integrationStatus = 'malformed';
          options.onFunctionError?.(matched.route.fn, `Malformed Lambda proxy response: ${(err as Error).message}`);
          send(INTERNAL_ERROR());
        }
      });
    };
  });
}
