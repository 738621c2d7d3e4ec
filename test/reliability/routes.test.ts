/**
 * Every route of the app's registry (functions/registry.ts), over real HTTP
 * against the local runtime on real dynalite and Postgres, with inputs derived
 * from each route's method and path: a new route is covered without being
 * listed here.
 *
 *   - sign-in: a route with `auth` is called with a real ID token of a user in
 *     its groups (from the runtime's user pool); without a token, with a
 *     garbage or a tampered one it gets API Gateway's 401 and its function is
 *     never called (the runtime's access log and the functions' logs say so);
 *     a signed-in user outside its groups gets 403 `forbidden`;
 *   - CORS: a preflight from an allowed origin is answered for the route's
 *     method, answers to it carry the origin; a disallowed origin gets none;
 *   - the error contract: malformed JSON, a body that is not JSON and a body
 *     over 256 KB get 400 / 415 / 413 `{"error":{"code","message"}}`;
 *   - hostile path parameters, queries, bodies and headers: a success or a 4xx
 *     of the contract, never a 5xx and never a hang; unless a write was
 *     acknowledged, no item or row count moves;
 *   - SQL injection text anywhere leaves the schema and the migration ledger untouched;
 *   - a URL over the gateway's limit is refused with a 4xx.
 */
import fc from 'fast-check';
import { routes as registryRoutes } from '../../functions/registry';
import type { RouteDefinition } from '../../functions/registry-types';
import { tampered } from './auth';
import {
  assertContract,
  destroyAgent,
  fillPath,
  isAuthorizerRefusal,
  isContractError,
  parseJson,
  request,
  schemaFingerprint,
  startHarness,
  type Credential,
  type Harness,
  type Reply,
} from './harness';
import { enc, hasBody, preview, requestsFor, RUNS, sendBody, SQL_INJECTIONS, type Body } from './inputs';

const ALLOWED = 'http://app.localtest:5173';
const DENIED = 'http://evil.localtest:6666';
/** A path parameter most id schemas accept, so the request reaches the part under test. */
const SOME_ID = '00000000-0000-4000-8000-000000000000';

const routes: readonly RouteDefinition[] = registryRoutes;
const cases = routes.map((r) => [`${r.method} ${r.path}`, r] as const);
const bodyCases = cases.filter(([, r]) => hasBody(r.method));
const signedInCases = cases.filter(([, r]) => r.auth);
const groupCases = cases.filter(([, r]) => r.auth?.groups?.length);
const targetOf = (r: RouteDefinition) => fillPath(r.path, () => SOME_ID);

/** What a route's own requests carry: a token of a user in its groups when it has `auth`. */
const credentialOf = (route: RouteDefinition | undefined): Credential => (route?.auth ? 'signed-in' : 'public');

/** test.each over some routes, or one skipped test when the registry has none of them. */
function eachRoute(list: (typeof cases)[number][], name: string, fn: (key: string, route: RouteDefinition) => Promise<void>): void {
  if (list.length) test.each(list)(name, fn);
  else test.skip(name.replace('%s', 'no such route'), () => undefined);
}

let h: Harness;

beforeAll(async () => {
  h = await startHarness('routes', { corsOrigins: [ALLOWED] });
}, 120_000);

afterAll(async () => {
  destroyAgent();
  await h?.close();
});

const send = (method: string, target: string, body?: Body, headers?: Record<string, string>) => sendBody(h.url, method, target, body, headers);
/** A request of the route itself: signed in as a user of its groups when it has `auth`. */
const sendAs = async (route: RouteDefinition, target: string, body?: Body, headers: Record<string, string> = {}) =>
  send(route.method, target, body, { ...(await h.users.headersFor(route)), ...headers });

const json = (text: string): Body => ({ bytes: text, type: 'application/json' });

describe('CORS on every route', () => {
  test.each(cases)('%s: a preflight from an allowed origin gets the method; a disallowed origin gets no allow-origin', async (_key, route) => {
    const preflight = (origin: string) =>
      send('OPTIONS', targetOf(route), undefined, { origin, 'access-control-request-method': route.method, 'access-control-request-headers': 'content-type' });
    const allowed = await preflight(ALLOWED);
    expect(allowed.status).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(String(allowed.headers['access-control-allow-methods']).split(/\s*,\s*/)).toContain(route.method);
    expect(String(allowed.headers['access-control-allow-headers'])).toMatch(/content-type/i);
    expect((await preflight(DENIED)).headers['access-control-allow-origin']).toBeUndefined();
  });

  test.each(cases)('%s: answers carry the allowed origin, success or error, and never a disallowed one', async (_key, route) => {
    const body = hasBody(route.method) ? json('{}') : undefined;
    for (const [origin, expected] of [
      [ALLOWED, ALLOWED],
      [DENIED, undefined],
    ] as const) {
      const r = await sendAs(route, targetOf(route), body, { origin });
      assertContract(r, `${route.method} ${targetOf(route)} from ${origin}`, credentialOf(route));
      expect([origin, r.headers['access-control-allow-origin']]).toEqual([origin, expected]);
    }
    if (body) {
      const malformed = await sendAs(route, targetOf(route), json('{'), { origin: ALLOWED });
      assertContract(malformed, `${route.method} ${targetOf(route)} with malformed JSON`, credentialOf(route));
      expect(malformed.headers['access-control-allow-origin']).toBe(ALLOWED);
    }
  });
});

