/**
 * Board posts handlers on a real DynamoDB API (dynalite, in-process), tables
 * created from functions/tables.ts.
 */
import type { HttpHandler } from '../../functions/lib/http';
import { errorOf, expectValidProxyResult } from './assertions';
import { captureLogs, httpEvent, lambdaContext } from './events';
import { startTestDynamo, type TestDynamo } from './services';

let dynamo: TestDynamo;
const h: Record<string, HttpHandler> = {};
const logs = captureLogs();

beforeAll(async () => {
  dynamo = await startTestDynamo('posts-test');
  process.env.DYNAMODB_ENDPOINT = dynamo.endpoint;
  process.env.TABLE_POSTS = dynamo.tableNames.posts;
  for (const op of ['create', 'get', 'list', 'update', 'delete']) {
    h[op] = ((await import(`../../functions/posts/${op}.ts`)) as { handler: HttpHandler }).handler;
  }
});

afterAll(async () => {
  logs.restore();
  await dynamo?.stop();
});

type Post = { id: string; title: string; body: string; author: string; createdAt: string; updatedAt: string; version: number };

const call = async (op: string, method: string, path: string, init: Parameters<typeof httpEvent>[2] = {}) => {
  const r = await h[op]!(httpEvent(method, path, init), lambdaContext());
  expectValidProxyResult(r);
  return r;
};
const create = async (json: unknown = { title: 'Hello', body: 'World', author: 'Ann' }) => call('create', 'POST', '/posts', { json });
const byId = (op: string, method: string, id: string, init: Parameters<typeof httpEvent>[2] = {}) =>
  call(op, method, `/posts/${id}`, { ...init, pathParameters: { id } });

test('POST /posts -> 201 {id, title, body, author, createdAt, updatedAt, version: 1}', async () => {
  const r = await create();
  expect(r.statusCode).toBe(201);
  const post = JSON.parse(r.body) as Post;
  expect(post).toEqual({
    id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    title: 'Hello',
    body: 'World',
    author: 'Ann',
    createdAt: expect.stringMatching(/Z$/),
    updatedAt: post.createdAt,
    version: 1,
  });
});

test('POST /posts validates title 1..200, body <= 10000, author 1..100', async () => {
  const r = await create({ title: '', body: 'x'.repeat(10_001), author: 'a'.repeat(101) });
  expect(r.statusCode).toBe(400);
  expect(errorOf(r).details!.map((d) => d.path).sort()).toEqual(['body.author', 'body.body', 'body.title']);
  expect((await create({ title: 't'.repeat(200), body: 'b'.repeat(10_000), author: 'a'.repeat(100) })).statusCode).toBe(201);
});

test('GET /posts/{id} -> 200, or 404 not_found', async () => {
  const post = JSON.parse((await create()).body) as Post;
  const r = await byId('get', 'GET', post.id);
  expect(r.statusCode).toBe(200);
  expect(JSON.parse(r.body)).toEqual(post);
  const missing = await byId('get', 'GET', 'no-such-post');
  expect(missing.statusCode).toBe(404);
  expect(errorOf(missing).code).toBe('not_found');
});

test('GET /posts pages newest first with an opaque cursor until nextCursor is null', async () => {
  for (let i = 0; i < 5; i++) await create({ title: `page-${i}`, body: '', author: 'Pager' });
  const seen: string[] = [];
  let cursor: string | null | undefined;
  let pages = 0;
  do {
    const r = await call('list', 'GET', '/posts', { query: { limit: '3', ...(cursor ? { cursor } : {}) } });
    expect(r.statusCode).toBe(200);
    const page = JSON.parse(r.body) as { items: Post[]; nextCursor: string | null };
    expect(page.items.length).toBeLessThanOrEqual(3);
    seen.push(...page.items.map((p) => p.id));
    cursor = page.nextCursor;
    pages++;
  } while (cursor && pages < 50);
  expect(new Set(seen).size).toBe(seen.length);
  const all = JSON.parse((await call('list', 'GET', '/posts', { query: { limit: '100' } })).body) as { items: Post[]; nextCursor: string | null };
  expect(all.items.map((p) => p.id)).toEqual(seen);
  const created = all.items.map((p) => p.createdAt);
  expect([...created].sort().reverse()).toEqual(created);
});

test('GET /posts rejects a garbage cursor and a bad limit with 400', async () => {
  const forged = Buffer.from(JSON.stringify({ v: 1, k: { id: 'x', gsi1pk: 'other', gsi1sk: 'y' } })).toString('base64url');
  const queries: Record<string, string>[] = [{ cursor: 'garbage!!' }, { cursor: 'Zm9v' }, { cursor: forged }, { limit: '0' }, { limit: '101' }, { limit: 'ten' }];
  for (const query of queries) {
    const r = await call('list', 'GET', '/posts', { query });
    expect(r.statusCode).toBe(400);
    expect(errorOf(r).code).toBe('validation_failed');
  }
});

test('PUT /posts/{id} increments the version; a stale version is 409 version_conflict; a missing post is 404', async () => {
  const post = JSON.parse((await create()).body) as Post;
  const r = await byId('update', 'PUT', post.id, { json: { title: 'Edited', version: 1 } });
  expect(r.statusCode).toBe(200);
  expect(JSON.parse(r.body)).toMatchObject({ id: post.id, title: 'Edited', body: 'World', version: 2 });
  const stale = await byId('update', 'PUT', post.id, { json: { body: 'late', version: 1 } });
  expect(stale.statusCode).toBe(409);
  expect(errorOf(stale).code).toBe('version_conflict');
  const missing = await byId('update', 'PUT', 'no-such-post', { json: { title: 'x', version: 1 } });
  expect(missing.statusCode).toBe(404);
  const empty = await byId('update', 'PUT', post.id, { json: { version: 2 } });
  expect(errorOf(empty).code).toBe('validation_failed');
});

test('GIVEN 10 concurrent PUTs of the same version THEN exactly one wins and no update is lost', async () => {
  const post = JSON.parse((await create()).body) as Post;
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => byId('update', 'PUT', post.id, { json: { body: `writer-${i}`, version: 1 } })));
  const winners = results.filter((r) => r.statusCode === 200);
  expect(winners).toHaveLength(1);
  expect(results.filter((r) => r.statusCode === 409)).toHaveLength(9);
  const final = JSON.parse((await byId('get', 'GET', post.id)).body) as Post;
  expect(final).toMatchObject({ version: 2, body: (JSON.parse(winners[0]!.body) as Post).body });
});

test('DELETE /posts/{id} -> 204, then 404', async () => {
  const post = JSON.parse((await create()).body) as Post;
  const r = await byId('delete', 'DELETE', post.id);
  expect(r.statusCode).toBe(204);
  expect(r.body).toBe('');
  expect((await byId('delete', 'DELETE', post.id)).statusCode).toBe(404);
  expect((await byId('get', 'GET', post.id)).statusCode).toBe(404);
});
