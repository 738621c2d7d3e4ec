/**
 * The signed-in users of the load workload (bench-load-lib.ts): real users of
 * the runtime's user pool, signed in in-process through the pool's auth flow
 * (`signIn` of local/cognito/sign-in.ts, what `npm run dev:token` runs) before
 * the load starts, so that minting tokens costs the measured window nothing:
 *
 * - authors write posts (only a post's author may update it);
 * - an organizer creates events (the `organizers` group);
 * - attendees register. A registration is one per user and event, so each
 *   event has its own queue of attendees who have not registered for it:
 *   a register takes one, and gives it back unless the registration was
 *   acknowledged (or its answer never came). An event at capacity keeps
 *   answering `event_full` to the same attendees, so the workload never runs
 *   out on a full event; on events with room, each attendee registers once.
 */
import type { UserPoolState } from './local/cognito';
import { signIn } from './local/cognito/sign-in';

export interface LoadUser {
  readonly email: string;
  readonly sub: string;
  /** Its ID token (the email the registrations store comes from it). */
  readonly token: string;
}

export interface LoadUsers {
  readonly authors: readonly LoadUser[];
  readonly organizer: LoadUser;
  readonly attendees: readonly LoadUser[];
  /** Wall seconds spent signing them in. */
  readonly signInSeconds: number;
}

/** The user pool of the runtime under load, and its data dir (where `signIn` keeps the users' passwords). */
export interface LoadUserPool {
  readonly state: UserPoolState;
  readonly dataDir: string;
}

/** How many authors and attendees a run of these load options signs in (bench-load-lib.ts's defaults). */
export function loadUserCounts(options: { durationSeconds?: number; connections?: number; smallEventCapacity?: number; authors?: number; attendees?: number }): { authors: number; attendees: number } {
  const seconds = options.durationSeconds ?? 10;
  const connections = options.connections ?? 16;
  return { authors: options.authors ?? 4, attendees: options.attendees ?? Math.max(options.smallEventCapacity ?? 100, Math.ceil(1.5 * seconds * connections)) };
}

/** Sign-ins at once: the emulator is one process; more only queue there. */
const CONCURRENCY = 8;

/** Signs the workload's users in (created in the pool on first use; the same emails every run). */
export async function signInLoadUsers(pool: LoadUserPool, counts: { authors: number; attendees: number }): Promise<LoadUsers> {
  const started = performance.now();
  const wanted: { email: string; groups: string[] }[] = [
    { email: 'load-organizer@example.com', groups: ['organizers'] },
    ...Array.from({ length: counts.authors }, (_, i) => ({ email: `load-author-${i + 1}@example.com`, groups: [] })),
    ...Array.from({ length: counts.attendees }, (_, i) => ({ email: `load-attendee-${i + 1}@example.com`, groups: [] })),
  ];
  const users: LoadUser[] = new Array(wanted.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < wanted.length; i = next++) {
      const { email, groups } = wanted[i]!;
      const user = await signIn(pool.state, pool.dataDir, { email, groups });
      users[i] = { email, sub: user.sub, token: user.idToken };
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return {
    organizer: users[0]!,
    authors: users.slice(1, 1 + counts.authors),
    attendees: users.slice(1 + counts.authors),
    signInSeconds: (performance.now() - started) / 1000,
  };
}

/** Per event, the attendees who have not registered for it (in a random order). */
export class AttendeeQueues {
  private readonly free = new Map<string, LoadUser[]>();

  constructor(attendees: readonly LoadUser[], eventIds: readonly string[]) {
    for (const id of eventIds) this.free.set(id, shuffled(attendees));
  }

  /**
   * An attendee for one of the events, `preferred` if it has one left (else
   * another, at random): undefined when every event's queue is empty.
   */
  take(preferred: string): { eventId: string; attendee: LoadUser } | undefined {
    const withRoom = [...this.free].filter(([, queue]) => queue.length > 0).map(([id]) => id);
    const eventId = this.free.get(preferred)?.length ? preferred : withRoom[Math.floor(Math.random() * withRoom.length)];
    const attendee = eventId === undefined ? undefined : this.free.get(eventId)!.pop();
    return eventId === undefined || !attendee ? undefined : { eventId, attendee };
  }

  /** The attendee's registration for the event was not acknowledged: they may try again. */
  giveBack(eventId: string, attendee: LoadUser): void {
    this.free.get(eventId)?.push(attendee);
  }
}

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