describe('the error contract on every route with a body', () => {
  const expectError = (r: Reply, status: number, code: string) => {
    expect([r.status, parseJson(r.text)?.error?.code]).toEqual([status, code]);
    expect(isContractError(r)).toBe(true);
  };

  test.each(bodyCases)('%s: malformed JSON 400, a body that is not JSON 415, a body over 256 KB 413', async (_key, route) => {
    const target = targetOf(route);
    const malformed = await sendAs(route, target, json('{"a":'));
    // A handler without a body schema (and without `json: true`) reads no body: nothing to refuse.
    if (malformed.status < 300) return;
    expectError(malformed, 400, 'invalid_json');
    expectError(await sendAs(route, target, { bytes: 'a=1', type: 'text/plain' }), 415, 'unsupported_media_type');
    expectError(await sendAs(route, target, json(JSON.stringify({ a: 'x'.repeat(300 * 1024) }))), 413, 'payload_too_large');
  });
});

describe('hostile input never gets a 5xx or a hang, and changes nothing unless a write was acknowledged', () => {
  test.each(cases)('%s', async (_key, route) => {
    const before = await h.counts();
    let acknowledged = 0;
    await fc.assert(
      fc.asyncProperty(requestsFor(route), async ({ target, body }) => {
        const r = await sendAs(route, target, body);
        assertContract(r, `${route.method} ${target.slice(0, 200)} ${body ? `${String(body.type)} ${preview(body.bytes)}` : ''}`, credentialOf(route));
        if (route.method !== 'GET' && r.status < 300) acknowledged++;
      }),
      { numRuns: RUNS },
    );
    if (acknowledged === 0) expect(await h.counts()).toEqual(before);
  });
});

test('hostile headers (origins, preflights, duplicate and junk headers) on every route: never a 5xx', async () => {
  const before = await h.counts();
  let acknowledged = 0;
  const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 200 });
  const headerName = fc.oneof(
    fc.constantFrom(
      'origin',
      'access-control-request-method',
      'access-control-request-headers',
      'content-type',
      'content-encoding',
      'accept',
      'accept-encoding',
      'cookie',
      'x-forwarded-for',
      'x-amzn-trace-id',
      'authorization',
      'host',
      'transfer-encoding-x',
      'if-match',
      'x-http-method-override',
    ),
    fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
  );
  const headerValue = fc.oneof(printable, fc.constantFrom(ALLOWED, 'null', DENIED, 'GET, POST', 'gzip', 'application/json, text/plain', '*', ''));
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...routes),
      fc.constantFrom('route', 'OPTIONS', 'GET', 'POST'),
      fc.array(fc.tuple(headerName, headerValue), { maxLength: 6 }),
      async (route, which, pairs) => {
        const method = which === 'route' ? route.method : which;
        const target = targetOf(route);
        // Raw pairs: a header may repeat (Node sends each; the gateway joins them).
        const headers: Record<string, string | string[]> = {};
        for (const [k, v] of pairs) headers[k] = k in headers && k !== 'host' ? ([] as string[]).concat(headers[k]!, v) : v;
        const body = hasBody(method) ? '{}' : undefined;
        if (body && !('content-type' in headers)) headers['content-type'] = 'application/json';
        delete headers['content-length'];
        // The route this method reaches (OPTIONS: the preflight, never signed in). Its
        // token unless the fuzzed headers bring an authorization of their own (junk: refused).
        const reached = method === 'OPTIONS' ? undefined : routes.find((r) => r.method === method && r.path === route.path);
        let credential = credentialOf(reached);
        if (reached?.auth) {
          if ('authorization' in headers) credential = 'refused';
          else Object.assign(headers, await h.users.headersFor(reached));
        }
        const r = await request(h.url, { method, target, headers, body });
        if (method !== 'GET' && method !== 'OPTIONS' && r.status < 300) acknowledged++;
        // Unmatched (e.g. POST on a GET-only path) is the gateway's own 404; anything else follows the contract.
        if (r.status === 404 && r.text === '{"message":"Not Found"}') return;
        assertContract(r, `${method} ${target} ${JSON.stringify(headers).slice(0, 200)}`, credential);
      },
    ),
    { numRuns: RUNS * 2 },
  );
  if (acknowledged === 0) expect(await h.counts()).toEqual(before);
});

