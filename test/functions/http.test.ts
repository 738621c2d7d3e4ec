/**
 * The handler framework as Lambda runs it: real payload 2.0 events, a context
 * with getRemainingTimeInMillis, assertions on the proxy result.
 */
import { z } from 'zod';
import { DataUnavailableError } from '../../functions/lib/data/errors';
import { setLogSink } from '../../functions/lib/log';
import { conflict, httpHandler, notFound, reply } from '../../functions/lib/http';
import { jsonDepth } from '../../functions/lib/http/middlewares';
import { errorOf, expectValidProxyResult } from './assertions';
import { captureLogs, httpEvent, lambdaContext } from './events';

const ALLOWED = 'https://app.example.com';
const OTHER = 'https://evil.example.net';
process.env.CORS_ORIGINS = `${ALLOWED}, http://localhost:5173`;
// What the stack sets for a route of /posts (GET and POST there): infra/function-contract.ts.
process.env.CORS_METHODS = 'GET,POST';

const logs = captureLogs();
afterAll(() => logs.restore());

const Body = z.strictObject({ title: z.string().min(1).max(20), count: z.number().int().min(0) });
const echo = httpHandler({ body: Body }, ({ body }) => reply(201, { title: body.title, count: body.count }));

const post = (init: Parameters<typeof httpEvent>[2]) => echo(httpEvent('POST', '/posts', init), lambdaContext());

