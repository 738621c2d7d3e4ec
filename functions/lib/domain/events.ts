/**
 * Conference events and registrations in Aurora PostgreSQL. The same SQL runs
 * through both adapters (RDS Proxy + pg, or the Data API).
 *
 * Capacity: a registration locks its event row (`SELECT ... FOR UPDATE`)
 * inside a transaction, so concurrent registrations for one event are
 * serialised; `registered` is updated in the same transaction and a CHECK
 * constraint keeps it <= capacity.
 */
import * as z from 'zod/mini';
import type { Database } from '../data/sql';
import { sqlParam } from '../data/sql';
import { ORGANIZERS } from '../../groups';
import { forbidden, type User } from '../http/auth';
import { conflict, notFound } from '../http/errors';
import { cursorCodec, pageOf, pageQuery, type Page } from '../http/page';
import { withoutNulls } from './confirmations';
import { enqueue, type OutboxEntry } from './outbox';
import { label, pathId } from './text';

/** A calendar day that exists, in a year Postgres stores (0001-9999): no "0000-…" and no Feb 30 silently rolled to March. */
const realDay = (s: string) => {
  const [y, m, d] = s.slice(0, 10).split('-').map(Number) as [number, number, number];
  const utcYear = new Date(s).getUTCFullYear(); // an offset can move the instant out of 0001-9999
  return y >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate() && utcYear >= 1 && utcYear <= 9999;
};

const START_FORMAT = 'Must be an ISO-8601 date-time with seconds and a UTC offset, e.g. "2027-05-01T09:00:00Z" or "2027-05-01T11:00:00+02:00"';

// Built when first used (`z.lazy`; see posts.ts): each function uses one or two.
// `@__PURE__`: dropped from a bundle group in which no function uses them (see posts.ts).
export const EventInput = /* @__PURE__ */ z.lazy(() =>
  z.strictObject({
    name: label(200),
    capacity: z.int().check(z.minimum(1), z.maximum(100_000)),
    // `abort`: a malformed value gets one message, not this one and realDay's too.
    startsAt: z.iso.datetime({ offset: true, abort: true, error: START_FORMAT }).check(
      z.refine(realDay, { message: 'Must be a real date between years 0001 and 9999' }),
      z.refine((s) => !/\.\d{4}/.test(s), { message: 'At most millisecond precision (3 fraction digits): the API returns milliseconds' }),
    ),
  }),
);

/** The attendee's name; the email comes from the caller's token, never from the body. */
export const RegistrationInput = /* @__PURE__ */ z.lazy(() => z.strictObject({ name: label(200) }));

export const EventPath = /* @__PURE__ */ z.lazy(() => z.strictObject({ id: pathId() }));
export const RegistrationPath = /* @__PURE__ */ z.lazy(() => z.strictObject({ id: pathId(), registrationId: pathId() }));

export interface ConferenceEvent {
  id: string;
  name: string;
  capacity: number;
  startsAt: string;
  registered: number;
}

