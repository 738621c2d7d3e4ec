/**
 * The local gateway's JWT authorizer, over real HTTP on loopback, with tokens
 * minted by the local user pool (cognito-local) and forged ones: every token
 * API Gateway's JWT authorizer refuses gets its 401 (or 403 for a missing
 * scope) and the function is never called; a valid token reaches the function
 * with its claims rendered as API Gateway renders them.
 */
import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, sign as rsaSign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateUserPoolClientCommand, CreateUserPoolCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { RouteDefinition } from '../../functions/registry-types';
import { createJwtAuthorizer, renderClaims } from '../../scripts/local/authorizer';
import { startUserPool, userPoolClient, type LocalUserPool } from '../../scripts/local/cognito';
import { signIn } from '../../scripts/local/cognito/sign-in';
import { FunctionHost, type LocalFunction } from '../../scripts/local/functions';
import { createGatewayServer } from '../../scripts/local/gateway';
import { configFor } from '../fixtures/environments';
import { tempDir } from '../support/temp';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const echo: LocalFunction = { name: 'echo', functionName: 'sps-dev-echo', handlerFile: path.join(fixtures, 'echo.ts'), memoryMb: 256, timeoutSeconds: 3, environment: {} };
const ADMIN_SCOPE = 'aws.cognito.signin.user.admin';

const poolRoutes: RouteDefinition[] = [{ name: 'private', method: 'GET', path: '/private', handler: 'echo.ts', auth: { groups: ['organizers'] } }];

let pool: LocalUserPool;
let host: FunctionHost;
let server: http.Server;
let port: number;
let calls = 0;
/** Tokens of ann@example.com (in organizers), minted by the pool. */
let ann: { idToken: string; accessToken: string; sub: string };
/** An ID token of another pool of the same emulator (same signing key, its own issuer and client). */
let otherPoolToken: string;
/** The emulator's signing key (shipped in the cognito-local package), to forge tokens whose only fault is a claim. */
let poolKey: KeyObject;

