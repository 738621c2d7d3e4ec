/**
 * The mixed load workload behind `npm run bench:load` and the bounded load
 * test (test/app/reliability/load.test.ts): autocannon drives create/read/update/
 * list posts, create events and register against a running local API, while
 * every acknowledged write is recorded; `verifyLoad` then reads Postgres and
 * DynamoDB directly and checks that nothing was lost. Every write is signed
 * in with a real token of the runtime's user pool (bench-load-users.ts):
 * posts by their authors, events by an organizer, each registration by an
 * attendee not yet registered for that event.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import autocannon from 'autocannon';
import pg from 'pg';
import { AttendeeQueues, loadUserCounts, signInLoadUsers, type LoadUser, type LoadUserPool, type LoadUsers } from './bench-load-users';

export interface LoadTarget {
  /** Base URL of the API, e.g. http://127.0.0.1:3000 */
  readonly url: string;
  /** The runtime's Postgres (to verify). */
  readonly postgres: { host: string; port: number; user: string; password: string; database: string };
  /** dynalite endpoint and the posts table's physical name (to verify). */
  readonly dynamo: { endpoint: string; postsTable: string };
  /** The runtime's user pool, whose users the workload signs in. */
  readonly userPool: LoadUserPool;
}

export interface LoadOptions {
  /** Seconds of load. @default 10 */
  readonly durationSeconds?: number;
  /** Concurrent connections. @default 16 */
  readonly connections?: number;
  /** Events registrations go to. @default 4 */
  readonly registrationEvents?: number;
  /** Capacity of the first of them, small so it fills up under load (then 409 event_full). @default 100 */
  readonly smallEventCapacity?: number;
  /** Capacity of the others, large so registrations keep succeeding. @default 100000 */
  readonly eventCapacity?: number;
  /** Seed posts to read and update. @default 40 */
  readonly seedPosts?: number;
  /** Per-request timeout, seconds. @default 20 */
  readonly timeoutSeconds?: number;
  /** Authors of the posts. @default 4 */
  readonly authors?: number;
  /**
   * Attendees, signed in before the load; each registers at most once per
   * event. @default - enough to fill the small event, and 1.5 per connection
   * and second of load (a connection registers about once a second per event)
   */
  readonly attendees?: number;
  /** Users signed in already (bench-load-users.ts), e.g. before a measured window. @default - signed in first */
  readonly users?: LoadUsers;
}


type Op = 'post-create' | 'post-read' | 'post-update' | 'post-list' | 'event-create' | 'register';

/** Share of each operation in the mix (sums to 100). */
export const MIX: Readonly<Record<Op, number>> = {
  'post-create': 15,
  'post-read': 25,
  'post-update': 15,
  'post-list': 10,
  'event-create': 10,
  register: 25,
};

interface PostState {
  id: string;
  version: number;
  title: string;
  body: string;
  /** Who wrote it: the only user who may update it. */
  author: LoadUser;
}

export interface OpStats {
  sent: number;
  byStatus: Record<string, number>;
  /** Client-side latency of the answered requests, ms (from the request's build to its answer). */
  p50: number;
  p99: number;
}

export interface LoadResult {
  readonly durationSeconds: number;
  readonly connections: number;
  /** Requests per second (autocannon's average). */
  readonly throughput: number;
  readonly totalRequests: number;
  readonly latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Answers outside 2xx, by autocannon. */
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  /** Non-2xx the workload expects (409 event_full once an event is at capacity). */
  readonly expectedConflicts: number;
  /** Non-2xx nobody should see (5xx, unexpected 4xx), with examples. */
  readonly unexpected: number;
  readonly unexpectedExamples: string[];
  /** Users signed in before the load, and how long that took. */
  readonly users: { readonly authors: number; readonly attendees: number; readonly signInSeconds: number };
  /** Register operations sent as reads because no attendee was left for any event (raise `attendees`). */
  readonly attendeesShort: number;
  readonly ops: Record<Op, OpStats>;
  /** What the verification needs. */
  readonly ledger: Ledger;
}