test('SQL injection in the path, query and body of every route leaves the schema and the migration ledger untouched', async () => {
  const schema = await schemaFingerprint(h);
  const ledger = () => h.sql<{ name: string; checksum: string }>('SELECT name, checksum FROM schema_migrations ORDER BY name');
  const migrations = await ledger();
  for (const injection of SQL_INJECTIONS) {
    for (const route of routes) {
      const target = `${fillPath(route.path, () => enc(injection))}?q=${enc(injection)}&limit=${enc(injection)}&cursor=${enc(injection)}`;
      const body = hasBody(route.method) ? json(JSON.stringify({ value: injection, [injection]: injection })) : undefined;
      assertContract(await sendAs(route, target, body), `${route.method} ${route.path} with ${injection}`, credentialOf(route));
    }
  }
  expect(await schemaFingerprint(h)).toBe(schema);
  expect(await ledger()).toEqual(migrations);
});

test('a URL over the gateway limit is refused with a 4xx, and the runtime keeps serving', async () => {
  const route = routes.find((r) => r.method === 'GET') ?? routes[0]!;
  for (const target of [`${targetOf(route)}/${'a'.repeat(20_000)}`, `${targetOf(route)}?q=${'A'.repeat(20_000)}`]) {
    const r = await request(h.url, { method: route.method, target });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
  }
  const after = await sendAs(route, targetOf(route), hasBody(route.method) ? json('{}') : undefined);
  expect(after.status).toBeLessThan(500);
});

describe('sign-in on every route with auth', () => {
  eachRoute(signedInCases, "%s: no token, a garbage token and a tampered token get API Gateway's 401 and the function is never called; a token of its groups gets through", async (_key, route) => {
    const target = targetOf(route);
    const body = hasBody(route.method) ? json('{}') : undefined;
    const token = await h.users.token(route.auth?.groups);
    const before = await h.counts();
    const attempts: [string, string | undefined][] = [
      ['no token', undefined],
      ['garbage', 'Bearer not-a-token'],
      ['tampered', `Bearer ${tampered(token)}`],
    ];
    const refused: [string, Reply][] = [];
    for (const [name, authorization] of attempts) {
      const r = await send(route.method, target, body, authorization === undefined ? {} : { authorization });
      expect([name, r.status, isAuthorizerRefusal(r)]).toEqual([name, 401, true]);
      expect(r.headers['www-authenticate']).toMatch(authorization === undefined ? /^Bearer$/ : /^Bearer scope="" error="invalid_token" error_description=".+"$/);
      refused.push([name, r]);
    }
    // The same request with the token reaches the function, past the authorizer and the group check;
    // once its log line is in, a function called for a refused request would have logged too.
    const ok = await send(route.method, target, body, { authorization: `Bearer ${token}` });
    expect([ok.status === 401, ok.status === 403, ok.status < 500]).toEqual([false, false, true]);
    await h.invocations.functionLog(ok);
    expect(h.invocations.of(ok).access).toMatchObject({ functionName: h.functionName(route), integrationStatus: 'ok' });
    for (const [name, r] of refused) {
      const seen = h.invocations.of(r);
      expect([name, seen.access?.status, seen.access?.functionName, seen.access?.integrationStatus, seen.functionLogged]).toEqual([name, 401, undefined, undefined, false]);
    }
    expect(await h.counts()).toEqual(before);
  });

  eachRoute(groupCases, '%s: a signed-in user outside its groups gets 403 forbidden in the error contract, from the function, and nothing changes', async (_key, route) => {
    const before = await h.counts();
    const outsider = await h.users.token([]);
    const r = await send(route.method, targetOf(route), hasBody(route.method) ? json('{}') : undefined, { authorization: `Bearer ${outsider}` });
    expect([r.status, parseJson(r.text)?.error?.code]).toEqual([403, 'forbidden']);
    expect(isContractError(r)).toBe(true);
    // The authorizer let the token through; the handler chain refused the caller.
    expect(h.invocations.of(r).access).toMatchObject({ status: 403, functionName: h.functionName(route), integrationStatus: 'ok' });
    expect(await h.counts()).toEqual(before);
  });
});
