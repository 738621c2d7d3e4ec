/**
 * Confirmations: the `confirmations` task turns each `registration.created`
 * message into one confirmation (a code and a rendered badge) in the
 * `confirmations` table (migration 0004). A registration is `confirmed` when
 * it has one, `pending` before.
 *
 * Idempotent: the confirmation's primary key is the registration's id, so a
 * message delivered twice (SQS is at least once, the outbox may publish
 * twice) issues one confirmation; the second finds it and does nothing. The
 * registration row is locked first (`FOR KEY SHARE`): a concurrent cancel
 * either commits before (the message then finds no registration and is
 * dropped) or waits until the confirmation is written (and deletes it with
 * the registration, `ON DELETE CASCADE`). Nothing brings back a cancelled
 * registration's confirmation.
 */
import { randomInt } from 'node:crypto';
import * as z from 'zod/mini';
import type { Database } from '../data/sql';
import { SqlError } from '../data/errors';
import { sqlParam } from '../data/sql';
import type { User } from '../http/auth';
import { notFound } from '../http/errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const uuid = () => z.string().check(z.regex(UUID));

/** The body of a `registration.created` message (functions/lib/domain/outbox.ts adds messageId, type, occurredAt). */
export const RegistrationCreated = /* @__PURE__ */ z.lazy(() =>
  z.object({
    messageId: uuid(),
    type: z.literal('registration.created'),
    registrationId: uuid(),
    eventId: uuid(),
    occurredAt: z.string(),
  }),
);
export type RegistrationCreatedMessage = z.output<typeof RegistrationCreated>;

export type IssueOutcome = 'issued' | 'duplicate' | 'cancelled';

/** Unambiguous characters only (no 0/O, 1/I): codes are read aloud at the door. */
const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A code like `K7QM-2XRF`: 32^8 (about 10^12) values. */
export function newConfirmationCode(): string {
  const pick = () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  const part = () => Array.from({ length: 4 }, pick).join('');
  return `${part()}-${part()}`;
}

const escapeXml = (s: string) =>
  s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

/** At most `max` characters, with an ellipsis when cut (by code point, never splitting a surrogate pair). */
const fit = (s: string, max: number) => {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
};

export interface BadgeInput {
  readonly eventName: string;
  readonly startsAt: string;
  readonly attendee: string;
  readonly code: string;
}

/**
 * The attendee's badge as a standalone SVG (600 x 340): event, date,
 * attendee and code. Every text is XML-escaped, and the SVG has no script,
 * link or external reference; pages show it as an image
 * (`<img src="data:image/svg+xml,...">`), where scripts never run anyway.
 */
export function renderBadge(b: BadgeInput): string {
  const day = new Date(b.startsAt).toISOString().slice(0, 16).replace('T', ' ');
  const text = (y: number, size: number, weight: string, value: string) =>
    `<text x="40" y="${y}" font-family="system-ui, sans-serif" font-size="${size}" font-weight="${weight}" fill="#0b1f33">${escapeXml(value)}</text>`;
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="340" viewBox="0 0 600 340" role="img" aria-label="Participation badge">',
    // Inset by half the stroke, so the border is not clipped at the edges; the band rounds its top corners only.
    '<rect x="2" y="2" width="596" height="336" rx="22" fill="#f4f7fb" stroke="#0b1f33" stroke-width="4"/>',
    '<path d="M2 72 V24 A22 22 0 0 1 24 2 H576 A22 22 0 0 1 598 24 V72 Z" fill="#0b1f33"/>',
    `<text x="40" y="48" font-family="system-ui, sans-serif" font-size="26" font-weight="700" fill="#ffffff">${escapeXml(fit(b.eventName, 36))}</text>`,
    text(110, 18, '400', `${day} UTC`),
    text(190, 40, '700', fit(b.attendee, 24)),
    text(250, 16, '400', 'Confirmation code'),
    `<text x="40" y="298" font-family="ui-monospace, monospace" font-size="40" font-weight="700" letter-spacing="4" fill="#0b1f33">${escapeXml(b.code)}</text>`,
    '</svg>',
  ].join('');
}

/** Issues the confirmation a `registration.created` message asks for; harmless to repeat. */
export async function issueConfirmation(db: Database, message: RegistrationCreatedMessage): Promise<IssueOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(async (tx) => {
        const { rows } = await tx.query<{ name: string; eventName: string; startsAt: string; confirmed: boolean }>(
          `SELECT r.name, e.name AS "eventName", e.starts_at AS "startsAt",
                  EXISTS (SELECT 1 FROM confirmations c WHERE c.registration_id = r.id) AS confirmed
             FROM registrations r JOIN events e ON e.id = r.event_id
            WHERE r.id = :id FOR KEY SHARE OF r`,
          { id: sqlParam.uuid(message.registrationId) },
        );
        const registration = rows[0];
        if (!registration) return 'cancelled';
        if (registration.confirmed) return 'duplicate';
        const code = newConfirmationCode();
        const badge = renderBadge({ eventName: registration.eventName, startsAt: registration.startsAt, attendee: registration.name, code });
        const inserted = await tx.query(
          `INSERT INTO confirmations (registration_id, code, badge_svg, message_id) VALUES (:id, :code, :badge, :messageId)
           ON CONFLICT (registration_id) DO NOTHING`,
          { id: sqlParam.uuid(message.registrationId), code, badge, messageId: sqlParam.uuid(message.messageId) },
        );
        return inserted.rowCount === 1 ? 'issued' : 'duplicate';
      });
    } catch (err) {
      // Two codes alike (about one in 10^12 per pair): draw another.
      if (err instanceof SqlError && err.code === '23505' && attempt < 3) continue;
      throw err;
    }
  }
}

/** One of the caller's registrations with its confirmation, as the result page shows it. */
export interface RegistrationDetail {
  id: string;
  eventId: string;
  eventName: string;
  startsAt: string;
  name: string;
  email: string;
  createdAt: string;
  status: 'pending' | 'confirmed';
  confirmationCode?: string;
  confirmedAt?: string;
  /** The badge as an SVG document (show it as an image). */
  badgeSvg?: string;
}

/** The caller's registration `id` (404 when it is not the caller's: ids of others are not revealed). */
export async function getMyRegistration(db: Database, user: User, id: string): Promise<RegistrationDetail> {
  if (!UUID.test(id)) throw notFound('Registration not found');
  const { rows } = await db.query<RegistrationDetail & { confirmationCode: string | null; confirmedAt: string | null; badgeSvg: string | null }>(
    `SELECT r.id, r.event_id AS "eventId", e.name AS "eventName", e.starts_at AS "startsAt", r.name, r.email, r.created_at AS "createdAt",
            CASE WHEN c.registration_id IS NULL THEN 'pending' ELSE 'confirmed' END AS status,
            c.code AS "confirmationCode", c.issued_at AS "confirmedAt", c.badge_svg AS "badgeSvg"
       FROM registrations r JOIN events e ON e.id = r.event_id LEFT JOIN confirmations c ON c.registration_id = r.id
      WHERE r.id = :id AND r.user_sub = :userSub`,
    { id: sqlParam.uuid(id), userSub: user.sub },
  );
  if (rows.length === 0) throw notFound('Registration not found');
  return withoutNulls(rows[0]!);
}

/** Drops null fields: `confirmationCode` and the badge appear once confirmed. */
export function withoutNulls<T extends object>(row: T): T {
  return Object.fromEntries(Object.entries(row).filter(([, v]) => v !== null)) as T;
}