describe('JSON routes', () => {
  test('GIVEN a valid JSON body WHEN posted THEN the handler gets the typed body and returns 201 JSON', async () => {
    const result = await post({ json: { title: 'hello', count: 2 }, headers: { origin: ALLOWED } });
    expectValidProxyResult(result);
    expect(result.statusCode).toBe(201);
    expect(result.headers['content-type']).toBe('application/json');
    expect(JSON.parse(result.body)).toEqual({ title: 'hello', count: 2 });
  });

  test('accepts a base64-encoded JSON body and +json media types', async () => {
    const event = httpEvent('POST', '/posts', { body: Buffer.from(JSON.stringify({ title: 'b64', count: 1 })), headers: { 'content-type': 'application/vnd.api+json; charset=utf-8' } });
    const result = await echo(event, lambdaContext());
    expect(result.statusCode).toBe(201);
    expect(JSON.parse(result.body).title).toBe('b64');
  });

  test('fails with 400 invalid_json on malformed JSON', async () => {
    const result = await post({ body: '{"title": "x",', headers: { 'content-type': 'application/json' } });
    expectValidProxyResult(result);
    expect(result.statusCode).toBe(400);
    expect(errorOf(result).code).toBe('invalid_json');
  });

  test('fails with 400 invalid_json on a prototype-pollution key', async () => {
    const result = await post({ body: '{"title":"x","count":1,"__proto__":{"admin":true}}', headers: { 'content-type': 'application/json' } });
    expect(result.statusCode).toBe(400);
    expect(errorOf(result).code).toBe('invalid_json');
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  test('valid JSON nested deeper than 64 levels is a 400 invalid_json that says so; 64 levels and brackets in strings are fine', async () => {
    const nested = (levels: number) => `{"title":"x","count":1,"n":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;
    for (const levels of [65, 5_000, 100_000]) {
      const result = await post({ body: nested(levels), headers: { 'content-type': 'application/json' } });
      expectValidProxyResult(result);
      expect([result.statusCode, errorOf(result)]).toEqual([400, { code: 'invalid_json', message: 'The request body nests JSON more than 64 levels deep' }]);
    }
    const deepest = await post({ body: nested(64), headers: { 'content-type': 'application/json' } });
    expect([deepest.statusCode, errorOf(deepest).code]).toEqual([400, 'validation_failed']); // parsed: only the unknown key `n` is refused
    expect(jsonDepth(JSON.stringify({ title: '['.repeat(500) + '{\\"'.repeat(100), list: [[1], { a: ['}]'] }] }))).toBe(4);
  });

  test('fails with 400 validation_failed listing every issue as {path, message}', async () => {
    const result = await post({ json: { title: '', count: -1, extra: true } });
    expectValidProxyResult(result);
    expect(result.statusCode).toBe(400);
    const error = errorOf(result);
    expect(error.code).toBe('validation_failed');
    const paths = error.details!.map((d) => d.path).sort();
    expect(paths).toEqual(['body', 'body.count', 'body.title']);
    for (const d of error.details!) expect(typeof d.message).toBe('string');
  });

  test('fails with 400 validation_failed when the body is missing', async () => {
    const result = await post({});
    expect(result.statusCode).toBe(400);
    expect(errorOf(result).code).toBe('validation_failed');
  });

  test('fails with 415 unsupported_media_type when the body is not JSON', async () => {
    const variants: Record<string, string>[] = [{ 'content-type': 'text/plain' }, { 'content-type': 'application/x-www-form-urlencoded' }, {}];
    for (const headers of variants) {
      const result = await post({ body: 'title=x', headers });
      expectValidProxyResult(result);
      expect(result.statusCode).toBe(415);
      expect(errorOf(result).code).toBe('unsupported_media_type');
    }
  });

  test('fails with 413 payload_too_large above 256 KB of decoded bytes', async () => {
    // 90,000 euro signs: 90,000 characters but 270,000 UTF-8 bytes.
    const big = JSON.stringify({ title: '€'.repeat(90_000), count: 1 });
    expect(big.length).toBeLessThan(256 * 1024);
    const result = await post({ body: big, headers: { 'content-type': 'application/json' } });
    expectValidProxyResult(result);
    expect(result.statusCode).toBe(413);
    expect(errorOf(result).code).toBe('payload_too_large');
  });

  test('measures base64 bodies decoded: 256 KB passes the size check, one byte more is 413', async () => {
    const sized = (bytes: number) => {
      const shell = JSON.stringify({ title: 'x', count: 1, pad: '' });
      return Buffer.from(JSON.stringify({ title: 'x', count: 1, pad: ' '.repeat(bytes - shell.length) }));
    };
    const exact = sized(256 * 1024);
    expect(exact.length).toBe(262_144);
    const ok = await echo(httpEvent('POST', '/posts', { body: exact, headers: { 'content-type': 'application/json' } }), lambdaContext());
    // Not too large: it reaches validation (and fails there on the unknown key).
    expect(errorOf(ok).code).toBe('validation_failed');
    const over = await echo(httpEvent('POST', '/posts', { body: sized(256 * 1024 + 1), headers: { 'content-type': 'application/json' } }), lambdaContext());
    expect(over.statusCode).toBe(413);
  });
});

describe('errors thrown by handlers', () => {
  const throwing = (err: unknown) => httpHandler({}, () => Promise.reject(err));
  const call = (h: ReturnType<typeof throwing>, origin = ALLOWED) => h(httpEvent('GET', '/things/1', { headers: { origin } }), lambdaContext());

  test('404 not_found', async () => {
    const result = await call(throwing(notFound('Thing not found')));
    expect(result.statusCode).toBe(404);
    expect(errorOf(result)).toEqual({ code: 'not_found', message: 'Thing not found' });
  });

  test('409 with the case code', async () => {
    const result = await call(throwing(conflict('event_full', 'The event is full')));
    expect(result.statusCode).toBe(409);
    expect(errorOf(result).code).toBe('event_full');
  });

  test('500 internal never leaks a stack, SQL or AWS text', async () => {
    const err = new Error('duplicate key value violates unique constraint "users_pkey" SELECT * FROM users arn:aws:rds:eu-west-1:123:cluster:x');
    const result = await call(throwing(err));
    expectValidProxyResult(result);
    expect(result.statusCode).toBe(500);
    expect(errorOf(result)).toEqual({ code: 'internal', message: 'Internal server error' });
    expect(result.body).not.toMatch(/SELECT|arn:aws|duplicate|at .*\.ts/);
    expect(result.headers['access-control-allow-origin']).toBe(ALLOWED);
  });

  test('500 internal for thrown non-errors and 5xx http errors', async () => {
    for (const thrown of [undefined, null, 'boom', 42, { statusCode: 502, message: 'upstream said secret' }]) {
      const result = await call(throwing(thrown));
      expectValidProxyResult(result);
      expect(result.statusCode).toBe(500);
      expect(errorOf(result).code).toBe('internal');
    }
  });

  test('503 unavailable with retry-after when a database is unreachable', async () => {
    const result = await call(throwing(new DataUnavailableError('pg: connect ECONNREFUSED 10.0.0.1:5432')));
    expectValidProxyResult(result);
    expect(result.statusCode).toBe(503);
    expect(result.headers['retry-after']).toBe('1');
    expect(errorOf(result).code).toBe('unavailable');
    expect(result.body).not.toMatch(/ECONNREFUSED/);
  });

  test('503 unavailable instead of a Lambda timeout', async () => {
    const slow = httpHandler(
      {},
      ({ signal }) =>
        new Promise((resolve) => {
          const timer = setTimeout(() => resolve({ late: true }), 10_000);
          signal.addEventListener('abort', () => clearTimeout(timer));
        }),
    );
    const started = Date.now();
    const result = await slow(httpEvent('GET', '/slow'), lambdaContext(300));
    expect(Date.now() - started).toBeLessThan(5000); // well before the handler's 10 s
    expect(result.statusCode).toBe(503);
    expect(errorOf(result).code).toBe('unavailable');
  });

  test('a broken event still gets a well-formed 500', async () => {
    const h = httpHandler({}, () => ({ ok: true }));
    const result = await h({} as never, lambdaContext());
    expectValidProxyResult(result);
    expect([200, 500]).toContain(result.statusCode);
  });
});

describe('CORS', () => {
  const get = httpHandler({}, () => ({ ok: true }));

  test('an allowed origin gets access-control-allow-origin and vary: origin', async () => {
    const result = await get(httpEvent('GET', '/posts/1', { headers: { origin: ALLOWED } }), lambdaContext());
    expect(result.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(result.headers.vary).toMatch(/origin/i);
  });

  test('origins are compared case-insensitively on scheme and host', async () => {
    const result = await get(httpEvent('GET', '/posts/1', { headers: { origin: 'HTTP://LOCALHOST:5173' } }), lambdaContext());
    expect(result.headers['access-control-allow-origin']).toBe('http://localhost:5173');
  });

  test('a disallowed origin gets no access-control-allow-origin, on success and on errors', async () => {
    const ok = await get(httpEvent('GET', '/posts/1', { headers: { origin: OTHER } }), lambdaContext());
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBeUndefined();
    expect(ok.headers.vary).toMatch(/origin/i);
    const bad = await post({ body: '{', headers: { origin: OTHER, 'content-type': 'application/json' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['access-control-allow-origin']).toBeUndefined();
  });

  test('errors carry CORS headers for an allowed origin', async () => {
    const result = await post({ body: '{', headers: { origin: ALLOWED, 'content-type': 'application/json' } });
    expect(result.statusCode).toBe(400);
    expect(result.headers['access-control-allow-origin']).toBe(ALLOWED);
  });

  test('preflight OPTIONS is answered by the chain: 204, allow-methods of the path, allow-headers, max-age', async () => {
    const result = await echo(
      httpEvent('OPTIONS', '/posts', { headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } }),
      lambdaContext(),
    );
    expectValidProxyResult(result);
    expect(result.statusCode).toBe(204);
    expect(result.body).toBe('');
    expect(result.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(result.headers['access-control-allow-methods']!.split(',').sort()).toEqual(['GET', 'OPTIONS', 'POST']);
    expect(result.headers['access-control-allow-headers']).toContain('content-type');
    expect(result.headers['access-control-max-age']).toBe('600');
    expect(result.headers.vary).toMatch(/origin/i);
  });

  test('preflight from a disallowed origin: 204 without access-control-allow-origin', async () => {
    const result = await echo(httpEvent('OPTIONS', '/posts', { headers: { origin: OTHER, 'access-control-request-method': 'POST' } }), lambdaContext());
    expect(result.statusCode).toBe(204);
    expect(result.headers['access-control-allow-origin']).toBeUndefined();
  });

  test('no CORS_ORIGINS means no origin is allowed', async () => {
    const h = httpHandler({ cors: { origins: [] } }, () => 'x');
    const result = await h(httpEvent('GET', '/x', { headers: { origin: ALLOWED } }), lambdaContext());
    expect(result.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('security headers and caching on every answer', () => {
  const SECURITY = ['x-content-type-options', 'referrer-policy', 'strict-transport-security', 'x-frame-options'];
  const answers = async () => ({
    ok: await post({ json: { title: 'x', count: 1 } }),
    badRequest: await post({ body: '{', headers: { 'content-type': 'application/json' } }),
    preflight: await echo(httpEvent('OPTIONS', '/posts', { headers: { origin: ALLOWED, 'access-control-request-method': 'POST' } }), lambdaContext()),
    crash: await httpHandler({}, () => {
      throw new Error('boom');
    })(httpEvent('GET', '/x'), lambdaContext()),
  });

  test('preflight answers carry the same security headers as every other answer', async () => {
    const all = await answers();
    for (const [name, result] of Object.entries(all)) {
      for (const h of SECURITY) expect([name, h, result.headers[h]]).toEqual([name, h, all.ok.headers[h]]);
    }
    expect(all.preflight.headers['x-content-type-options']).toBe('nosniff');
  });

  test('every answer is cache-control: no-store unless the route or the handler says otherwise', async () => {
    for (const [name, result] of Object.entries(await answers())) expect([name, result.headers['cache-control']]).toEqual([name, 'no-store']);
    const cached = httpHandler({ cacheControl: 'public, max-age=60' }, () => ({ ok: true }));
    expect((await cached(httpEvent('GET', '/x'), lambdaContext())).headers['cache-control']).toBe('public, max-age=60');
    const own = httpHandler({}, () => reply(200, { ok: true }, { headers: { 'cache-control': 'private, max-age=5' } }));
    expect((await own(httpEvent('GET', '/x'), lambdaContext())).headers['cache-control']).toBe('private, max-age=5');
  });
});

describe('query and path schemas', () => {
  const h = httpHandler(
    { path: z.strictObject({ id: z.string().regex(/^\d+$/) }), query: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) }) },
    ({ path, query }) => ({ id: path.id, limit: query.limit }),
  );

  test('coerces and defaults query values', async () => {
    const a = await h(httpEvent('GET', '/items/7', { pathParameters: { id: '7' }, query: { limit: '5' } }), lambdaContext());
    expect(JSON.parse(a.body)).toEqual({ id: '7', limit: 5 });
    const b = await h(httpEvent('GET', '/items/7', { pathParameters: { id: '7' } }), lambdaContext());
    expect(JSON.parse(b.body)).toEqual({ id: '7', limit: 20 });
  });

  test('fails with 400 validation_failed naming path and query issues', async () => {
    const r = await h(httpEvent('GET', '/items/x', { pathParameters: { id: 'x' }, query: { limit: '500' } }), lambdaContext());
    expect(r.statusCode).toBe(400);
    expect(errorOf(r).details!.map((d) => d.path).sort()).toEqual(['path.id', 'query.limit']);
  });
});

describe('structured logs', () => {
  test('one JSON record per request with request id, route, status and duration; no bodies or tokens', async () => {
    logs.records.length = 0;
    const context = lambdaContext();
    await echo(
      httpEvent('POST', '/posts', { json: { title: 'secret-title', count: 1 }, headers: { authorization: 'Bearer tok_very_secret', cookie: 'session=abc' } }),
      context,
    );
    const requests = logs.records.filter((r) => r.msg === 'request');
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ level: 'info', requestId: context.awsRequestId, route: 'POST /posts', method: 'POST', status: 201 });
    expect(typeof requests[0]!.durationMs).toBe('number');
    const text = JSON.stringify(logs.records);
    expect(text).not.toMatch(/secret-title|tok_very_secret|session=abc/);
  });

  test('writes each record as one line of JSON on stdout by default', async () => {
    const previous = setLogSink(undefined);
    const writes: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => {
      writes.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    try {
      await echo(httpEvent('POST', '/posts', { json: { title: 'a', count: 1 } }), lambdaContext());
    } finally {
      process.stdout.write = original;
      setLogSink(previous);
    }
    const line = writes.find((w) => w.includes('"msg":"request"'))!;
    expect(line.endsWith('\n')).toBe(true);
    expect(line.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(line)).toMatchObject({ status: 201 });
  });
});
