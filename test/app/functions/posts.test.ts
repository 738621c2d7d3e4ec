/**
 * Board posts handlers in-process on the local stand-ins (dynalite), through
 * functions/testing.ts: the tables of functions/tables.ts, each handler's
 * environment and grants from its registry entry; and the list cursor, fuzzed.
 */
import fc from 'fast-check';
import { decodeCursor, encodeCursor } from '../../../functions/lib/domain/posts';
import { TEXT_RULE_MESSAGE } from '../../../functions/lib/domain/text';
import { startLocalServices, type InvokeInit, type LocalServices, type TestUser } from '../../../functions/testing';
import { errorOf, expectValidProxyResult } from '../../functions/assertions';
import { captureLogs } from '../../functions/events';

let local: LocalServices;
const logs = captureLogs();

beforeAll(async () => {
  local = await startLocalServices({ functions: ['posts-create', 'posts-get', 'posts-list', 'posts-update', 'posts-delete'] });
}, 60_000);

afterAll(async () => {
  logs.restore();
  await local?.stop();
});

type Post = { id: string; title: string; body: string; author: string; authorId: string | null; createdAt: string; updatedAt: string; version: number };

/** The signed-in author of this file's writes; reads are public. */
const ANN: TestUser = { sub: 'sub-ann', email: 'ann@example.com' };
const WRITES = new Set(['create', 'update', 'delete']);

const call = async (op: string, path: string, init: InvokeInit = {}) => {
  const r = await local.invoke(`posts-${op}`, { ...(WRITES.has(op) ? { user: ANN } : {}), ...init, path });
  expectValidProxyResult(r);
  return r;
};
/** A call without a token (API Gateway's authorizer refuses it on a signed-in route). */
const anonymous = (op: string, path: string, init: InvokeInit = {}) => local.invoke(`posts-${op}`, { ...init, path });
const create = async (json: unknown = { title: 'Hello', body: 'World', author: 'Ann' }) => call('create', '/posts', { json });
const byId = (op: string, id: string, init: InvokeInit = {}) => call(op, `/posts/${id}`, { ...init, pathParameters: { id } });

