/**
 * End to end over HTTP: the example app served by the real local runtime
 * (dynalite, embedded Postgres, the Data API endpoint, Lambda-like sandboxes,
 * the user pool emulator and the gateway's JWT authorizer). One runtime for
 * the file, on port 0 with a temporary data dir. Users sign in to its user
 * pool for real ID tokens (what `npm run dev:token` prints).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { signIn } from '../../../scripts/local/cognito/sign-in';
import { startLocalRuntime, type LocalRuntime } from '../../../scripts/local/runtime';

const ALLOWED = 'http://app.localtest:5173';
const DENIED = 'http://evil.localtest:6666';

let runtime: LocalRuntime;
let dataDir: string;
/** `authorization` headers of signed-in users: an author, another author, an organizer, an attendee. */
let ada: Record<string, string>;
let bob: Record<string, string>;
let olga: Record<string, string>;
let pat: Record<string, string>;

/** The `authorization` header of a user of the runtime's pool (signed in, created if needed). */
async function signedIn(email: string, groups: string[] = []): Promise<Record<string, string>> {
  return { authorization: `Bearer ${(await signIn(runtime.userPool!, dataDir, { email, groups })).idToken}` };
}

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sps-test-e2e-app-'));
  await fs.chmod(dataDir, 0o755);
  runtime = await startLocalRuntime({ port: 0, dataDir, corsOrigins: [ALLOWED], prewarm: true, functionLogs: () => undefined });
  [ada, bob, olga, pat] = await Promise.all([signedIn('ada@example.com'), signedIn('bob@example.com'), signedIn('olga@example.com', ['organizers']), signedIn('pat@example.com')]);
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

interface Res {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

async function call(method: string, target: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' || body instanceof Uint8Array ? (body as string) : JSON.stringify(body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
  }
  const res = await fetch(`${runtime.url}${target}`, init);
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

const errorCode = (r: Res) => r.body?.error?.code;

async function sql(text: string): Promise<pg.QueryResult> {
  const c = new pg.Client({
    host: runtime.postgres.host,
    port: runtime.postgres.port,
    user: runtime.postgres.user,
    password: runtime.postgres.password,
    database: runtime.postgres.database,
  });
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
}

async function newPost(title = 'hello') {
  const res = await call('POST', '/posts', { title, body: 'body', author: 'ada' }, ada);
  expect(res.status).toBe(201);
  return res.body as { id: string; version: number };
}

async function newEvent(capacity: number) {
  const res = await call('POST', '/events', { name: 'Conf', capacity, startsAt: '2027-05-01T09:00:00.000Z' }, olga);
  expect(res.status).toBe(201);
  return res.body as { id: string; capacity: number; registered: number };
}

/** API Gateway's JWT authorizer refusing a request: 401, its body, a Bearer challenge, no content type. */
function expectAuthorizerRefusal(res: Res): void {
  expect([res.status, res.text, res.headers.get('content-type')]).toEqual([401, '{"message":"Unauthorized"}', null]);
  expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
}

describe('the example app through the local runtime', () => {
  test('GET /health checks both databases', async () => {
    const res = await call('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  test('posts: create, get, list, update, delete by their author; reads are public; nobody else writes them', async () => {
    expectAuthorizerRefusal(await call('POST', '/posts', { title: 'anonymous', body: 'b', author: 'x' }));
    const created = await newPost('first');
    expect(created).toMatchObject({ title: 'first', body: 'body', author: 'ada', version: 1 });
    expect((await call('GET', `/posts/${created.id}`)).body).toMatchObject({ id: created.id, title: 'first' });
    const list = await call('GET', '/posts?limit=100');
    expect(list.status).toBe(200);
    expect(list.body.items.map((p: { id: string }) => p.id)).toContain(created.id);
    expect(list.body).toHaveProperty('nextCursor');
    for (const res of [await call('PUT', `/posts/${created.id}`, { title: 'taken', version: 1 }, bob), await call('DELETE', `/posts/${created.id}`, undefined, bob)]) {
      expect([res.status, errorCode(res)]).toEqual([403, 'forbidden']);
    }
    expectAuthorizerRefusal(await call('DELETE', `/posts/${created.id}`));
    const updated = await call('PUT', `/posts/${created.id}`, { title: 'renamed', version: 1 }, ada);
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ title: 'renamed', version: 2 });
    expect((await call('DELETE', `/posts/${created.id}`, undefined, ada)).status).toBe(204);
    expect((await call('GET', `/posts/${created.id}`)).status).toBe(404);
  });

  test('events (Data API adapter) and registrations (proxy adapter) on the same Postgres, signed in', async () => {
    const notOrganizer = await call('POST', '/events', { name: 'Conf', capacity: 5, startsAt: '2027-05-01T09:00:00Z' }, pat);
    expect([notOrganizer.status, errorCode(notOrganizer)]).toEqual([403, 'forbidden']);
    const event = await newEvent(5);
    expect(event).toMatchObject({ name: 'Conf', capacity: 5, registered: 0 });
    // The email is the token's; a body naming one is refused.
    const withEmail = await call('POST', `/events/${event.id}/registrations`, { name: 'Pat', email: 'someone@example.com' }, pat);
    expect([withEmail.status, errorCode(withEmail)]).toEqual([400, 'validation_failed']);
    const reg = await call('POST', `/events/${event.id}/registrations`, { name: 'Pat' }, pat);
    expect(reg.status).toBe(201);
    expect(reg.body).toMatchObject({ eventId: event.id, name: 'Pat', email: 'pat@example.com' });
    expect((await call('GET', `/events/${event.id}`)).body).toMatchObject({ id: event.id, registered: 1 });
    const mine = await call('GET', '/me/registrations', undefined, pat);
    expect(mine.body.items).toEqual([expect.objectContaining({ id: reg.body.id, eventId: event.id, eventName: 'Conf', email: 'pat@example.com' })]);
    expect((await call('GET', `/events/${event.id}/registrations`, undefined, pat)).status).toBe(403);
    const list = await call('GET', `/events/${event.id}/registrations`, undefined, olga);
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);
    const regId = list.body.items[0].id;
    expect((await call('DELETE', `/events/${event.id}/registrations/${regId}`, undefined, bob)).status).toBe(403);
    expect((await call('DELETE', `/events/${event.id}/registrations/${regId}`, undefined, pat)).status).toBe(204);
    expect((await call('DELETE', `/events/${event.id}/registrations/${regId}`, undefined, pat)).status).toBe(404);
    expect((await call('GET', `/events/${event.id}`)).body.registered).toBe(0);
    expect((await call('GET', '/me/registrations', undefined, pat)).body.items).toEqual([]);
  });
});

