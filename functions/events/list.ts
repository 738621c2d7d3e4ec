import * as z from 'zod/mini';
import { dataApiDatabase } from '../lib/data/data-api';
import { sqlParam } from '../lib/data/sql';
import type { ConferenceEvent } from '../lib/domain/events';
import { httpHandler } from '../lib/http';
import { cursorCodec, pageOf, pageQuery } from '../lib/http/page';

const db = dataApiDatabase();
const Cursor = cursorCodec(
  z.strictObject({ at: z.iso.datetime({ offset: false, precision: 3 }), id: z.string().check(z.regex(/^[0-9a-f-]{36}$/)) }),
);

/** Upcoming events (not started yet), soonest first, a page at a time: what the web app's home page lists. */
export const handler = httpHandler({ query: pageQuery({ max: 100, defaultLimit: 20 }) }, async ({ query }) => {
  const after = query.cursor === undefined ? undefined : Cursor.decode(query.cursor);
  const { rows } = await db.query<ConferenceEvent>(
    `SELECT id, name, capacity, starts_at AS "startsAt", registered FROM events
      WHERE starts_at > now() ${after ? 'AND (starts_at, id) > (:afterAt, :afterId)' : ''}
      ORDER BY starts_at, id LIMIT :fetch`,
    { fetch: query.limit + 1, ...(after ? { afterAt: sqlParam.timestamp(after.at), afterId: sqlParam.uuid(after.id) } : {}) },
  );
  return pageOf(rows, { limit: query.limit, cursorAfter: (e) => Cursor.encode({ at: e.startsAt, id: e.id }) });
});
