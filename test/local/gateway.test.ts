/**
 * The API Gateway HTTP API stand-in with fixture handlers in real sandboxes
 * (child processes): event shape, result conversion, the answers API Gateway
 * makes itself (404/413/500, with AWS's exact headers) and timeouts, over
 * real HTTP on loopback. No databases needed.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FunctionHost, type LocalFunction } from '../../scripts/local/functions';
import { convertResult, createGatewayServer, MalformedResultError, matchRoute, compileRoutes } from '../../scripts/local/gateway';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

const fn = (name: string, file: string, timeoutSeconds = 3, environment: Record<string, string> = {}): LocalFunction => ({
  name,
  functionName: `sps-dev-${name}`,
  handlerFile: path.join(fixtures, file),
  memoryMb: 256,
  timeoutSeconds,
  environment,
});

const echo = fn('echo', 'echo.ts', 3, { CORS_ORIGINS: 'http://a.test', TABLE_POSTS: 'sps-dev-posts' });
const results = fn('results', 'results.ts', 1);
const broken = fn('broken', 'broken-init.ts');

let host: FunctionHost;
let server: http.Server;
let port: number;

beforeAll(async () => {
  host = new FunctionHost({ region: 'eu-west-1', accountId: '000000000000' });
  server = createGatewayServer({
    routes: [
      { method: 'GET', path: '/echo', fn: echo },
      { method: 'POST', path: '/echo', fn: echo },
      { method: 'GET', path: '/items/{id}', fn: echo },
      { method: 'GET', path: '/items/special', fn: results },
      { method: 'DELETE', path: '/events/{id}/registrations/{registrationId}', fn: echo },
      { method: 'GET', path: '/results', fn: results },
      { method: 'GET', path: '/broken', fn: broken },
    ],
    invoke: (f, e) => host.invoke(f, e),
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
  await host.warm(echo);
  await host.warm(results);
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await host.close();
});

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

/** A raw HTTP request (lets us send duplicate headers and exact paths). */
function request(method: string, target: string, headers: http.OutgoingHttpHeaders = {}, body?: Buffer | string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: target, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const json = (r: Raw) => JSON.parse(r.body.toString('utf8'));

describe('payload 2.0 event', () => {
  test('carries the route key, raw path and query, lower-cased and comma-joined headers, cookies and request context', async () => {
    const res = await request('GET', '/echo?a=1&b=x%20y&a=2&flag', {
      'X-Custom': 'One',
      'x-dup': ['a', 'b'],
      cookie: 'sid=abc; theme=dark',
      'user-agent': 'jest-agent',
    });
    expect(res.status).toBe(200);
    const { event, context } = json(res);
    expect(event.version).toBe('2.0');
    expect(event.routeKey).toBe('GET /echo');
    expect(event.rawPath).toBe('/echo');
    expect(event.rawQueryString).toBe('a=1&b=x%20y&a=2&flag');
    expect(event.queryStringParameters).toEqual({ a: '1,2', b: 'x y', flag: '' });
    expect(event.headers['x-custom']).toBe('One');
    expect(event.headers['x-dup']).toBe('a,b');
    expect(event.headers.cookie).toBeUndefined();
    expect(event.cookies).toEqual(['sid=abc', 'theme=dark']);
    expect(event.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(event.headers['x-forwarded-proto']).toBe('http');
    expect(event.isBase64Encoded).toBe(false);
    expect(event.body).toBeUndefined();
    expect(event.pathParameters).toBeUndefined();
    expect(event.requestContext).toMatchObject({
      accountId: '000000000000',
      apiId: 'local',
      domainName: `127.0.0.1:${port}`,
      http: { method: 'GET', path: '/echo', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'jest-agent' },
      routeKey: 'GET /echo',
      stage: '$default',
    });
    expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(Math.abs(event.requestContext.timeEpoch - Date.now())).toBeLessThan(10_000);
    expect(res.headers['apigw-requestid']).toBe(event.requestContext.requestId);
    expect(context.functionName).toBe('sps-dev-echo');
    expect(context.memoryLimitInMB).toBe('256');
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('gives the handler a context whose remaining time counts down from the function timeout', async () => {
    const { context } = json(await request('GET', '/echo'));
    expect(context.remainingMs).toBeGreaterThan(2000);
    expect(context.remainingMs).toBeLessThanOrEqual(3000);
  });

  test('runs the handler with its own environment', async () => {
    const { env } = json(await request('GET', '/echo'));
    expect(env).toEqual({ CORS_ORIGINS: 'http://a.test', TABLE_POSTS: 'sps-dev-posts', AWS_LAMBDA_FUNCTION_NAME: 'sps-dev-echo' });
  });

  test('URL-decodes path parameters, and literal segments win over parameters', async () => {
    const { event } = json(await request('GET', '/items/a%20b%2Fc'));
    expect(event.routeKey).toBe('GET /items/{id}');
    expect(event.rawPath).toBe('/items/a%20b%2Fc');
    expect(event.pathParameters).toEqual({ id: 'a b/c' });
    const special = await request('GET', '/items/special?kind=object');
    expect(json(special)).toEqual({ hello: 'world' });
    const two = json(await request('DELETE', '/events/e1/registrations/r%2B1'));
    expect(two.event.pathParameters).toEqual({ id: 'e1', registrationId: 'r+1' });
  });

  test('passes a JSON body as text and a binary body as base64', async () => {
    const text = json(await request('POST', '/echo', { 'content-type': 'application/json; charset=utf-8' }, '{"a":"é"}'));
    expect(text.event.body).toBe('{"a":"é"}');
    expect(text.event.isBase64Encoded).toBe(false);
    const bytes = Buffer.from([0xff, 0x00, 0x10]);
    const bin = json(await request('POST', '/echo', { 'content-type': 'application/octet-stream' }, bytes));
    expect(bin.event.isBase64Encoded).toBe(true);
    expect(Buffer.from(bin.event.body, 'base64')).toEqual(bytes);
    const form = json(await request('POST', '/echo', { 'content-type': 'application/x-www-form-urlencoded' }, 'a=1'));
    expect(form.event.isBase64Encoded).toBe(true);
  });

  test('sends OPTIONS for a registered path to that path\'s first function', async () => {
    const { event } = json(await request('OPTIONS', '/echo', { origin: 'http://a.test', 'access-control-request-method': 'POST' }));
    expect(event.routeKey).toBe('OPTIONS /echo');
    expect(event.requestContext.http.method).toBe('OPTIONS');
  });
});

describe('result conversion', () => {
  test('an object with statusCode is a structured response: headers, cookies as set-cookie, multiValueHeaders ignored', async () => {
    const res = await request('GET', '/results?kind=structured');
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toBe('text/plain');
    expect(res.headers['x-count']).toBe('3');
    expect(res.headers['x-upper']).toBe('yes');
    expect(res.headers['x-ignored']).toBeUndefined();
    expect(res.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
    expect(res.body.toString()).toBe('created');
  });

  test('a result without statusCode is a 200 JSON body; a string result is the body itself', async () => {
    const obj = await request('GET', '/results?kind=object');
    expect(obj.status).toBe(200);
    expect(obj.headers['content-type']).toBe('application/json');
    expect(obj.body.toString()).toBe('{"hello":"world"}');
    const str = await request('GET', '/results?kind=string');
    expect(str.status).toBe(200);
    expect(str.body.toString()).toBe('hello');
    expect((await request('GET', '/results?kind=array')).body.toString()).toBe('[1,2]');
    expect((await request('GET', '/results?kind=number')).body.toString()).toBe('42');
    expect((await request('GET', '/results?kind=undefined')).body.toString()).toBe('null');
  });

  test('decodes isBase64Encoded bodies, accepts a numeric-string status and an absent body', async () => {
    const bin = await request('GET', '/results?kind=base64');
    expect(bin.body).toEqual(Buffer.from([0, 1, 2, 255]));
    const accepted = await request('GET', '/results?kind=status-string');
    expect(accepted.status).toBe(202);
    const empty = await request('GET', '/results?kind=no-body');
    expect(empty.status).toBe(204);
    expect(empty.body.length).toBe(0);
  });

  test('convertResult rejects malformed payloads and keeps well-formed ones', () => {
    expect(() => convertResult('{"statusCode": 99}')).toThrow(MalformedResultError);
    expect(() => convertResult('{"statusCode": 200, "cookies": "a=1"}')).toThrow(MalformedResultError);
    expect(convertResult('{"statusCode": 200, "headers": {"A": "b"}}').headers).toEqual({ a: 'b' });
  });
});

/**
 * The answers API Gateway makes itself carry exactly the headers AWS sends: a
 * recorded HTTP API 500 has `date`, `connection: keep-alive`, `apigw-requestid`,
 * `content-type: application/json`, `content-length` and nothing else (no CORS,
 * no security headers). Sources: docs/local-runtime.md#answers-api-gateway-makes-itself.
 */
function expectGatewayAnswer(res: Raw, status: number, message: string, method = 'GET'): void {
  const body = `{"message":"${message}"}`;
  expect(res.status).toBe(status);
  expect(res.body.toString('utf8')).toBe(method === 'HEAD' ? '' : body);
  const names = res.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
  expect(names.sort()).toEqual(['apigw-requestid', 'connection', 'content-length', 'content-type', 'date']);
  expect(res.headers['content-type']).toBe('application/json');
  expect(res.headers['content-length']).toBe(String(Buffer.byteLength(body)));
  expect(res.headers.connection).toBe('keep-alive');
  expect(res.headers['apigw-requestid']).toMatch(/^[A-Za-z0-9_-]{15}=$/);
  expect(Date.parse(res.headers.date!)).not.toBeNaN();
}

const fromBrowser = { origin: 'http://a.test' };

describe('answers API Gateway makes itself', () => {
  test.each([
    ['GET', '/nope'],
    ['PUT', '/echo'],
    ['GET', '/echo/'],
    ['GET', '/items/'],
    ['HEAD', '/echo'],
    ['OPTIONS', '/nope'],
  ])('%s %s matches no route: 404 {"message":"Not Found"}, no CORS headers', async (method, target) => {
    const res = await request(method, target, { ...fromBrowser, 'access-control-request-method': 'GET' });
    expectGatewayAnswer(res, 404, 'Not Found', method);
  });

  test('a body over 10 MB is 413 {"message":"Request Entity Too Large"} and never reaches the function', async () => {
    const res = await request('POST', '/echo', { ...fromBrowser, 'content-type': 'application/json' }, Buffer.alloc(10 * 1024 * 1024 + 1, 0x20));
    expectGatewayAnswer(res, 413, 'Request Entity Too Large');
  });

  test('an event over Lambda\'s 6 MiB request limit (a 7 MB body) is 413 {"message":"Request Entity Too Large"}', async () => {
    const res = await request('POST', '/echo', { ...fromBrowser, 'content-type': 'application/json' }, Buffer.alloc(7 * 1024 * 1024, 0x20));
    expectGatewayAnswer(res, 413, 'Request Entity Too Large');
  });

  test.each(['throw', 'bad-status', 'status-out-of-range', 'body-object', 'header-object', 'circular', 'bigint', 'large'])(
    'a %s result is 500 {"message":"Internal Server Error"} with the recorded header set',
    async (kind) => {
      expectGatewayAnswer(await request('GET', `/results?kind=${kind}`, fromBrowser), 500, 'Internal Server Error');
    },
  );

  test('Lambda takes a result of 6,291,556 bytes and refuses one byte more (500)', async () => {
    const limit = 6 * 1024 * 1024 + 100;
    const ok = await request('GET', `/results?kind=payload&bytes=${limit}`);
    expect([ok.status, ok.body.length]).toEqual([200, limit - 2]);
    expectGatewayAnswer(await request('GET', `/results?kind=payload&bytes=${limit + 1}`), 500, 'Internal Server Error');
  });

  test('a function that fails at init is 500', async () => {
    expectGatewayAnswer(await request('GET', '/broken', fromBrowser), 500, 'Internal Server Error');
  });

  test('a sandbox that crashes is 500, and the next request gets a fresh sandbox', async () => {
    expectGatewayAnswer(await request('GET', '/results?kind=crash'), 500, 'Internal Server Error');
    const after = await request('GET', '/results?kind=invocations');
    expect(after.status).toBe(200);
    expect(json(after)).toEqual({ invocations: 1 });
  });

  test('a function that outlives its timeout is 500 {"message":"Internal Server Error"} (Lambda stops it before the integration timeout) and the runtime stays healthy', async () => {
    const started = Date.now();
    const res = await request('GET', '/results?kind=slow', fromBrowser);
    expectGatewayAnswer(res, 500, 'Internal Server Error');
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await request('GET', '/echo')).status).toBe(200);
    expect((await request('GET', '/results?kind=object')).status).toBe(200);
  });

  test('a CPU-bound function past its timeout is 500 and its sandbox is terminated', async () => {
    await request('GET', '/results?kind=object');
    const before = host.sandboxes();
    const res = await request('GET', '/results?kind=busy');
    expect(res.status).toBe(500);
    // The busy thread is terminated (it would spin for seconds otherwise).
    const end = Date.now() + 3000;
    while (host.sandboxes() >= before && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(host.sandboxes()).toBe(before - 1);
    expect((await request('GET', '/results?kind=object')).status).toBe(200);
  });

  test('function answers carry the request id too, in API Gateway\'s format', async () => {
    const res = await request('GET', '/echo');
    expect(res.headers['apigw-requestid']).toMatch(/^[A-Za-z0-9_-]{15}=$/);
    expect(res.headers['keep-alive']).toBeUndefined();
  });
});

describe('route matching', () => {
  test('matches the most specific route', () => {
    const f = echo;
    const compiled = compileRoutes([
      { method: 'GET', path: '/a/{x}/c', fn: f },
      { method: 'GET', path: '/a/b/{y}', fn: f },
    ]);
    expect(matchRoute(compiled, 'GET', '/a/b/c')?.route.routeKey).toBe('GET /a/b/{y}');
    expect(matchRoute(compiled, 'OPTIONS', '/a/z/c')?.route.routeKey).toBe('OPTIONS /a/{x}/c');
    expect(matchRoute(compiled, 'POST', '/a/b/c')).toBeUndefined();
  });
});