describe('every status of the error contract', () => {
  test('400 invalid_json for malformed JSON', async () => {
    const res = await call('POST', '/posts', '{"title": ', ada);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(errorCode(res)).toBe('invalid_json');
  });

  test('400 validation_failed with details for a schema failure', async () => {
    const res = await call('POST', '/posts', { title: '', author: 'x'.repeat(101) }, ada);
    expect(res.status).toBe(400);
    expect(errorCode(res)).toBe('validation_failed');
    expect(res.body.error.details.length).toBeGreaterThan(0);
    for (const d of res.body.error.details) expect(d).toEqual({ path: expect.any(String), message: expect.any(String) });
  });

  test('400 for a garbage cursor', async () => {
    const res = await call('GET', '/posts?cursor=garbage!!');
    expect(res.status).toBe(400);
    expect(res.body.error).toBeDefined();
  });

  test('415 unsupported_media_type for a non-JSON body on a JSON route', async () => {
    const res = await call('POST', '/posts', 'title=x', { 'content-type': 'text/plain', ...ada });
    expect(res.status).toBe(415);
    expect(errorCode(res)).toBe('unsupported_media_type');
  });

  test('413 payload_too_large for a body over 256 KB', async () => {
    const res = await call('POST', '/posts', { title: 't', body: 'x'.repeat(300 * 1024), author: 'a' }, ada);
    expect(res.status).toBe(413);
    expect(errorCode(res)).toBe('payload_too_large');
  });

  test('404 not_found for missing items', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const [method, target, body] of [
      ['GET', `/posts/${missing}`],
      ['PUT', `/posts/${missing}`, { title: 'x', version: 1 }],
      ['DELETE', `/posts/${missing}`],
      ['GET', `/events/${missing}`],
      ['POST', `/events/${missing}/registrations`, { name: 'A' }],
      ['GET', `/events/${missing}/registrations`],
      ['DELETE', `/events/${missing}/registrations/${missing}`],
    ] as const) {
      const res = await call(method, target, body, olga);
      expect([method, target, res.status, errorCode(res)]).toEqual([method, target, 404, 'not_found']);
    }
  });

  test('409 version_conflict, already_registered (the same user, or another with the email in another case) and event_full', async () => {
    const post = await newPost();
    expect((await call('PUT', `/posts/${post.id}`, { title: 'v2', version: 1 }, ada)).status).toBe(200);
    const stale = await call('PUT', `/posts/${post.id}`, { title: 'stale', version: 1 }, ada);
    expect(stale.status).toBe(409);
    expect(errorCode(stale)).toBe('version_conflict');

    const event = await newEvent(1);
    // Two users of the local pool (it keeps usernames' case; their subs differ) whose emails differ in case only.
    const [dup, dupOtherCase] = await Promise.all([signedIn('Dup@Example.com'), signedIn('dup@example.COM')]);
    expect((await call('POST', `/events/${event.id}/registrations`, { name: 'A' }, dup)).status).toBe(201);
    for (const user of [dup, dupOtherCase]) {
      const again = await call('POST', `/events/${event.id}/registrations`, { name: 'A' }, user);
      expect([again.status, errorCode(again)]).toEqual([409, 'already_registered']);
    }
    const full = await call('POST', `/events/${event.id}/registrations`, { name: 'B' }, bob);
    expect(full.status).toBe(409);
    expect(errorCode(full)).toBe('event_full');
  });

  test('500 internal with a generic message when the database breaks under a handler', async () => {
    const event = await newEvent(3);
    await sql('ALTER TABLE registrations RENAME TO registrations_broken');
    try {
      const res = await call('GET', `/events/${event.id}/registrations`, undefined, { origin: ALLOWED, ...olga });
      expect(res.status).toBe(500);
      expect(errorCode(res)).toBe('internal');
      expect(res.text).not.toMatch(/registrations|relation|SQLState|select|stack|at \//i);
      expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    } finally {
      await sql('ALTER TABLE registrations_broken RENAME TO registrations');
    }
  });

  test('API Gateway\'s own 404 for an unmatched route', async () => {
    const res = await call('GET', '/no/such/route');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ message: 'Not Found' });
  });
});