interface Ledger {
  posts: Map<string, PostState>;
  events: Set<string>;
  registrationEvents: { id: string; capacity: number }[];
  /** Acknowledged registrations (201) by event id: registration id → the attendee's email (from their token). */
  registrations: Map<string, Map<string, string>>;
  /**
   * Requests whose answer never arrived because the run ended (autocannon
   * stops mid-flight): their outcome is unknown, so the check allows either.
   * Registrations as `<event id> <email>`.
   */
  inFlight: { updates: Set<string>; registrations: Set<string> };
}

const bearer = (user: LoadUser) => ({ authorization: `Bearer ${user.token}` });

async function json(url: string, method: string, body: unknown, user: LoadUser): Promise<any> {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json', ...bearer(user) }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} -> ${res.status} ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}

const OPS = Object.entries(MIX) as [Op, number][];
function chooseOp(): Op {
  let r = Math.random() * 100;
  for (const [op, weight] of OPS) {
    if ((r -= weight) < 0) return op;
  }
  return 'post-read';
}

/** Runs the mixed workload and returns figures plus a ledger of acknowledged writes. */
export async function runLoad(target: LoadTarget, options: LoadOptions = {}): Promise<LoadResult> {
  const duration = options.durationSeconds ?? 10;
  const connections = options.connections ?? 16;
  const smallEventCapacity = options.smallEventCapacity ?? 100;
  const ledger: Ledger = {
    posts: new Map(),
    events: new Set(),
    registrationEvents: [],
    registrations: new Map(),
    inFlight: { updates: new Set(), registrations: new Set() },
  };

  // Users, signed in before the load.
  const users = options.users ?? (await signInLoadUsers(target.userPool, loadUserCounts(options)));
  const { organizer, authors } = users;

  // Seed: posts to read/update, events to register for.
  for (let i = 0; i < (options.seedPosts ?? 40); i++) {
    const author = authors[i % authors.length]!;
    const p = await json(`${target.url}/posts`, 'POST', { title: `seed ${i}`, body: 'seed', author: 'bench' }, author);
    ledger.posts.set(p.id, { id: p.id, version: p.version, title: p.title, body: p.body, author });
  }
  for (let i = 0; i < (options.registrationEvents ?? 4); i++) {
    const capacity = i === 0 ? smallEventCapacity : (options.eventCapacity ?? 100_000);
    const e = await json(`${target.url}/events`, 'POST', { name: `bench ${i}`, capacity, startsAt: '2030-06-01T09:00:00Z' }, organizer);
    ledger.events.add(e.id);
    ledger.registrationEvents.push({ id: e.id, capacity: e.capacity });
    ledger.registrations.set(e.id, new Map());
  }
  const attendees = new AttendeeQueues(users.attendees, ledger.registrationEvents.map((e) => e.id));
  let attendeesShort = 0;

  // Posts not being updated right now: an update takes one out and puts it
  // back with its new version, so updates never race each other (a 409 here
  // would be a lost acknowledged write, not a conflict the client caused).
  const idle: PostState[] = [...ledger.posts.values()];
  const ids: string[] = [...ledger.posts.keys()];
  const ops = Object.fromEntries(OPS.map(([op]) => [op, { sent: 0, byStatus: {}, p50: 0, p99: 0 }])) as Record<Op, OpStats>;
  const latencies = Object.fromEntries(OPS.map(([op]) => [op, [] as number[]])) as Record<Op, number[]>;
  let expectedConflicts = 0;
  let unexpected = 0;
  const unexpectedExamples: string[] = [];
  let seq = 0;

  interface Ctx {
    op?: Op;
    post?: PostState;
    update?: { title: string; body: string };
    eventId?: string;
    attendee?: LoadUser;
    /** The author of a post being created. */
    author?: LoadUser;
    started?: number;
  }
  // What was sent and not yet answered (moved to the ledger's inFlight at the end).
  const pendingUpdates = new Map<string, number>();
  const pendingRegistrations = new Set<string>();

  const setupRequest = (req: Record<string, unknown>, context: Ctx) => {
    let op = chooseOp();
    if (op === 'post-update' && idle.length === 0) op = 'post-read';
    const registration = op === 'register' ? attendees.take(pick(ledger.registrationEvents).id) : undefined;
    if (op === 'register' && !registration) {
      attendeesShort++;
      op = 'post-read';
    }
    // One context per connection, kept across its requests: nothing of the last one may stay.
    Object.assign(context, { op, post: undefined, update: undefined, eventId: undefined, attendee: undefined, author: undefined });
    ops[op].sent++;
    context.started = performance.now();
    const n = ++seq;
    switch (op) {
      case 'post-create': {
        const author = (context.author = authors[n % authors.length]!);
        return { ...req, method: 'POST', path: '/posts', headers: { 'content-type': 'application/json', ...bearer(author) }, body: JSON.stringify({ title: `load ${n}`, body: `body ${n}`, author: 'bench' }) };
      }
      case 'post-read':
        return { ...req, method: 'GET', path: `/posts/${pick(ids)}`, headers: {}, body: undefined };
      case 'post-update': {
        const post = idle.splice(Math.floor(Math.random() * idle.length), 1)[0]!;
        context.post = post;
        pendingUpdates.set(post.id, (pendingUpdates.get(post.id) ?? 0) + 1);
        context.update = { title: `updated ${n}`, body: `v${post.version + 1} ${n}` };
        return { ...req, method: 'PUT', path: `/posts/${post.id}`, headers: { 'content-type': 'application/json', ...bearer(post.author) }, body: JSON.stringify({ ...context.update, version: post.version }) };
      }
      case 'post-list':
        return { ...req, method: 'GET', path: `/posts?limit=${1 + (n % 50)}`, headers: {}, body: undefined };
      case 'event-create':
        return { ...req, method: 'POST', path: '/events', headers: { 'content-type': 'application/json', ...bearer(organizer) }, body: JSON.stringify({ name: `load event ${n}`, capacity: 10, startsAt: '2030-06-01T09:00:00Z' }) };
      case 'register': {
        const { eventId, attendee } = registration!;
        Object.assign(context, { eventId, attendee });
        pendingRegistrations.add(`${eventId} ${attendee.email}`);
        // The attendee's email comes from the token, never the body.
        return { ...req, method: 'POST', path: `/events/${eventId}/registrations`, headers: { 'content-type': 'application/json', ...bearer(attendee) }, body: JSON.stringify({ name: `guest ${n}` }) };
      }
    }
  };

  const onResponse = (status: number, body: string, context: Ctx) => {
    const op = context.op!;
    ops[op].byStatus[status] = (ops[op].byStatus[status] ?? 0) + 1;
    latencies[op].push(performance.now() - context.started!);
    let data: any;
    try {
      data = body ? JSON.parse(body) : undefined;
    } catch {
      data = undefined;
    }
    const ok = status >= 200 && status < 300;
    if (context.attendee) {
      pendingRegistrations.delete(`${context.eventId} ${context.attendee.email}`);
      if (!ok) attendees.giveBack(context.eventId!, context.attendee);
    }
    if (op === 'post-update' && context.post) {
      const left = (pendingUpdates.get(context.post.id) ?? 1) - 1;
      if (left > 0) pendingUpdates.set(context.post.id, left);
      else pendingUpdates.delete(context.post.id);
      // Back to the idle pool: with the acknowledged version, or unchanged when refused.
      const post = context.post;
      if (ok) Object.assign(post, { version: data.version, title: data.title, body: data.body });
      idle.push(post);
    }
    if (ok) {
      if (op === 'post-create') {
        ledger.posts.set(data.id, { id: data.id, version: data.version, title: data.title, body: data.body, author: context.author! });
        ids.push(data.id);
        idle.push(ledger.posts.get(data.id)!);
      } else if (op === 'event-create') ledger.events.add(data.id);
      else if (op === 'register') ledger.registrations.get(context.eventId!)!.set(data.id, context.attendee!.email);
      return;
    }
    if (op === 'register' && status === 409 && data?.error?.code === 'event_full') {
      expectedConflicts++;
      return;
    }
    unexpected++;
    if (unexpectedExamples.length < 10) unexpectedExamples.push(`${op} -> ${status} ${String(body).slice(0, 160)}`);
  };

  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.url,
        connections,
        duration,
        timeout: options.timeoutSeconds ?? 20,
        requests: [{ setupRequest, onResponse } as unknown as autocannon.Request],
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    void instance;
  });
  for (const [op, values] of Object.entries(latencies) as [Op, number[]][]) {
    values.sort((a, b) => a - b);
    const at = (q: number) => (values.length ? Math.round(values[Math.min(values.length - 1, Math.floor(q * values.length))]!) : 0);
    ops[op].p50 = at(0.5);
    ops[op].p99 = at(0.99);
  }
  for (const id of pendingUpdates.keys()) ledger.inFlight.updates.add(id);
  for (const key of pendingRegistrations) ledger.inFlight.registrations.add(key);

  return {
    durationSeconds: duration,
    connections,
    throughput: result.requests.average,
    totalRequests: result.requests.total,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: result.latency.mean },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    expectedConflicts,
    unexpected,
    unexpectedExamples,
    users: { authors: authors.length, attendees: users.attendees.length, signInSeconds: users.signInSeconds },
    attendeesShort,
    ops,
    ledger,
  };
}

