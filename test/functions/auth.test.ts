/**
 * The handler chain's side of sign-in: it reads the claims API Gateway's JWT
 * authorizer verified (payload 2.0 `requestContext.authorizer.jwt.claims`),
 * enforces the route's groups with 403 `forbidden`, and hands the handler a
 * typed `user`; it never parses a token itself.
 */
import { groupsOf, userOf } from '../../functions/lib/http/auth';
import { httpHandler, type HttpHandler } from '../../functions/lib/http';
import { authorizerClaims, httpEvent, lambdaContext, type TestUser } from '../../functions/testing';
import { errorOf, expectValidProxyResult } from './assertions';
import { captureLogs } from './events';

const logs = captureLogs();
afterAll(() => logs.restore());

/** A handler created with the environment the stack gives a route (ROUTE_ACCESS, AUTH_GROUPS). */
function routeWith(env: Record<string, string>, fn: Parameters<typeof httpHandler>[1]): HttpHandler {
  const saved = { ROUTE_ACCESS: process.env.ROUTE_ACCESS, AUTH_GROUPS: process.env.AUTH_GROUPS, AWS_LAMBDA_FUNCTION_NAME: process.env.AWS_LAMBDA_FUNCTION_NAME };
  delete process.env.ROUTE_ACCESS;
  delete process.env.AUTH_GROUPS;
  delete process.env.AWS_LAMBDA_FUNCTION_NAME;
  Object.assign(process.env, env);
  try {
    return httpHandler({}, fn);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const call = (h: HttpHandler, user?: TestUser, method = 'GET') => {
  const event = httpEvent(method, '/x');
  if (user) Object.assign(event.requestContext, { authorizer: { jwt: { claims: authorizerClaims(user), scopes: null } } });
  return h(event, lambdaContext());
};

const whoAmI = ({ user }: { user: { sub: string; email: string | undefined; groups: readonly string[] } }) => ({ sub: user.sub, email: user.email, groups: user.groups });
const ann: TestUser = { sub: 'sub-ann', email: 'ann@example.com', groups: ['organizers', 'speakers'] };

test('GIVEN a signed-in route WHEN the authorizer passed claims THEN the handler gets a typed user', async () => {
  const r = await call(routeWith({ ROUTE_ACCESS: 'signed-in' }, whoAmI), ann);
  expectValidProxyResult(r);
  expect(JSON.parse(r.body)).toEqual({ sub: 'sub-ann', email: 'ann@example.com', groups: ['organizers', 'speakers'] });
});

test('fails with 401 unauthorized on a signed-in route without claims (defence in depth behind the authorizer)', async () => {
  let called = false;
  const r = await call(routeWith({ ROUTE_ACCESS: 'signed-in' }, () => (called = true)));
  expect([r.statusCode, errorOf(r).code]).toEqual([401, 'unauthorized']);
  expect(called).toBe(false);
});

test('fails with 403 forbidden when the caller is in none of the route\'s groups, before the body is read', async () => {
  const h = routeWith({ ROUTE_ACCESS: 'signed-in', AUTH_GROUPS: 'organizers,admins' }, whoAmI);
  const r = await call(h, { sub: 'sub-bob', email: 'bob@example.com', groups: ['attendees'] }, 'GET');
  expect([r.statusCode, errorOf(r)]).toEqual([403, { code: 'forbidden', message: 'Only members of organizers or admins may do this' }]);
  expect((await call(h, { sub: 'sub-bob', groups: [] })).statusCode).toBe(403);
  expect((await call(h, ann)).statusCode).toBe(200);
  expect((await call(h, { sub: 'sub-root', groups: ['admins'] })).statusCode).toBe(200);
});

test('preflight of a signed-in route is answered without a token (browsers send none)', async () => {
  const r = await call(routeWith({ ROUTE_ACCESS: 'signed-in', AUTH_GROUPS: 'organizers' }, whoAmI), undefined, 'OPTIONS');
  expect(r.statusCode).toBe(204);
});

test('reading user on a public route (API Gateway passes no claims there) is a 401, not a crash', async () => {
  const r = await call(routeWith({ ROUTE_ACCESS: 'public' }, whoAmI));
  expect([r.statusCode, errorOf(r).code]).toEqual([401, 'unauthorized']);
});

test('groups as API Gateway renders an array claim ("[a b]"), as a JSON array, or absent', () => {
  expect(groupsOf('[organizers speakers]')).toEqual(['organizers', 'speakers']);
  expect(groupsOf('[organizers]')).toEqual(['organizers']);
  expect(groupsOf(['a', 'b'])).toEqual(['a', 'b']);
  expect(groupsOf(undefined)).toEqual([]);
  expect(groupsOf('')).toEqual([]);
});

test('an email counts only when the token says it is verified; access tokens carry none', () => {
  expect(userOf({ sub: 's', email: 'x@example.com', email_verified: 'false' })?.email).toBeUndefined();
  expect(userOf({ sub: 's', email: 'x@example.com', email_verified: true })?.email).toBe('x@example.com');
  expect(userOf(authorizerClaims({ sub: 's', email: 'x@example.com', tokenUse: 'access' }))).toEqual({ sub: 's', email: undefined, groups: [], tokenUse: 'access' });
  expect(userOf({ email: 'x@example.com' })).toBeUndefined();
});

describe('the access rules fail closed', () => {
  test('groups without ROUTE_ACCESS still require a signed-in member: 401 without claims, 403 outside the group', async () => {
    const h = routeWith({ AUTH_GROUPS: 'organizers' }, whoAmI);
    expect((await call(h)).statusCode).toBe(401);
    expect((await call(h, { sub: 'sub-bob', email: 'bob@example.com', groups: [] })).statusCode).toBe(403);
    expect((await call(h, ann)).statusCode).toBe(200);
  });

  test('a function running as Lambda without ROUTE_ACCESS, or with an unknown value, refuses to load', () => {
    expect(() => routeWith({ AWS_LAMBDA_FUNCTION_NAME: 'sps-dev-x' }, whoAmI)).toThrow(/ROUTE_ACCESS is not set for sps-dev-x: .*refusing to serve a route whose access is unknown/);
    expect(() => routeWith({ ROUTE_ACCESS: 'signedin' }, whoAmI)).toThrow(/ROUTE_ACCESS="signedin": expected "signed-in" or "public"/);
  });
});
