/**
 * pageOf, the list framework's page builder: at most `limit` items, cut at the
 * byte budget, a cursor after the last item returned, never an empty page
 * while items remain.
 */
import { cursorCodec, pageOf } from '../../functions/lib/http/page';
import { AppError } from '../../functions/lib/http/errors';
import * as z from 'zod/mini';

const items = (n: number, size = 10) => Array.from({ length: n }, (_, i) => ({ id: `i${i}`, text: 'x'.repeat(size) }));
const cursorAfter = (item: { id: string }) => `after-${item.id}`;

test('GIVEN limit + 1 items fetched WHEN they fit THEN limit items and a cursor after the last', () => {
  expect(pageOf(items(4), { limit: 3, cursorAfter })).toEqual({ items: items(3), nextCursor: 'after-i2' });
});

test('GIVEN fewer items than the limit THEN no cursor, unless the source stopped early on its own', () => {
  expect(pageOf(items(2), { limit: 3, cursorAfter })).toEqual({ items: items(2), nextCursor: null });
  expect(pageOf(items(2), { limit: 3, cursorAfter, sourceCursor: 'more' })).toEqual({ items: items(2), nextCursor: 'more' });
  expect(pageOf([], { limit: 3, cursorAfter })).toEqual({ items: [], nextCursor: null });
});

test('GIVEN items whose JSON passes the budget THEN the page stops before it, under the budget, with a cursor', () => {
  const page = pageOf(items(10, 1000), { limit: 10, cursorAfter, budgetBytes: 3500 });
  expect(page.items.map((i) => i.id)).toEqual(['i0', 'i1', 'i2']);
  expect(page.nextCursor).toBe('after-i2');
  expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThanOrEqual(3500);
});

test('GIVEN one item over the budget THEN it is returned alone (the walk always moves on)', () => {
  const page = pageOf(items(3, 5000), { limit: 3, cursorAfter, budgetBytes: 1000 });
  expect(page.items.map((i) => i.id)).toEqual(['i0']);
  expect(page.nextCursor).toBe('after-i0');
});

test('cursors round-trip, and anything not issued is a 400 on query.cursor', () => {
  const codec = cursorCodec(z.strictObject({ id: z.string() }));
  expect(codec.decode(codec.encode({ id: 'a' }))).toEqual({ id: 'a' });
  for (const bad of ['', '!!', Buffer.from('{"v":2,"k":{"id":"a"}}').toString('base64url'), Buffer.from('{"v":1,"k":{"id":1}}').toString('base64url')]) {
    let error: unknown;
    try {
      codec.decode(bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).details).toEqual([{ path: 'query.cursor', message: 'Invalid cursor' }]);
  }
});
