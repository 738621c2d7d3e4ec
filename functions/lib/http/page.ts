/**
 * Lists, the one way: `?limit=&cursor=` in, `{ items, nextCursor }` out, and
 * a page that stops at a byte budget as well as at `limit`, so no list answer
 * can reach Lambda's 6 MB response limit whatever its items hold.
 *
 *   export const handler = httpHandler({ query: pageQuery() }, async ({ query }) => {
 *     const start = query.cursor === undefined ? undefined : Cursor.decode(query.cursor);
 *     const rows = await fetchRows(start, query.limit + 1); // one more than asked
 *     return pageOf(rows, { limit: query.limit, cursorAfter: (r) => Cursor.encode({ at: r.createdAt, id: r.id }) });
 *   });
 */
import * as z from 'zod/mini';
import { AppError } from './errors';

/**
 * Serialized size at which a page stops: well under Lambda's 6 MB response
 * payload limit (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html),
 * so a page of maximal items still answers, and small enough to stay fast.
 */
export const PAGE_BUDGET_BYTES = 1024 * 1024;

export interface Page<T> {
  readonly items: T[];
  /** Where the next page starts; null on the last page. */
  readonly nextCursor: string | null;
}

export interface PageOptions<T> {
  /** Items the client asked for. */
  readonly limit: number;
  /** The cursor that resumes right after `item`. */
  readonly cursorAfter: (item: T) => string;
  /**
   * A cursor for what follows `fetched` when the source stopped early on its
   * own (DynamoDB's 1 MB read cap: `LastEvaluatedKey` with fewer items than asked).
   * @default - none
   */
  readonly sourceCursor?: string;
  /** @default PAGE_BUDGET_BYTES */
  readonly budgetBytes?: number;
}

/** The JSON of `{"items":[…],"nextCursor":"…"}` besides its items. */
const ENVELOPE_BYTES = 64;

/**
 * A page of `fetched` (in list order, up to `limit + 1` items: one more than
 * asked tells that another page has items): at most `limit` items, cut earlier
 * when their JSON would pass the budget; the cursor resumes after the last
 * item returned. A single item over the budget is still returned alone.
 */
export function pageOf<T>(fetched: readonly T[], options: PageOptions<T>): Page<T> {
  const budget = options.budgetBytes ?? PAGE_BUDGET_BYTES;
  const items: T[] = [];
  let bytes = ENVELOPE_BYTES;
  for (const item of fetched.slice(0, options.limit)) {
    bytes += Buffer.byteLength(JSON.stringify(item)) + 1;
    if (items.length > 0 && bytes > budget) break;
    items.push(item);
  }
  const last = items[items.length - 1];
  if (last !== undefined && items.length < fetched.length) return { items, nextCursor: options.cursorAfter(last) };
  return { items, nextCursor: options.sourceCursor ?? null };
}

/**
 * The query of a list route: `limit` (digits only, 1 to `max`, default
 * `defaultLimit`) and an optional `cursor`. Unknown keys are ignored (a
 * cache-busting `?_=…` must not fail). API Gateway joins a repeated key's
 * values with commas, so `limit=2&limit=3` arrives as "2,3": refused with a
 * message that says so.
 */
export function pageQuery(options: { max?: number; defaultLimit?: number } = {}) {
  const max = options.max ?? 100;
  const message = `Must be a whole number from 1 to ${max}, given once`;
  return z.object({
    limit: z._default(
      z.pipe(z.string().check(z.regex(/^\d{1,6}$/, { message })), z.coerce.number<string>().check(z.minimum(1, { message }), z.maximum(max, { message }))),
      options.defaultLimit ?? 20,
    ),
    cursor: z.optional(z.string().check(z.maxLength(1000))),
  });
}

/**
 * Opaque cursors: base64url JSON `{v:1,k:<key>}`, fully validated by `key`
 * when read back; anything we did not issue is a 400 on `query.cursor`.
 */
export function cursorCodec<K extends z.ZodMiniType>(key: K) {
  const shape = z.strictObject({ v: z.literal(1), k: key });
  const invalid = () => new AppError(400, 'validation_failed', 'The request is invalid', { details: [{ path: 'query.cursor', message: 'Invalid cursor' }] });
  return {
    encode: (k: z.output<K>): string => Buffer.from(JSON.stringify({ v: 1, k })).toString('base64url'),
    decode(cursor: string): z.output<K> {
      if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      } catch {
        throw invalid();
      }
      const result = shape.safeParse(parsed);
      if (!result.success) throw invalid();
      return (result.data as { k: z.output<K> }).k;
    },
  };
}
