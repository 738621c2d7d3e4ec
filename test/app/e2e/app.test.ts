/**
 * End to end over HTTP: the example app served by the real local runtime
 * (dynalite, embedded Postgres, the Data API endpoint, Lambda-like sandboxes).
 * One runtime for the file, on port 0 with a temporary data dir.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startLocalRuntime, type LocalRuntime } from '../../../scripts/local/runtime';

const ALLOWED = 'http://app.localtest:5173';
const DENIED = 'http://evil.localtest:6666';

let runtime: LocalRuntime;
let dataDir: string;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sps-test-e2e-app-'));
  await fs.chmod(dataDir, 0o755);
  runtime = await startLocalRuntime({ port: 0, dataDir, corsOrigins: [ALLOWED], prewarm: true, functionLogs: () => undefined });
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
  const res = await call('POST', '/posts', { title, body: 'body', author: 'ada' });
  expect(res.status).toBe(201);
  return res.body as { id: string; version: number };
}

async function newEvent(capacity: number) {
  const res = await call('POST', '/events', { name: 'Conf', capacity, startsAt: '2027-05-01T09:00:00.000Z' });
  expect(res.status).toBe(201);
  return res.body as { id: string; capacity: number; registered: number };
}

describe('the example app through the local runtime', () => {
  test('GET /health checks both databases', async () => {
    const res = await call('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  test('posts: create, get, list, update, delete', async () => {
    const created = await newPost('first');
    expect(created).toMatchObject({ title: 'first', body: 'body', author: 'ada', version: 1 });
    expect((await call('GET', `/posts/${created.id}`)).body).toMatchObject({ id: created.id, title: 'first' });
    const list = await call('GET', '/posts?limit=100');
    expect(list.status).toBe(200);
    expect(list.body.items.map((p: { id: string }) => p.id)).toContain(created.id);
    expect(list.body).toHaveProperty('nextCursor');
    const updated = await call('PUT', `/posts/${created.id}`, { title: 'renamed', version: 1 });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ title: 'renamed', version: 2 });
    expect((await call('DELETE', `/posts/${created.id}`)).status).toBe(204);
    expect((await call('GET', `/posts/${created.id}`)).status).toBe(404);
  });

  test('events (Data API adapter) and registrations (proxy adapter) on the same Postgres', async () => {
    const event = await newEvent(5);
    expect(event).toMatchObject({ name: 'Conf', capacity: 5, registered: 0 });
    const reg = await call('POST', `/events/${event.id}/registrations`, { name: 'Ada', email: 'ada@example.com' });
    expect(reg.status).toBe(201);
    expect((await call('GET', `/events/${event.id}`)).body).toMatchObject({ id: event.id, registered: 1 });
    const list = await call('GET', `/events/${event.id}/registrations`);
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);
    const regId = list.body.items[0].id;
    expect((await call('DELETE', `/events/${event.id}/registrations/${regId}`)).status).toBe(204);
    expect((await call('DELETE', `/events/${event.id}/registrations/${regId}`)).status).toBe(404);
    expect((await call('GET', `/events/${event.id}`)).body.registered).toBe(0);
  });
});

describe('every status of the error contract', () => {
  test('400 invalid_json for malformed JSON', async () => {
    const res = await call('POST', '/posts', '{"title": ');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(errorCode(res)).toBe('invalid_json');
  });

  test('400 validation_failed with details for a schema failure', async () => {
    const res = await call('POST', '/posts', { title: '', author: 'x'.repeat(101) });
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
    const res = await call('POST', '/posts', 'title=x', { 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    expect(errorCode(res)).toBe('unsupported_media_type');
  });

  test('413 payload_too_large for a body over 256 KB', async () => {
    const res = await call('POST', '/posts', { title: 't', body: 'x'.repeat(300 * 1024), author: 'a' });
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
      ['POST', `/events/${missing}/registrations`, { name: 'A', email: 'a@example.com' }],
      ['DELETE', `/events/${missing}/registrations/${missing}`],
    ] as const) {
      const res = await call(method, target, body);
      expect([method, target, res.status, errorCode(res)]).toEqual([method, target, 404, 'not_found']);
    }
  });

  test('409 version_conflict, already_registered (case-insensitive) and event_full', async () => {
    const post = await newPost();
    expect((await call('PUT', `/posts/${post.id}`, { title: 'v2', version: 1 })).status).toBe(200);
    const stale = await call('PUT', `/posts/${post.id}`, { title: 'stale', version: 1 });
    expect(stale.status).toBe(409);
    expect(errorCode(stale)).toBe('version_conflict');

    const event = await newEvent(1);
    expect((await call('POST', `/events/${event.id}/registrations`, { name: 'A', email: 'Dup@Example.com' })).status).toBe(201);
    const again = await call('POST', `/events/${event.id}/registrations`, { name: 'A', email: 'dup@example.COM' });
    expect(again.status).toBe(409);
    expect(errorCode(again)).toBe('already_registered');
    const full = await call('POST', `/events/${event.id}/registrations`, { name: 'B', email: 'b@example.com' });
    expect(full.status).toBe(409);
    expect(errorCode(full)).toBe('event_full');
  });

  test('500 internal with a generic message when the database breaks under a handler', async () => {
    const event = await newEvent(3);
    await sql('ALTER TABLE registrations RENAME TO registrations_broken');
    try {
      const res = await call('GET', `/events/${event.id}/registrations`, undefined, { origin: ALLOWED });
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
  test('50 concurrent registrations for a 10-seat event give exactly 10 × 201', async () => {
    const event = await newEvent(10);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => call('POST', `/events/${event.id}/registrations`, { name: `P${i}`, email: `p${i}@example.com` })),
    );
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
      Array.from({ length: 20 }, (_, i) => call('PUT', `/posts/${post.id}`, { title: `writer ${i}`, version: 1 })),
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
    const down = await call('GET', `/events/${event.id}/registrations`);
    expect(down.status).toBeGreaterThanOrEqual(500);
    expect((await call('GET', '/posts?limit=1')).status).toBe(200);
    await runtime.faults.startPostgres();
    expect(runtime.postgres.port).toBe(port);
    let recovered = 0;
    for (let i = 0; i < 20 && recovered !== 200; i++) {
      recovered = (await call('GET', `/events/${event.id}/registrations`)).status;
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
