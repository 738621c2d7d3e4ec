/**
 * The proxy-response formatter: whatever a handler returns, API Gateway gets a
 * well-formed payload 2.0 result.
 */
import { httpHandler, reply } from '../../functions/lib/http';
import { finalizeProxyResult, toProxyResult } from '../../functions/lib/http/proxy';
import { errorOf, expectValidProxyResult } from './assertions';
import { captureLogs, httpEvent, lambdaContext } from './events';

const logs = captureLogs();
afterAll(() => logs.restore());

const returning = async (value: unknown) => {
  const h = httpHandler({}, () => value);
  const result = await h(httpEvent('GET', '/odd', { headers: { origin: 'https://app.example.com' } }), lambdaContext());
  expectValidProxyResult(result);
  return result;
};

describe('odd return values', () => {
  test('undefined -> 204 with an empty body', async () => {
    const r = await returning(undefined);
    expect(r.statusCode).toBe(204);
    expect(r.body).toBe('');
  });

  test('a string -> 200 text/plain', async () => {
    const r = await returning('hello');
    expect(r.statusCode).toBe(200);
    expect(r.body).toBe('hello');
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
  });

  test('a Buffer -> base64 with isBase64Encoded', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const r = await returning(bytes);
    expect(r.isBase64Encoded).toBe(true);
    expect(Buffer.from(r.body, 'base64')).toEqual(bytes);
    expect(r.headers['content-type']).toBe('application/octet-stream');
  });

  test('a Uint8Array view -> only its bytes, base64', async () => {
    const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
    const r = await returning(backing.subarray(2, 5));
    expect([...Buffer.from(r.body, 'base64')]).toEqual([1, 2, 3]);
  });

  test('a Date -> its JSON string', async () => {
    const r = await returning(new Date('2026-01-02T03:04:05.000Z'));
    expect(JSON.parse(r.body)).toBe('2026-01-02T03:04:05.000Z');
  });

  test('a bigint (alone or nested) -> a decimal string', async () => {
    expect(JSON.parse((await returning(12345678901234567890n)).body)).toBe('12345678901234567890');
    expect(JSON.parse((await returning({ n: 5n, list: [1n] })).body)).toEqual({ n: '5', list: ['1'] });
  });

  test('a circular object -> 500 internal', async () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    const r = await returning(a);
    expect(r.statusCode).toBe(500);
    expect(errorOf(r).code).toBe('internal');
    expect(r.headers['access-control-allow-origin']).toBeUndefined(); // origin not in CORS_ORIGINS here
  });

  test('null, numbers, booleans and arrays -> 200 JSON', async () => {
    for (const v of [null, 0, 1.5, false, [1, 'a']]) {
      const r = await returning(v);
      expect(r.statusCode).toBe(200);
      expect(JSON.parse(r.body)).toEqual(v);
    }
  });

  test('a function or symbol -> 500 internal', async () => {
    expect((await returning(() => 1)).statusCode).toBe(500);
    expect((await returning(Symbol('s'))).statusCode).toBe(500);
  });

  test('a rejected promise of nothing -> 500 internal', async () => {
    const h = httpHandler({}, () => Promise.reject(undefined));
    const r = await h(httpEvent('GET', '/odd'), lambdaContext());
    expectValidProxyResult(r);
    expect(r.statusCode).toBe(500);
  });
});

describe('explicit responses', () => {
  test('reply(status, body, {headers, cookies})', async () => {
    const r = await returning(reply(201, { id: 'x' }, { headers: { Location: '/things/x', 'X-Count': 3 }, cookies: ['a=1; Secure; HttpOnly'] }));
    expect(r.statusCode).toBe(201);
    expect(r.headers.location).toBe('/things/x');
    expect(r.headers['x-count']).toBe('3');
    expect(r.cookies).toEqual(['a=1; Secure; HttpOnly']);
  });

  test('a plain {status, body, headers} object is an explicit response', async () => {
    const r = await returning({ status: 202, body: 'queued', headers: { 'content-type': 'text/csv' } });
    expect(r.statusCode).toBe(202);
    expect(r.body).toBe('queued');
    expect(r.headers['content-type']).toBe('text/csv');
  });

  test('data that merely has a status field is data', async () => {
    const r = await returning({ status: 'ok' });
    expect(r.statusCode).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ status: 'ok' });
  });

  test('an invalid status -> 500 internal', async () => {
    expect((await returning(reply(42, 'x'))).statusCode).toBe(500);
    expect((await returning(reply(1.5 as number, 'x'))).statusCode).toBe(500);
  });

  test('header values with line breaks are dropped (no response splitting)', async () => {
    const r = await returning(reply(200, 'x', { headers: { 'x-a': 'ok', 'x-b': 'bad\r\nset-cookie: pwned=1' } }));
    expect(r.headers['x-a']).toBe('ok');
    expect(r.headers['x-b']).toBeUndefined();
  });

  test('reply(204) has an empty body', async () => {
    const r = await returning(reply(204));
    expect(r.statusCode).toBe(204);
    expect(r.body).toBe('');
  });
});

describe('finalizeProxyResult (the last gate)', () => {
  test('turns anything into a valid result', () => {
    const samples: unknown[] = [
      undefined,
      null,
      'x',
      7,
      {},
      { statusCode: '200' },
      { statusCode: 200 },
      { statusCode: 204, headers: { 'Content-Type': 'text/plain', Vary: 'Accept' } },
      { statusCode: 200, body: { a: 1 } },
      { statusCode: 200, body: Buffer.from('hi') },
      { statusCode: 200, body: 1n },
      { statusCode: 999, body: 'x' },
      { statusCode: 200, headers: null, cookies: ['a=1', 5, ''] },
    ];
    for (const s of samples) expectValidProxyResult(finalizeProxyResult(s));
  });

  test('merges vary with origin once', () => {
    const r = finalizeProxyResult({ statusCode: 200, body: '', headers: { Vary: 'Origin', vary: 'Accept-Encoding' } });
    expect(r.headers.vary).toBe('Origin, Accept-Encoding');
  });

  test('toProxyResult throws on a cycle (so the chain answers 500)', () => {
    const a: Record<string, unknown> = {};
    a.a = a;
    expect(() => toProxyResult(a)).toThrow(TypeError);
  });
});