export interface Verification {
  readonly postsAcknowledged: number;
  readonly postsMissing: string[];
  /** Posts whose stored version/title/body is not the last acknowledged one. */
  readonly postsStale: string[];
  /** Posts stored under another author than the one who wrote them. */
  readonly postsWrongAuthor: string[];
  readonly eventsAcknowledged: number;
  readonly eventsMissing: string[];
  /** Per event; `wrongAttendee`: acknowledged registrations stored with another email than their attendee's token's. */
  readonly registrations: { eventId: string; capacity: number; acknowledged: number; stored: number; registered: number; missing: number; extra: number; wrongAttendee: number }[];
  /** Empty when nothing was lost. */
  readonly problems: string[];
}

/** Reads the databases directly and checks every acknowledged write against them. */
export async function verifyLoad(target: LoadTarget, ledger: Ledger): Promise<Verification> {
  const problems: string[] = [];
  // DynamoDB: every acknowledged post exists with its last acknowledged version.
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: target.dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 3 }),
  );
  const stored = new Map<string, Record<string, unknown>>();
  try {
    let start: Record<string, unknown> | undefined;
    do {
      const out = await doc.send(new ScanCommand({ TableName: target.dynamo.postsTable, ExclusiveStartKey: start, ConsistentRead: true }));
      for (const item of out.Items ?? []) stored.set(item.id as string, item);
      start = out.LastEvaluatedKey;
    } while (start);
  } finally {
    doc.destroy();
  }
  const postsMissing: string[] = [];
  const postsStale: string[] = [];
  const postsWrongAuthor: string[] = [];
  for (const p of ledger.posts.values()) {
    const item = stored.get(p.id);
    if (item && item.authorId !== p.author.sub) postsWrongAuthor.push(`${p.id}: written by ${p.author.sub}, stored as ${String(item.authorId)}`);
    if (!item) postsMissing.push(p.id);
    else if (item.version !== p.version || item.title !== p.title || item.body !== p.body) {
      // An update in flight at the stop may have landed (one version on), never more.
      const landed = ledger.inFlight.updates.has(p.id) && item.version === p.version + 1;
      if (!landed) postsStale.push(`${p.id}: acknowledged v${p.version}, stored v${String(item.version)}`);
    }
  }
  if (postsMissing.length) problems.push(`${postsMissing.length} acknowledged posts missing`);
  if (postsStale.length) problems.push(`${postsStale.length} posts not at their acknowledged version`);
  if (postsWrongAuthor.length) problems.push(`${postsWrongAuthor.length} posts stored under another author`);

  // Postgres: events exist; registrations equal the 201s and never exceed capacity.
  const client = new pg.Client(target.postgres);
  await client.connect();
  const registrations: Verification['registrations'] = [];
  let eventsMissing: string[] = [];
  try {
    const ids = [...ledger.events];
    const { rows } = await client.query<{ id: string }>('SELECT id::text FROM events WHERE id = ANY($1::uuid[])', [ids]);
    const found = new Set(rows.map((r) => r.id));
    eventsMissing = ids.filter((id) => !found.has(id));
    if (eventsMissing.length) problems.push(`${eventsMissing.length} acknowledged events missing`);
    for (const e of ledger.registrationEvents) {
      const acknowledged = ledger.registrations.get(e.id)!;
      const regs = await client.query<{ id: string; email: string }>('SELECT id::text, email FROM registrations WHERE event_id = $1', [e.id]);
      const ev = await client.query<{ registered: number; capacity: number }>('SELECT registered, capacity FROM events WHERE id = $1', [e.id]);
      const storedIds = new Set(regs.rows.map((r) => r.id));
      const missing = [...acknowledged.keys()].filter((id) => !storedIds.has(id)).length;
      // Stored but never acknowledged: only a registration whose answer was cut off by the stop.
      const extra = regs.rows.filter((r) => !acknowledged.has(r.id) && !ledger.inFlight.registrations.has(`${e.id} ${r.email}`)).length;
      const wrongAttendee = regs.rows.filter((r) => acknowledged.has(r.id) && acknowledged.get(r.id) !== r.email).length;
      const row = { eventId: e.id, capacity: ev.rows[0]!.capacity, acknowledged: acknowledged.size, stored: storedIds.size, registered: ev.rows[0]!.registered, missing, extra, wrongAttendee };
      registrations.push(row);
      if (missing || extra) problems.push(`event ${e.id}: ${acknowledged.size} registrations acknowledged, ${storedIds.size} stored (${missing} missing, ${extra} never sent)`);
      if (wrongAttendee) problems.push(`event ${e.id}: ${wrongAttendee} registrations stored with another email than their attendee's`);
      if (row.stored > row.capacity) problems.push(`event ${e.id}: ${row.stored} registrations over capacity ${row.capacity}`);
      if (row.registered !== row.stored) problems.push(`event ${e.id}: registered counter ${row.registered} != ${row.stored} rows`);
    }
  } finally {
    await client.end();
  }
  return {
    postsAcknowledged: ledger.posts.size,
    postsMissing,
    postsStale,
    postsWrongAuthor,
    eventsAcknowledged: ledger.events.size,
    eventsMissing,
    registrations,
    problems,
  };
}

