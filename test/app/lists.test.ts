/**
 * Every list route of the example app pages through its items: with items of
 * the largest size the field rules allow, each page stays under the byte
 * budget (far under Lambda's 6 MB response limit), and walking the cursors
 * returns every item exactly once.
 */
import { createPgDatabase, proxyOptionsFromEnv } from '../../functions/lib/data/proxy';
import type { Database } from '../../functions/lib/data/sql';
import { PAGE_BUDGET_BYTES } from '../../functions/lib/http/page';
import { tasks } from '../../functions/registry';
import { startLocalServices, type InvokeInit, type LocalServices } from '../../functions/testing';
import { errorOf, expectValidProxyResult } from '../functions/assertions';
import { captureLogs } from '../functions/events';

const ORGANIZER = { sub: 'sub-olga', email: 'olga@example.com', groups: ['organizers'] };

let local: LocalServices;
let masterDb: Database;
const logs = captureLogs();

beforeAll(async () => {
  local = await startLocalServices({ functions: ['posts-create', 'posts-list', 'events-create', 'registrations-list'] });
  masterDb = createPgDatabase({ ...proxyOptionsFromEnv(local.cloud.environmentOf(tasks.find((t) => t.name === 'migrate')!)), max: 2 });
}, 120_000);

afterAll(async () => {
  logs.restore();
  await masterDb?.close();
  await local?.stop();
}, 60_000);

const call = async (name: string, path: string, init: InvokeInit = {}) => {
  const r = await local.invoke(name, { ...init, path });
  expectValidProxyResult(r);
  return r;
};

/** Follows nextCursor from the first page to the last; every page's body must fit the budget. */
async function walk(name: string, path: string, init: InvokeInit, limit: number) {
  const ids: string[] = [];
  const sizes: number[] = [];
  let cursor: string | undefined;
  do {
    const r = await call(name, path, { ...init, query: { limit: String(limit), ...(cursor ? { cursor } : {}) } });
    expect(r.statusCode).toBe(200);
    sizes.push(Buffer.byteLength(r.body));
    const page = JSON.parse(r.body) as { items: { id: string }[]; nextCursor: string | null };
    ids.push(...page.items.map((i) => i.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return { ids, sizes };
}

test('GET /posts: maximal posts (every character 3 bytes of UTF-8) come in pages under the budget, each exactly once', async () => {
  const created: string[] = [];
  for (let i = 0; i < 45; i++) {
    const r = await call('posts-create', '/posts', { user: { sub: 'sub-writer', email: 'writer@example.com' }, json: { title: '€'.repeat(200), body: `${'€'.repeat(9_990)}${String(i).padStart(10, '0')}`, author: '€'.repeat(100) } });
    expect(r.statusCode).toBe(201);
    created.push((JSON.parse(r.body) as { id: string }).id);
  }
  const { ids, sizes } = await walk('posts-list', '/posts', {}, 100);
  // ~31 KB a post: 45 of them (~1.4 MB) would pass the budget in one page.
  expect(sizes.length).toBeGreaterThan(1);
  for (const size of sizes) expect(size).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.filter((id) => created.includes(id)).sort()).toEqual([...created].sort());
}, 120_000);

test('GET /events/{id}/registrations is paginated: registrations made in the same millisecond are each returned exactly once', async () => {
  const event = JSON.parse((await call('events-create', '/events', { user: ORGANIZER, json: { name: 'Big conf', capacity: 100_000, startsAt: '2027-05-01T09:00:00Z' } })).body) as { id: string };
  // 1,050 registrations, in groups sharing one created_at (what a busy second looks like), names and emails at their maximum length.
  await masterDb.query(
    `INSERT INTO registrations (event_id, name, email, created_at)
     SELECT :eventId::uuid, repeat('€', 200), lpad(i::text, 308, 'x') || '@example.com', timestamptz '2027-01-01T00:00:00Z' + (i / 7) * interval '1 millisecond'
     FROM generate_series(1, 1050) AS i`,
    { eventId: event.id },
  );
  const path = `/events/${event.id}/registrations`;
  const init = { pathParameters: { id: event.id }, user: ORGANIZER };
  const { ids, sizes } = await walk('registrations-list', path, init, 500);
  expect(ids.length).toBe(1050);
  expect(new Set(ids).size).toBe(1050);
  for (const size of sizes) expect(size).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
  const defaultPage = JSON.parse((await call('registrations-list', path, init)).body) as { items: unknown[]; nextCursor: string | null };
  expect([defaultPage.items.length, typeof defaultPage.nextCursor]).toEqual([100, 'string']);
  for (const [query, message] of [
    [{ limit: '501' }, 'Must be a whole number from 1 to 500, given once'],
    [{ limit: '2,3' }, 'Must be a whole number from 1 to 500, given once'],
    [{ cursor: 'not-ours' }, 'Invalid cursor'],
  ] as const) {
    const r = await call('registrations-list', path, { ...init, query });
    expect([r.statusCode, errorOf(r).details![0]!.message]).toEqual([400, message]);
  }
}, 120_000);