test('POST /posts -> 201 {id, title, body, author, createdAt, updatedAt, version: 1}', async () => {
  const r = await create();
  expect(r.statusCode).toBe(201);
  const post = JSON.parse(r.body) as Post;
  expect(post).toEqual({
    id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    title: 'Hello',
    body: 'World',
    author: 'Ann',
    authorId: 'sub-ann',
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
  const r = await byId('get', post.id);
  expect(r.statusCode).toBe(200);
  expect(JSON.parse(r.body)).toEqual(post);
  const missing = await byId('get', 'no-such-post');
  expect(missing.statusCode).toBe(404);
  expect(errorOf(missing).code).toBe('not_found');
});

test('GET /posts pages newest first with an opaque cursor until nextCursor is null', async () => {
  for (let i = 0; i < 5; i++) await create({ title: `page-${i}`, body: '', author: 'Pager' });
  const seen: string[] = [];
  let cursor: string | null | undefined;
  let pages = 0;
  do {
    const r = await call('list', '/posts', { query: { limit: '3', ...(cursor ? { cursor } : {}) } });
    expect(r.statusCode).toBe(200);
    const page = JSON.parse(r.body) as { items: Post[]; nextCursor: string | null };
    expect(page.items.length).toBeLessThanOrEqual(3);
    seen.push(...page.items.map((p) => p.id));
    cursor = page.nextCursor;
    pages++;
  } while (cursor && pages < 50);
  expect(new Set(seen).size).toBe(seen.length);
  const all = JSON.parse((await call('list', '/posts', { query: { limit: '100' } })).body) as { items: Post[]; nextCursor: string | null };
  expect(all.items.map((p) => p.id)).toEqual(seen);
  const created = all.items.map((p) => p.createdAt);
  expect([...created].sort().reverse()).toEqual(created);
});

test('GET /posts rejects a garbage cursor and a bad limit with 400', async () => {
  const forged = Buffer.from(JSON.stringify({ v: 1, k: { id: 'x', gsi1pk: 'other', gsi1sk: 'y' } })).toString('base64url');
  const queries: Record<string, string>[] = [{ cursor: 'garbage!!' }, { cursor: 'Zm9v' }, { cursor: forged }, { limit: '0' }, { limit: '101' }, { limit: 'ten' }];
  for (const query of queries) {
    const r = await call('list', '/posts', { query });
    expect(r.statusCode).toBe(400);
    expect(errorOf(r).code).toBe('validation_failed');
  }
});

test('GET /posts/{id} finds a post by its id in upper case (UUIDs are case-insensitive)', async () => {
  const post = JSON.parse((await create()).body) as Post;
  const r = await byId('get', post.id.toUpperCase());
  expect(r.statusCode).toBe(200);
  expect((JSON.parse(r.body) as Post).id).toBe(post.id);
});

test('GET /posts: a page that ends at the last post has no nextCursor', async () => {
  const all = JSON.parse((await call('list', '/posts', { query: { limit: '100' } })).body) as { items: Post[]; nextCursor: string | null };
  const n = all.items.length;
  expect(n).toBeGreaterThan(1);
  const exact = JSON.parse((await call('list', '/posts', { query: { limit: String(n) } })).body) as { items: Post[]; nextCursor: string | null };
  expect(exact.items).toHaveLength(n);
  expect(exact.nextCursor).toBeNull();
  const short = JSON.parse((await call('list', '/posts', { query: { limit: String(n - 1) } })).body) as { items: Post[]; nextCursor: string | null };
  expect(short.items.map((p) => p.id)).toEqual(all.items.slice(0, n - 1).map((p) => p.id));
  const rest = JSON.parse((await call('list', '/posts', { query: { limit: '100', cursor: short.nextCursor! } })).body) as { items: Post[]; nextCursor: string | null };
  expect(rest).toEqual({ items: [all.items[n - 1]], nextCursor: null });
});

test('GET /posts ignores unknown query keys; a repeated or non-digit limit is a 400 that says why', async () => {
  expect((await call('list', '/posts', { query: { _: '1700000000000', limit: '2' } })).statusCode).toBe(200);
  // API Gateway joins a repeated key's values with commas.
  for (const limit of ['2,3', '1e1', ' 2', '-1']) {
    const r = await call('list', '/posts', { query: { limit } });
    expect(r.statusCode).toBe(400);
    expect(errorOf(r).details).toEqual([{ path: 'query.limit', message: 'Must be a whole number from 1 to 100, given once' }]);
  }
});

test('POST /posts refuses NUL characters and unpaired surrogates in any text field, and stores nothing', async () => {
  const before = (JSON.parse((await call('list', '/posts', { query: { limit: '100' } })).body) as { items: Post[] }).items.length;
  for (const json of [
    { title: 'a\u0000b', body: '', author: 'Ann' },
    { title: 'ok', body: '\ud800x', author: 'Ann' },
    { title: 'ok', body: '', author: 'x\udc00' },
  ]) {
    const r = await create(json);
    expect(r.statusCode).toBe(400);
    expect(errorOf(r).details![0]!.message).toBe(TEXT_RULE_MESSAGE);
  }
  expect((await create({ title: 'emoji 😀 pair', body: '𝄞', author: 'Ann' })).statusCode).toBe(201);
  const after = (JSON.parse((await call('list', '/posts', { query: { limit: '100' } })).body) as { items: Post[] }).items.length;
  expect(after).toBe(before + 1);
});

test('POST /posts refuses control and bidirectional override characters with the text rule\'s one message; tab always and newline in the body are text', async () => {
  const before = (JSON.parse((await call('list', '/posts', { query: { limit: '100' } })).body) as { items: Post[] }).items.length;
  const refused = ['\u0001', '\u001f', '\r', '\u007f', '\u0085', '\u009f', '\u202a', '\u202e', '\u2066', '\u2069'];
  for (const c of refused) {
    for (const [field, json] of [
      ['body.title', { title: `a${c}b`, body: '', author: 'Ann' }],
      ['body.body', { title: 'ok', body: `a${c}b`, author: 'Ann' }],
      ['body.author', { title: 'ok', body: '', author: `A${c}nn` }],
    ] as const) {
      const r = await create(json);
      expect([c, r.statusCode, errorOf(r).details]).toEqual([c, 400, [{ path: field, message: TEXT_RULE_MESSAGE }]]);
    }
  }
  const newlineInTitle = await create({ title: 'two\nlines', body: '', author: 'Ann' });
  expect(errorOf(newlineInTitle).details).toEqual([{ path: 'body.title', message: TEXT_RULE_MESSAGE }]);
  const ok = await create({ title: 'tab\there', body: 'line one\nline two\tand a tab, \u200f RLM and \u00e9 are text', author: 'Ann' });
  expect(ok.statusCode).toBe(201);
  const after = (JSON.parse((await call('list', '/posts', { query: { limit: '100' } })).body) as { items: Post[] }).items.length;
  expect(after).toBe(before + 1);
});

test('PUT /posts/{id} increments the version; a stale version is 409 version_conflict; a missing post is 404', async () => {
  const post = JSON.parse((await create()).body) as Post;
  const r = await byId('update', post.id, { json: { title: 'Edited', version: 1 } });
  expect(r.statusCode).toBe(200);
  expect(JSON.parse(r.body)).toMatchObject({ id: post.id, title: 'Edited', body: 'World', version: 2 });
  const stale = await byId('update', post.id, { json: { body: 'late', version: 1 } });
  expect(stale.statusCode).toBe(409);
  expect(errorOf(stale).code).toBe('version_conflict');
  const missing = await byId('update', 'no-such-post', { json: { title: 'x', version: 1 } });
  expect(missing.statusCode).toBe(404);
  const empty = await byId('update', post.id, { json: { version: 2 } });
  expect(errorOf(empty).code).toBe('validation_failed');
});

test('GIVEN 10 concurrent PUTs of the same version THEN exactly one wins and no update is lost', async () => {
  const post = JSON.parse((await create()).body) as Post;
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => byId('update', post.id, { json: { body: `writer-${i}`, version: 1 } })));
  const winners = results.filter((r) => r.statusCode === 200);
  expect(winners).toHaveLength(1);
  expect(results.filter((r) => r.statusCode === 409)).toHaveLength(9);
  const final = JSON.parse((await byId('get', post.id)).body) as Post;
  expect(final).toMatchObject({ version: 2, body: (JSON.parse(winners[0]!.body) as Post).body });
});