/** A plain-text report of a run. */
export function formatLoad(r: LoadResult, v?: Verification): string {
  const lines = [
    `Mixed load: ${r.connections} connections for ${r.durationSeconds}s`,
    `  throughput   ${r.throughput.toFixed(1)} req/s (${r.totalRequests} requests)`,
    `  latency      p50 ${r.latencyMs.p50} ms, p90 ${r.latencyMs.p90} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms`,
    `  non-2xx      ${r.non2xx} (expected 409 event_full: ${r.expectedConflicts}; unexpected: ${r.unexpected})`,
    `  errors       ${r.errors} (timeouts ${r.timeouts})`,
    `  users        ${r.users.authors} authors, 1 organizer, ${r.users.attendees} attendees signed in before the load (${r.users.signInSeconds.toFixed(1)} s)${r.attendeesShort ? `; ${r.attendeesShort} register ops found no attendee left and were sent as reads` : ''}`,
    `  cut off      ${r.ledger.inFlight.updates.size} updates and ${r.ledger.inFlight.registrations.size} registrations in flight at the stop (outcome unknown to the client)`,
    '  per operation:',
    ...Object.entries(r.ops).map(
      ([op, s]) => `    ${op.padEnd(13)} ${String(s.sent).padStart(6)} sent  p50 ${String(s.p50).padStart(4)} ms  p99 ${String(s.p99).padStart(5)} ms  ${JSON.stringify(s.byStatus)}`,
    ),
  ];
  if (r.unexpectedExamples.length) lines.push('  unexpected answers:', ...r.unexpectedExamples.map((e) => `    ${e}`));
  if (v) {
    lines.push(
      'Verification (read back from DynamoDB and Postgres):',
      `  posts        ${v.postsAcknowledged} acknowledged, ${v.postsMissing.length} missing, ${v.postsStale.length} not at the acknowledged version, ${v.postsWrongAuthor.length} under another author`,
      `  events       ${v.eventsAcknowledged} acknowledged, ${v.eventsMissing.length} missing`,
      ...v.registrations.map((e) => `  registrations ${e.eventId.slice(0, 8)}: ${e.acknowledged} x 201, ${e.stored} stored, counter ${e.registered}, capacity ${e.capacity}, ${e.wrongAttendee} with another attendee's email`),
      v.problems.length ? `  LOST OR WRONG: ${v.problems.join('; ')}` : '  nothing lost: every acknowledged write is stored as acknowledged',
    );
  }
  return lines.join('\n');
}