describe('concurrency', () => {
  test('50 concurrent registrations by 50 users for a 10-seat event give exactly 10 × 201', async () => {
    const event = await newEvent(10);
    const users = await Promise.all(Array.from({ length: 50 }, (_, i) => signedIn(`p${i}@example.com`)));
    const results = await Promise.all(users.map((user, i) => call('POST', `/events/${event.id}/registrations`, { name: `P${i}` }, user)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s === 409)).toHaveLength(40);
    expect(results.filter((r) => r.status === 409).every((r) => errorCode(r) === 'event_full')).toBe(true);
    expect((await call('GET', `/events/${event.id}`)).body.registered).toBe(10);
    const rows = await sql(`SELECT count(*)::int AS n FROM registrations WHERE event_id = '${event.id}'`);
    expect(rows.rows[0].n).toBe(10);
  });

  test('concurrent PUTs with the same version give exactly one winner', async () => {
    const post = await newPost('race');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => call('PUT', `/posts/${post.id}`, { title: `writer ${i}`, version: 1 }, ada)),
    );
    const winners = results.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.status === 409 && errorCode(r) === 'version_conflict')).toHaveLength(19);
    const stored = await call('GET', `/posts/${post.id}`);
    expect(stored.body).toMatchObject({ version: 2, title: winners[0]!.body.title });
  });
});

describe('CORS', () => {
  test('preflight from an allowed origin: 204 with allow-origin, methods, headers and max-age', async () => {
    const res = await call('OPTIONS', '/posts', undefined, {
      origin: ALLOWED,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,authorization',
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(res.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(res.headers.get('access-control-allow-headers')).toMatch(/content-type/i);
    expect(Number(res.headers.get('access-control-max-age'))).toBeGreaterThan(0);
  });

  test('preflight on a parameterised path goes to that path\'s function', async () => {
    const res = await call('OPTIONS', '/events/abc/registrations/def', undefined, { origin: ALLOWED, 'access-control-request-method': 'DELETE' });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
  });

  test('a disallowed origin gets no access-control-allow-origin, on success and on errors', async () => {
    const pre = await call('OPTIONS', '/posts', undefined, { origin: DENIED, 'access-control-request-method': 'POST' });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    const get = await call('GET', '/posts', undefined, { origin: DENIED });
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
    const err = await call('GET', '/posts/00000000-0000-4000-8000-000000000000', undefined, { origin: ALLOWED });
    expect(err.status).toBe(404);
    expect(err.headers.get('access-control-allow-origin')).toBe(ALLOWED);
  });
});

describe('fault injection hooks (for the reliability suite)', () => {
  test('Postgres stopped and started again on the same port: SQL routes fail, then recover without a restart', async () => {
    const event = await newEvent(2);
    const port = runtime.postgres.port;
    await runtime.faults.stopPostgres();
    const down = await call('GET', `/events/${event.id}/registrations`, undefined, olga);
    expect(down.status).toBeGreaterThanOrEqual(500);
    expect((await call('GET', '/posts?limit=1')).status).toBe(200);
    await runtime.faults.startPostgres();
    expect(runtime.postgres.port).toBe(port);
    let recovered = 0;
    for (let i = 0; i < 20 && recovered !== 200; i++) {
      recovered = (await call('GET', `/events/${event.id}/registrations`, undefined, olga)).status;
      if (recovered !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(recovered).toBe(200);
    expect((await call('GET', `/events/${event.id}`)).status).toBe(200);
  });

  test('DynamoDB stopped and started again: posts fail, then recover with their data', async () => {
    const post = await newPost('survives');
    await runtime.faults.stopDynamo();
    expect((await call('GET', `/posts/${post.id}`)).status).toBeGreaterThanOrEqual(500);
    await runtime.faults.startDynamo();
    const back = await call('GET', `/posts/${post.id}`);
    expect(back.status).toBe(200);
    expect(back.body.title).toBe('survives');
  });
});
