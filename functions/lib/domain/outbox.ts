/**
 * The transactional outbox (migration 0004): a message is written in the
 * same transaction as the change it announces, then published to SNS by
 *
 * - the function that made the change, right after its commit
 *   (`publishOutboxEntry`), and
 * - the `outbox-sweep` task, every minute, for what is left: the function
 *   died between its commit and the publish, or SNS failed (`sweepOutbox`).
 *
 * A row is published while it is locked (`FOR UPDATE SKIP LOCKED`), so the
 * two never publish it at the same time; it can still be published twice
 * when SNS accepted it but the mark was lost (the function died right after
 * the publish). Delivery is therefore at least once, and consumers are
 * idempotent (functions/lib/domain/confirmations.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Database, Queryable } from '../data/sql';
import { sqlParam } from '../data/sql';
import { describeError, log } from '../log';
import type { OutgoingMessage } from '../messaging/publish';

export interface OutboxEntry {
  readonly id: string;
  readonly topic: string;
  readonly type: string;
  readonly payload: Record<string, unknown>;
  readonly createdAt: string;
}

/** The message body consumers receive: the payload, with the message's id, type and time. */
export interface PublishedBody extends Record<string, unknown> {
  readonly messageId: string;
  readonly type: string;
  readonly occurredAt: string;
}

/** Sends one message (functions/lib/messaging/publish.ts `publish`); passed in, so modules that only write the outbox do not load the SNS client. */
export type Publisher = (message: OutgoingMessage) => Promise<string>;

const COLUMNS = 'id, topic, type, payload, created_at AS "createdAt"';

/** Writes a message to the outbox inside the caller's transaction. */
export async function enqueue(tx: Queryable, topic: string, type: string, payload: Record<string, unknown>): Promise<OutboxEntry> {
  const { rows } = await tx.query<OutboxEntry>(
    `INSERT INTO outbox (id, topic, type, payload) VALUES (:id, :topic, :type, :payload) RETURNING ${COLUMNS}`,
    { id: sqlParam.uuid(randomUUID()), topic, type, payload: sqlParam.json(payload) },
  );
  return rows[0]!;
}

const messageOf = (e: OutboxEntry): OutgoingMessage => ({
  topic: e.topic,
  type: e.type,
  body: { ...e.payload, messageId: e.id, type: e.type, occurredAt: e.createdAt } satisfies PublishedBody,
});

/**
 * Publishes the locked rows one by one and marks each published; a failed
 * publish is counted on its row and left for the sweeper. Returns how many
 * were published.
 */
async function publishLocked(tx: Queryable, entries: readonly OutboxEntry[], publisher: Publisher): Promise<number> {
  let published = 0;
  for (const entry of entries) {
    try {
      await publisher(messageOf(entry));
    } catch (err) {
      log({ level: 'warn', msg: 'outbox publish failed', messageId: entry.id, topic: entry.topic, error: describeError(err) });
      await tx.query('UPDATE outbox SET attempts = attempts + 1 WHERE id = :id', { id: sqlParam.uuid(entry.id) });
      continue;
    }
    await tx.query('UPDATE outbox SET published_at = now(), attempts = attempts + 1 WHERE id = :id', { id: sqlParam.uuid(entry.id) });
    published++;
  }
  return published;
}

/**
 * Publishes one message right after the transaction that wrote it. Never
 * throws: the change is committed, and a message not published now is the
 * sweeper's. Skips a row another publisher holds.
 */
export async function publishOutboxEntry(db: Database, id: string, publisher: Publisher): Promise<boolean> {
  try {
    return await db.transaction(async (tx) => {
      const { rows } = await tx.query<OutboxEntry>(
        `SELECT ${COLUMNS} FROM outbox WHERE id = :id AND published_at IS NULL FOR UPDATE SKIP LOCKED`,
        { id: sqlParam.uuid(id) },
      );
      return (await publishLocked(tx, rows, publisher)) === rows.length && rows.length === 1;
    });
  } catch (err) {
    log({ level: 'warn', msg: 'outbox publish deferred to the sweeper', messageId: id, error: describeError(err) });
    return false;
  }
}

export interface SweepOptions {
  /**
   * Only rows at least this old: younger ones are still their writer's to
   * publish (a route times out after at most 29 s). @default 30
   */
  readonly olderThanSeconds?: number;
  /** Rows per run. @default 100 */
  readonly limit?: number;
  /** Published rows are deleted after this many days. @default 7 */
  readonly keepPublishedDays?: number;
}

export interface SweepResult {
  readonly found: number;
  readonly published: number;
  readonly deleted: number;
}

/** Publishes the outbox's leftovers, oldest first, and deletes old published rows. */
export async function sweepOutbox(db: Database, publisher: Publisher, options: SweepOptions = {}): Promise<SweepResult> {
  const { found, published } = await db.transaction(async (tx) => {
    const { rows } = await tx.query<OutboxEntry>(
      `SELECT ${COLUMNS} FROM outbox
        WHERE published_at IS NULL AND created_at < now() - make_interval(secs => :olderThan::float8)
        ORDER BY created_at LIMIT :limit FOR UPDATE SKIP LOCKED`,
      { olderThan: options.olderThanSeconds ?? 30, limit: options.limit ?? 100 },
    );
    return { found: rows.length, published: await publishLocked(tx, rows, publisher) };
  });
  const { rowCount: deleted } = await db.query('DELETE FROM outbox WHERE published_at < now() - make_interval(days => :days::int)', {
    days: options.keepPublishedDays ?? 7,
  });
  return { found, published, deleted };
}