beforeAll(async () => {
  const dataDir = tempDir('authorizer');
  pool = await startUserPool({ config: configFor('dev'), dataDir, routes: poolRoutes });
  ann = await signIn(pool, dataDir, { email: 'ann@example.com', groups: ['organizers'] });
  otherPoolToken = await tokenOfAnotherPool(dataDir);
  const keyFile = createRequire(import.meta.url).resolve('cognito-local/lib/keys/cognitoLocal.private.json');
  poolKey = createPrivateKey((JSON.parse(readFileSync(keyFile, 'utf8')) as { pem: string }).pem);

  host = new FunctionHost({ region: 'eu-west-1', accountId: '000000000000' });
  server = createGatewayServer({
    routes: [
      { method: 'GET', path: '/private', fn: echo, auth: {} },
      { method: 'GET', path: '/scoped', fn: echo, auth: { scopes: [ADMIN_SCOPE] } },
      { method: 'GET', path: '/orders', fn: echo, auth: { scopes: ['orders/read', 'orders/write'] } },
      { method: 'GET', path: '/public', fn: echo },
    ],
    invoke: (f, e) => {
      calls++;
      return host.invoke(f, e);
    },
    authorizer: createJwtAuthorizer({ issuer: pool.issuer, audience: [pool.clientId], jwksUri: pool.jwksUri }),
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
  await host.warm(echo);
}, 60_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await host?.close();
  await pool?.stop();
});

/** A second pool and app client in the same emulator, and a token of its own user. */
async function tokenOfAnotherPool(dataDir: string): Promise<string> {
  const client = userPoolClient(pool);
  const other = await client.send(new CreateUserPoolCommand({ PoolName: 'another-app', UsernameAttributes: ['email'] }));
  const app = await client.send(new CreateUserPoolClientCommand({ UserPoolId: other.UserPool!.Id!, ClientName: 'another-web' }));
  client.destroy();
  const state = { ...pool, userPoolId: other.UserPool!.Id!, clientId: app.UserPoolClient!.ClientId!, groups: [] };
  return (await signIn(state, dataDir, { email: 'mallory@example.com' })).idToken;
}

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function get(target: string, authorization?: string, method = 'GET'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: target, headers: authorization === undefined ? {} : { authorization } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * A request that must get the authorizer's 401 without calling the function;
 * `reason` is matched against the challenge's error_description (the local
 * wording, except where AWS's is recorded), so each test proves its own refusal.
 */
async function refused(target: string, authorization: string | undefined, reason?: RegExp): Promise<Raw> {
  const before = calls;
  const res = await get(target, authorization);
  expect(res.status).toBe(401);
  expect(res.body).toBe('{"message":"Unauthorized"}');
  expect(calls).toBe(before);
  if (reason) expect(/error_description="([^"]*)"/.exec(res.headers['www-authenticate'] ?? '')?.[1]).toMatch(reason);
  return res;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const partsOf = (token: string) => token.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>) as [Record<string, unknown>, Record<string, unknown>];
const now = () => Math.floor(Date.now() / 1000);

/** A JWT signed RS256 with `key` (the pool's own key unless said otherwise). */
function forge(payload: Record<string, unknown>, header: Record<string, unknown> = { alg: 'RS256', typ: 'JWT', kid: 'CognitoLocal' }, key: KeyObject = poolKey): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${rsaSign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

const annId = () => partsOf(ann.idToken)[1];
const annAccess = () => partsOf(ann.accessToken)[1];

describe('refusals: 401 {"message":"Unauthorized"}, the function never called', () => {
  test('no Authorization header: the challenge is "Bearer" alone, and the headers are exactly API Gateway\'s (no content-type)', async () => {
    const res = await refused('/private', undefined);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(Object.keys(res.headers).sort()).toEqual(['apigw-requestid', 'connection', 'content-length', 'date', 'www-authenticate']);
    expect(res.headers['content-length']).toBe('26');
  });

  test('an empty Authorization header counts as none', async () => {
    expect((await refused('/private', '')).headers['www-authenticate']).toBe('Bearer');
  });

  test('a value that is not a JWT: AWS\'s "invalid number of segments"', async () => {
    const res = await refused('/private', 'Bearer not-a-token');
    expect(res.headers['www-authenticate']).toBe('Bearer scope="" error="invalid_token" error_description="token contains an invalid number of segments"');
  });

  test('an expired token', async () => {
    const res = await refused('/private', `Bearer ${forge({ ...annId(), iat: now() - 7200, exp: now() - 60 })}`, /expired/);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer scope="" error="invalid_token" error_description=".+"$/);
  });

  test('a token not valid yet (nbf in the future)', async () => {
    await refused('/private', `Bearer ${forge({ ...annId(), nbf: now() + 120 })}`, /not valid yet/);
  });

  test('a token issued in the future (iat)', async () => {
    await refused('/private', `Bearer ${forge({ ...annId(), iat: now() + 120 })}`, /issued in the future/);
  });

  test('another issuer: a token of another pool of the same emulator, signed with the same key', async () => {
    expect(partsOf(otherPoolToken)[1].iss).not.toBe(pool.issuer);
    await refused('/private', `Bearer ${otherPoolToken}`, /issuer/);
  });

  test('another issuer: a real Cognito issuer on a token signed by the pool key', async () => {
    await refused('/private', `Bearer ${forge({ ...annId(), iss: `https://cognito-idp.eu-west-1.amazonaws.com/${pool.userPoolId}` })}`, /issuer/);
  });

  test('another audience (an ID token for another app client): AWS\'s "not a valid audience"', async () => {
    const res = await refused('/private', `Bearer ${forge({ ...annId(), aud: 'another-app-client' })}`);
    expect(res.headers['www-authenticate']).toBe('Bearer scope="" error="invalid_token" error_description="the token does not have a valid audience"');
  });

  test('aud is evaluated when present, even beside a right client_id', async () => {
    await refused('/private', `Bearer ${forge({ ...annId(), aud: 'another-app-client', client_id: pool.clientId })}`, /audience/);
  });

  test('an access token of another app client (client_id)', async () => {
    await refused('/private', `Bearer ${forge({ ...annAccess(), client_id: 'another-app-client' })}`, /audience/);
  });

  test('a tampered payload under the pool\'s real signature', async () => {
    const [header, signature] = [ann.idToken.split('.')[0], ann.idToken.split('.')[2]];
    const tampered = `${header}.${b64({ ...annId(), 'cognito:groups': ['organizers', 'admins'] })}.${signature}`;
    await refused('/private', `Bearer ${tampered}`, /signature is invalid/);
  });

  test('a tampered signature', async () => {
    const [header, payload, signature] = ann.idToken.split('.') as [string, string, string];
    const flipped = Buffer.from(signature, 'base64url');
    flipped[10] = flipped[10]! ^ 0xff;
    await refused('/private', `Bearer ${header}.${payload}.${flipped.toString('base64url')}`, /signature is invalid/);
  });

  test('alg none, with and without a signature', async () => {
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(annId())}.`;
    await refused('/private', `Bearer ${unsigned}`, /could not be decoded/);
    await refused('/private', `Bearer ${b64({ alg: 'none', typ: 'JWT', kid: 'CognitoLocal' })}.${b64(annId())}.${ann.idToken.split('.')[2]}`, /signing method is not supported/);
  });

  test('HS256 keyed with the pool\'s public key (algorithm confusion)', async () => {
    const publicPem = createPublicKey(poolKey).export({ type: 'spki', format: 'pem' });
    const input = `${b64({ alg: 'HS256', typ: 'JWT', kid: 'CognitoLocal' })}.${b64(annId())}`;
    await refused('/private', `Bearer ${input}.${createHmac('sha256', publicPem).update(input).digest('base64url')}`, /signing method is not supported/);
  });

  test('signed with another RSA key under the pool key\'s kid, or under an unknown kid', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await refused('/private', `Bearer ${forge(annId(), undefined, privateKey)}`, /signature is invalid/);
    await refused('/private', `Bearer ${forge(annId(), { alg: 'RS256', typ: 'JWT', kid: 'someone-elses-key' }, privateKey)}`, /signing key is not known/);
  });

  test('an EC signature (API Gateway takes RSA only)', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const input = `${b64({ alg: 'ES256', typ: 'JWT', kid: 'CognitoLocal' })}.${b64(annId())}`;
    await refused('/private', `Bearer ${input}.${rsaSign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`, /signing method is not supported/);
  });
});

describe('a valid token reaches the function', () => {
  test('an ID token, with or without "Bearer ": its claims as API Gateway renders them, scopes null', async () => {
    for (const authorization of [`Bearer ${ann.idToken}`, ann.idToken]) {
      const res = await get('/private', authorization);
      expect(res.status).toBe(200);
      const { jwt } = (JSON.parse(res.body) as { event: { requestContext: { authorizer: { jwt: { claims: Record<string, string>; scopes: unknown } } } } }).event.requestContext.authorizer;
      const payload = annId();
      expect(jwt.scopes).toBeNull();
      expect(jwt.claims).toMatchObject({
        sub: ann.sub,
        email: 'ann@example.com',
        email_verified: 'true',
        'cognito:groups': '[organizers]',
        token_use: 'id',
        aud: pool.clientId,
        iss: pool.issuer,
        exp: String(payload.exp),
        iat: String(payload.iat),
      });
      expect(Object.values(jwt.claims).every((v) => typeof v === 'string')).toBe(true);
    }
  });

  test('an access token too (API Gateway does not look at token_use): no email in its claims', async () => {
    const res = await get('/private', `Bearer ${ann.accessToken}`);
    expect(res.status).toBe(200);
    const { claims } = JSON.parse(res.body).event.requestContext.authorizer.jwt;
    expect(claims).toMatchObject({ sub: ann.sub, client_id: pool.clientId, token_use: 'access', scope: ADMIN_SCOPE, 'cognito:groups': '[organizers]' });
    expect(claims.email).toBeUndefined();
  });

  test('a route without auth ignores the Authorization header and gets no authorizer context', async () => {
    const res = await get('/public', 'Bearer garbage');
    expect(res.status).toBe(200);
    const { event } = JSON.parse(res.body);
    expect(event.headers.authorization).toBe('Bearer garbage');
    expect(event.requestContext.authorizer).toBeUndefined();
  });

  test('a CORS preflight on a signed-in path needs no token (the OPTIONS route has no authorizer)', async () => {
    const res = await get('/private', undefined, 'OPTIONS');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).event.routeKey).toBe('OPTIONS /private');
  });
});

describe('scopes', () => {
  test('an access token with one of the route\'s scopes passes, with the token\'s scopes in jwt.scopes', async () => {
    const res = await get('/scoped', `Bearer ${ann.accessToken}`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).event.requestContext.authorizer.jwt.scopes).toEqual([ADMIN_SCOPE]);
  });

  test('at least one of the route\'s scopes is enough, and jwt.scopes lists all of the token\'s', async () => {
    const res = await get('/orders', `Bearer ${forge({ ...annAccess(), scope: 'profile orders/write' })}`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).event.requestContext.authorizer.jwt.scopes).toEqual(['profile', 'orders/write']);
    const scp = await get('/orders', `Bearer ${forge({ ...annAccess(), scope: undefined, scp: ['orders/read'] })}`);
    expect(scp.status).toBe(200);
  });

  test('an ID token (no scope claim) or an access token without the scope: 403 {"message":"Forbidden"}, the function never called', async () => {
    const before = calls;
    for (const [target, token] of [
      ['/scoped', ann.idToken],
      ['/orders', ann.accessToken],
    ] as const) {
      const res = await get(target, `Bearer ${token}`);
      expect(res.status).toBe(403);
      expect(res.body).toBe('{"message":"Forbidden"}');
    }
    expect(calls).toBe(before);
  });

  test('an invalid token on a scoped route is a 401, not a 403', async () => {
    await refused('/scoped', `Bearer ${forge({ ...annAccess(), exp: now() - 60 })}`, /expired/);
  });
});

test('claims rendering: strings as they are, numbers and booleans as text, lists in brackets, nulls left out, objects as JSON', () => {
  expect(renderClaims({ sub: 'u', exp: 1795794652, email_verified: true, 'cognito:groups': ['a', 'b'], ids: [1, 2], nickname: null, address: { country: 'JP' } })).toEqual({
    sub: 'u',
    exp: '1795794652',
    email_verified: 'true',
    'cognito:groups': '[a b]',
    ids: '[1 2]',
    address: '{"country":"JP"}',
  });
});

test('a gateway with a route that declares auth but no authorizer refuses to start', () => {
  expect(() => createGatewayServer({ routes: [{ method: 'GET', path: '/x', fn: echo, auth: {} }], invoke: () => Promise.reject(new Error('unused')) })).toThrow(
    'routes GET /x declare auth, but the gateway has no JWT authorizer',
  );
});