test('DELETE /posts/{id} -> 204, then 404', async () => {
  const post = JSON.parse((await create()).body) as Post;
  const r = await byId('delete', post.id);
  expect(r.statusCode).toBe(204);
  expect(r.body).toBe('');
  expect((await byId('delete', post.id)).statusCode).toBe(404);
  expect((await byId('get', post.id)).statusCode).toBe(404);
});

test('posts are written by signed-in users: no token is a 401; only the author (the token\'s subject) edits or deletes (403); reading stays public', async () => {
  const json = { title: 'Mine', body: 'b', author: 'Ann' };
  for (const r of [
    await anonymous('create', '/posts', { json }),
    await anonymous('update', '/posts/x', { pathParameters: { id: 'x' }, json: { title: 'x', version: 1 } }),
    await anonymous('delete', '/posts/x', { pathParameters: { id: 'x' } }),
  ]) {
    expect([r.statusCode, JSON.parse(r.body)]).toEqual([401, { message: 'Unauthorized' }]);
  }
  const post = JSON.parse((await create(json)).body) as Post;
  expect(post.authorId).toBe('sub-ann');
  const mallory: TestUser = { sub: 'sub-mallory', email: 'mallory@example.com' };
  const edit = await byId('update', post.id, { json: { title: 'Hijacked', version: 1 }, user: mallory });
  expect([edit.statusCode, errorOf(edit)]).toEqual([403, { code: 'forbidden', message: "Only the post's author may edit it" }]);
  const del = await byId('delete', post.id, { user: mallory });
  expect([del.statusCode, errorOf(del)]).toEqual([403, { code: 'forbidden', message: "Only the post's author may delete it" }]);
  const read = await anonymous('get', `/posts/${post.id}`, { pathParameters: { id: post.id } });
  expect([read.statusCode, (JSON.parse(read.body) as Post).title, (JSON.parse(read.body) as Post).version]).toEqual([200, 'Mine', 1]);
  expect((await byId('update', post.id, { json: { title: 'Edited', version: 1 } })).statusCode).toBe(200);
});

test('cursors: our own round-trip; anything else is a 400, never a crash', () => {
  fc.assert(
    fc.property(fc.uuid(), fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }), (id, date) => {
      const key = { id, gsi1pk: 'posts', gsi1sk: `${date.toISOString()}#${id}` };
      expect(decodeCursor(encodeCursor(key))).toEqual(key);
    }),
  );
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.base64String(), fc.json().map((j) => Buffer.from(j).toString('base64url'))), (cursor) => {
      try {
        decodeCursor(cursor);
      } catch (err) {
        expect((err as { statusCode?: number }).statusCode).toBe(400);
      }
    }),
    { numRuns: 500 },
  );
});