export interface Registration {
  id: string;
  eventId: string;
  name: string;
  email: string;
  createdAt: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Ids are opaque to clients: anything that is not one of ours is simply not found. */
const isId = (id: string) => UUID.test(id);

const EVENT_COLUMNS = 'id, name, capacity, starts_at AS "startsAt", registered';
const REGISTRATION_COLUMNS = 'id, event_id AS "eventId", name, email, created_at AS "createdAt"';

export async function createEvent(db: Database, input: z.output<typeof EventInput>): Promise<ConferenceEvent> {
  const { rows } = await db.query<ConferenceEvent>(
    `INSERT INTO events (name, capacity, starts_at) VALUES (:name, :capacity, :startsAt) RETURNING ${EVENT_COLUMNS}`,
    { name: input.name, capacity: input.capacity, startsAt: sqlParam.timestamp(input.startsAt) },
  );
  return rows[0]!;
}

export async function getEvent(db: Database, id: string): Promise<ConferenceEvent> {
  if (!isId(id)) throw notFound('Event not found');
  const { rows } = await db.query<ConferenceEvent>(`SELECT ${EVENT_COLUMNS} FROM events WHERE id = :id`, { id: sqlParam.uuid(id) });
  if (rows.length === 0) throw notFound('Event not found');
  return rows[0]!;
}

/** A registration with its event and its confirmation's state, as "my registrations" lists it. */
export interface MyRegistration extends Registration {
  eventName: string;
  startsAt: string;
  /** `pending` until the confirmations task has issued its confirmation. */
  status: 'pending' | 'confirmed';
  /** Once confirmed. */
  confirmationCode?: string;
}

/** A new registration, and the `registration.created` message committed with it (to publish after the commit). */
export interface Registered {
  readonly registration: Registration & { status: 'pending' };
  readonly announcement: OutboxEntry;
}

/**
 * Registers the signed-in caller: the attendee's email is the token's
 * verified email (ID tokens carry it; an access token is refused with 403).
 * The `registration.created` message goes into the outbox in the same
 * transaction (functions/lib/domain/outbox.ts).
 */
export async function register(db: Database, eventId: string, input: z.output<typeof RegistrationInput>, user: User): Promise<Registered> {
  if (!user.email) throw forbidden('Registering needs an ID token: it carries your verified email');
  const email = user.email;
  if (!isId(eventId)) throw notFound('Event not found');
  return db.transaction(async (tx) => {
    const event = await tx.query<{ capacity: number; registered: number }>(
      'SELECT capacity, registered FROM events WHERE id = :eventId FOR UPDATE',
      { eventId: sqlParam.uuid(eventId) },
    );
    if (event.rows.length === 0) throw notFound('Event not found');
    const inserted = await tx.query<Registration>(
      `INSERT INTO registrations (event_id, name, email, user_sub) VALUES (:eventId, :name, :email, :userSub)
       ON CONFLICT DO NOTHING
       RETURNING ${REGISTRATION_COLUMNS}`,
      { eventId: sqlParam.uuid(eventId), name: input.name, email, userSub: user.sub },
    );
    // Either unique key (the user, or the email, per event): you are registered already.
    if (inserted.rows.length === 0) throw conflict('already_registered', 'You are already registered for this event');
    const { capacity, registered } = event.rows[0]!;
    if (registered >= capacity) throw conflict('event_full', 'The event is full');
    await tx.query('UPDATE events SET registered = registered + 1 WHERE id = :eventId', { eventId: sqlParam.uuid(eventId) });
    const registration = inserted.rows[0]!;
    const announcement = await enqueue(tx, 'registrations', 'registration.created', { registrationId: registration.id, eventId });
    return { registration: { ...registration, status: 'pending' as const }, announcement };
  });
}

export const RegistrationsQuery = /* @__PURE__ */ z.lazy(() => pageQuery({ max: 500, defaultLimit: 100 }));

const RegistrationCursor = /* @__PURE__ */ z.lazy(() =>
  z.strictObject({ at: z.iso.datetime({ offset: false, precision: 3 }), id: z.string().check(z.regex(UUID)) }),
);
let registrationCursors: ReturnType<typeof cursorCodec<typeof RegistrationCursor>> | undefined;
const registrationCursorsOf = () => (registrationCursors ??= cursorCodec(RegistrationCursor));

/** An event's registrations in the order they were made, a page at a time (keyset on created_at, id). */
export async function listRegistrations(db: Database, eventId: string, limit: number, cursor?: string): Promise<Page<Registration>> {
  const after = cursor === undefined ? undefined : registrationCursorsOf().decode(cursor);
  if (!isId(eventId)) throw notFound('Event not found');
  const event = await db.query('SELECT 1 AS found FROM events WHERE id = :eventId', { eventId: sqlParam.uuid(eventId) });
  if (event.rows.length === 0) throw notFound('Event not found');
  const { rows } = await db.query<Registration>(
    `SELECT ${REGISTRATION_COLUMNS} FROM registrations WHERE event_id = :eventId
       ${after ? 'AND (created_at, id) > (:afterAt, :afterId)' : ''}
     ORDER BY created_at, id LIMIT :fetch`,
    {
      eventId: sqlParam.uuid(eventId),
      fetch: limit + 1,
      ...(after ? { afterAt: sqlParam.timestamp(after.at), afterId: sqlParam.uuid(after.id) } : {}),
    },
  );
  return pageOf(rows, { limit, cursorAfter: (r) => registrationCursorsOf().encode({ at: r.createdAt, id: r.id }) });
}

/** The caller's registrations with their events and confirmation states, oldest first, a page at a time (the "my registrations" screen). */
export async function listMyRegistrations(db: Database, user: User, limit: number, cursor?: string): Promise<Page<MyRegistration>> {
  const after = cursor === undefined ? undefined : registrationCursorsOf().decode(cursor);
  const { rows } = await db.query<MyRegistration>(
    `SELECT r.id, r.event_id AS "eventId", r.name, r.email, r.created_at AS "createdAt", e.name AS "eventName", e.starts_at AS "startsAt",
            CASE WHEN c.registration_id IS NULL THEN 'pending' ELSE 'confirmed' END AS status, c.code AS "confirmationCode"
       FROM registrations r JOIN events e ON e.id = r.event_id LEFT JOIN confirmations c ON c.registration_id = r.id
      WHERE r.user_sub = :userSub ${after ? 'AND (r.created_at, r.id) > (:afterAt, :afterId)' : ''}
      ORDER BY r.created_at, r.id LIMIT :fetch`,
    { userSub: user.sub, fetch: limit + 1, ...(after ? { afterAt: sqlParam.timestamp(after.at), afterId: sqlParam.uuid(after.id) } : {}) },
  );
  return pageOf(rows.map(withoutNulls), { limit, cursorAfter: (r) => registrationCursorsOf().encode({ at: r.createdAt, id: r.id }) });
}

/**
 * Cancels a registration: its attendee or an organizer may, nobody else
 * (403). Its confirmation goes with it (ON DELETE CASCADE); a confirmation
 * message still on its way then finds no registration.
 */
export async function unregister(db: Database, eventId: string, registrationId: string, user: User): Promise<void> {
  if (!isId(eventId) || !isId(registrationId)) throw notFound('Registration not found');
  await db.transaction(async (tx) => {
    // Same lock order as register(): event row first.
    const event = await tx.query('SELECT 1 AS found FROM events WHERE id = :eventId FOR UPDATE', { eventId: sqlParam.uuid(eventId) });
    if (event.rows.length === 0) throw notFound('Registration not found');
    const ids = { id: sqlParam.uuid(registrationId), eventId: sqlParam.uuid(eventId) };
    const found = await tx.query<{ userSub: string | null }>('SELECT user_sub AS "userSub" FROM registrations WHERE id = :id AND event_id = :eventId FOR UPDATE', ids);
    if (found.rows.length === 0) throw notFound('Registration not found');
    if (found.rows[0]!.userSub !== user.sub && !user.groups.includes(ORGANIZERS)) {
      throw forbidden('Only the attendee or an organizer may cancel a registration');
    }
    await tx.query('DELETE FROM registrations WHERE id = :id AND event_id = :eventId', ids);
    await tx.query('UPDATE events SET registered = registered - 1 WHERE id = :eventId', { eventId: sqlParam.uuid(eventId) });
  });
}
