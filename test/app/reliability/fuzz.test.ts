/**
 * Property-based fuzzing of the example app with inputs shaped like its own
 * (posts, events, registrations, cursors), over real HTTP against the local
 * runtime (`npm run dev`'s), on real dynalite and Postgres. Every route of any
 * app gets generic hostile input in test/reliability/routes.test.ts; this file
 * adds what needs the example's schemas and data:
 *
 *   - every answer is a success or a 4xx in the error contract
 *     `{"error":{"code","message"}}`; never a 5xx and never a hang;
 *   - rejected requests change nothing: item and row counts move only by the
 *     number of acknowledged creates/deletes, seeds stay as acknowledged;
 *   - SQL injection text in every string field is stored (or rejected) as
 *     data: schema catalog and pre-existing rows are unchanged;
 *   - the `authorization` header: anything but a valid token of the pool
 *     (junk, `Bearer` alone, huge, `alg: none`, tampered, another key, another
 *     pool, expired…) gets API Gateway's 401 on every signed-in route, the
 *     function never called, nothing changed.
 *
 * Requests are signed in as the example's users with real tokens of the
 * runtime's user pool: an author (posts), an organizer (events, registration
 * lists and cancellations) and attendees (one per registration).
 */
import fc from 'fast-check';
import { routes as registryRoutes } from '../../../functions/registry';
import { algNone, signedByAnotherKey, signedByPoolKey, tampered } from '../../reliability/auth';
import { assertContract, call, destroyAgent, isAuthorizerRefusal, parseJson, schemaFingerprint, startHarness, type Harness, type Reply } from '../../reliability/harness';
import { anyValue, bodyFor, hostileString, MAX_URL_PART, pathParam, queryString, queryValue, RUNS, sendBody, SQL_INJECTIONS, wire, type Body } from '../../reliability/inputs';

let h: Harness;
let post: { id: string; version: number };
let event: { id: string };
let registration: { id: string };
/** ID tokens of the seed post's author, of an organizer, and of the seed registration's attendee. */
const tokens = { author: '', organizer: '', attendee: '' };
let attendees = 0;
/** A user who has registered for nothing yet. */
const newAttendee = async () => (await h.users.signIn(`fuzz-attendee-${++attendees}@example.com`)).idToken;

beforeAll(async () => {
  h = await startHarness('fuzz');
  tokens.author = await h.users.token();
  tokens.organizer = await h.users.token(['organizers']);
  tokens.attendee = await newAttendee();
  const p = await call(h.url, 'POST', '/posts', { title: 'seed', body: 'seed body', author: 'seed' }, { token: tokens.author });
  expect(p.status).toBe(201);
  post = p.json;
  const e = await call(h.url, 'POST', '/events', { name: 'seed event', capacity: 1000, startsAt: '2030-01-01T09:00:00Z' }, { token: tokens.organizer });
  expect(e.status).toBe(201);
  event = e.json;
  const r = await call(h.url, 'POST', `/events/${event.id}/registrations`, { name: 'Seed' }, { token: tokens.attendee });
  expect(r.status).toBe(201);
  registration = r.json;
}, 120_000);

afterAll(async () => {
  destroyAgent();
  await h?.close();
});

interface Counts {
  posts: number;
  events: number;
  registrations: number;
  registered: number;
}

async function counts(): Promise<Counts> {
  const [posts, [sql]] = await Promise.all([
    h.itemCount('posts'),
    h.sql<{ events: number; registrations: number; registered: number }>(
      'SELECT (SELECT count(*)::int FROM events) AS events, (SELECT count(*)::int FROM registrations) AS registrations, (SELECT coalesce(sum(registered), 0)::int FROM events) AS registered',
    ),
  ]);
  return { posts, ...sql! };
}

// ---------------------------------------------------------------------------
// Inputs shaped like the example's
// ---------------------------------------------------------------------------

/** Cursors of GET /posts: base64url JSON of a posts-table key, well-formed or not. */
const cursorValue = fc.oneof(
  queryValue,
  fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
  fc
    .record({ v: fc.constantFrom<unknown>(1, 2, '1', null), k: fc.record({ id: anyValue, gsi1pk: fc.constantFrom<unknown>('posts', 'events', 1), gsi1sk: anyValue }, { requiredKeys: [] }) }, { requiredKeys: [] })
    .map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
  fc.constantFrom(
    Buffer.from('{"v":1,"k":{"id":"x","gsi1pk":"posts","gsi1sk":"2020-01-01T00:00:00.000Z#x","extra":{"S":"1"}}}').toString('base64url'),
    Buffer.from('{"v":1,"k":{"id":{"S":"x"},"gsi1pk":"posts","gsi1sk":"2020"}}').toString('base64url'),
    Buffer.from('{"v":1,"k":{"id":"x","gsi1pk":"other","gsi1sk":"2020-01-01T00:00:00.000Z#x"}}').toString('base64url'),
    'A'.repeat(1001),
  ),
).filter((c) => c.length <= MAX_URL_PART / 2);

const send = (method: string, target: string, body?: Body, token?: string) => sendBody(h.url, method, target, body, token === undefined ? {} : { authorization: `Bearer ${token}` });
const jsonBody = (value: unknown): Body => ({ bytes: JSON.stringify(value), type: 'application/json' });

const postShape = {
  title: hostileString,
  body: hostileString,
  author: hostileString,
};
const eventShape = {
  name: hostileString,
  capacity: fc.oneof(fc.integer({ min: -5, max: 200_000 }), fc.constantFrom(1, 100_000, 100_001, 0)),
  startsAt: fc.oneof(
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    fc.constantFrom('2030-01-01T00:00:00Z', '2030-02-30T00:00:00Z', '0000-01-01T00:00:00Z', '0001-01-01T00:00:00+14:00', '2028-02-29T12:00:00Z', '9999-12-31T23:59:59.999-14:00', '9999-12-31T23:59:59.999+14:00', '2030-01-01', 'yesterday'),
    hostileString,
  ),
};
/** `{ name }`; an `email` too now and then, which the strict schema must refuse (the email is the token's). */
const registrationShape = {
  name: hostileString,
  email: fc.oneof(fc.emailAddress(), hostileString, fc.constantFrom("o'hara@example.com", 'a+b@example.com', 'A@EXAMPLE.COM')),
};
/** True when a body is a JSON object with its own `email` key. */
const carriesEmail = (body: Body) => {
  const value = body.type === 'application/json' && typeof body.bytes === 'string' ? parseJson(body.bytes) : undefined;
  return typeof value === 'object' && value !== null && Object.hasOwn(value, 'email');
};

describe('hostile input never gets a 5xx or a hang, and rejected requests change nothing', () => {
  test('POST /posts', async () => {
    const before = await counts();
    let created = 0;
    await fc.assert(
      fc.asyncProperty(bodyFor(postShape), async (body) => {
        const r = await send('POST', '/posts', body, tokens.author);
        assertContract(r, `POST /posts ${String(body.type)}`, 'signed-in');
        if (r.status === 201) created++;
      }),
      { numRuns: RUNS * 3 },
    );
    const after = await counts();
    expect(after).toEqual({ ...before, posts: before.posts + created });
  });

  test('GET /posts with absurd limits and bad cursors', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(queryString, cursorValue.map((c) => `?cursor=${c}`), fc.tuple(queryValue, cursorValue).map(([l, c]) => `?limit=${l}&cursor=${c}`)).map(wire), async ({ s: qs }) => {
        const r = await send('GET', `/posts${qs}`);
        assertContract(r, `GET /posts${qs.slice(0, 200)}`);
        if (r.status === 200) expect(Array.isArray(parseJson(r.text).items)).toBe(true);
      }),
      { numRuns: RUNS * 3 },
    );
  });

  test('GET, PUT and DELETE /posts/{id} with hostile ids and bodies', async () => {
    const before = await counts();
    let deleted = 0;
    await fc.assert(
      fc.asyncProperty(pathParam, bodyFor({ ...postShape, version: fc.oneof(fc.integer(), fc.constant(post.version)) }), fc.boolean(), async (id, body, useSeed) => {
        const target = `/posts/${useSeed ? post.id : id.s}`;
        const g = await send('GET', target);
        assertContract(g, `GET ${target.slice(0, 200)}`);
        const u = await send('PUT', target, body, tokens.author);
        assertContract(u, `PUT ${target.slice(0, 200)}`, 'signed-in');
        if (u.status === 200) post = parseJson(u.text);
        if (!useSeed) {
          const d = await send('DELETE', target, undefined, tokens.author);
          assertContract(d, `DELETE ${target.slice(0, 200)}`, 'signed-in');
          if (d.status === 204) deleted++;
        }
      }),
      { numRuns: RUNS * 2 },
    );
    expect(deleted).toBe(0); // random ids never name an existing post
    expect(await counts()).toEqual(before);
    // The seed post is whatever the last acknowledged update made it.
    const stored = await call(h.url, 'GET', `/posts/${post.id}`);
    expect(stored.json).toEqual(post);
  });

  test('POST /events', async () => {
    const before = await counts();
    let created = 0;
    await fc.assert(
      fc.asyncProperty(bodyFor(eventShape), async (body) => {
        const r = await send('POST', '/events', body, tokens.organizer);
        assertContract(r, `POST /events ${String(body.type)}`, 'signed-in');
        if (r.status === 201) created++;
      }),
      { numRuns: RUNS * 3 },
    );
    expect(await counts()).toEqual({ ...before, events: before.events + created });
  });

  test('POST /events/{id}/registrations (a new attendee after each acknowledged one; never a body with an email)', async () => {
    const before = await counts();
    let created = 0;
    let attendee = await newAttendee();
    await fc.assert(
      fc.asyncProperty(fc.oneof(pathParam, fc.constant(wire(event.id))), bodyFor(registrationShape), async ({ s: id }, body) => {
        const target = `/events/${id}/registrations`;
        const r = await send('POST', target, body, attendee);
        assertContract(r, `POST ${target.slice(0, 200)} ${String(body.type)}`, 'signed-in');
        if (carriesEmail(body)) expect(r.status).not.toBe(201);
        if (r.status === 201) {
          created++;
          attendee = await newAttendee();
        }
      }),
      { numRuns: RUNS * 3 },
    );
    expect(await counts()).toEqual({ ...before, registrations: before.registrations + created, registered: before.registered + created });
  });

  test('DELETE /events/{id}/registrations/{registrationId} with hostile ids', async () => {
    const before = await counts();
    await fc.assert(
      fc.asyncProperty(fc.oneof(pathParam, fc.constant(wire(event.id))), pathParam, async ({ s: id }, { s: rid }) => {
        const target = `/events/${id}/registrations/${rid}`;
        // As an organizer, who may cancel anyone's registration.
        const r = await send('DELETE', target, undefined, tokens.organizer);
        assertContract(r, `DELETE ${target.slice(0, 200)}`, 'signed-in');
        expect(r.status).not.toBe(204);
      }),
      { numRuns: RUNS * 2 },
    );
    expect(await counts()).toEqual(before);
    const seed = await h.sql('SELECT id FROM registrations WHERE id = $1', [registration.id]);
    expect(seed).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------
// SQL injection: schema and existing data untouched
// ---------------------------------------------------------------------------

async function dataFingerprint(): Promise<Record<string, string>> {
  const [row] = await h.sql<Record<string, string>>(
    `SELECT (SELECT md5(coalesce(string_agg(e::text, '|' ORDER BY e.id), '')) FROM events e) AS events,
            (SELECT md5(coalesce(string_agg(r::text, '|' ORDER BY r.id), '')) FROM registrations r) AS registrations,
            (SELECT md5(coalesce(string_agg(m::text, '|' ORDER BY m.name), '')) FROM schema_migrations m) AS migrations`,
  );
  return row!;
}

test('SQL injection in every string field leaves the schema and existing data untouched', async () => {
  const schema = await schemaFingerprint(h);
  const data = await dataFingerprint();
  const eventsBefore = await h.sql<{ id: string }>('SELECT id FROM events');
  const injection = fc.constantFrom(...SQL_INJECTIONS);
  const stored: { table: 'events' | 'registrations'; id: string; field: string; value: string }[] = [];
  // A user whose (verified) email itself reads like an injection, taken from the token.
  const injectorEmail = "o'hara'--@example.com";
  const injector = (await h.users.signIn(injectorEmail)).idToken;

  await fc.assert(
    fc.asyncProperty(injection, injection, injection, async (a, b, c) => {
      const replies: Reply[] = [];
      // Posts (DynamoDB) and every SQL route's string fields, path and query.
      replies.push(await send('POST', '/posts', jsonBody({ title: a, body: b, author: c }), tokens.author));
      replies.push(await send('GET', `/posts?cursor=${encodeURIComponent(a)}&limit=${encodeURIComponent(b)}`));
      replies.push(await send('GET', `/posts/${encodeURIComponent(a)}`));
      const e = await send('POST', '/events', jsonBody({ name: a, capacity: 3, startsAt: b }), tokens.organizer);
      replies.push(e);
      const e2 = await send('POST', '/events', jsonBody({ name: b, capacity: 3, startsAt: '2030-01-01T00:00:00Z' }), tokens.organizer);
      replies.push(e2);
      if (e2.status === 201) stored.push({ table: 'events', id: parseJson(e2.text).id, field: 'name', value: b.trim() });
      for (const id of [a, `${event.id}${a}`, `${event.id}' OR '1'='1`]) {
        const encoded = encodeURIComponent(id);
        replies.push(await send('GET', `/events/${encoded}`));
        replies.push(await send('GET', `/events/${encoded}/registrations`, undefined, tokens.organizer));
        replies.push(await send('POST', `/events/${encoded}/registrations`, jsonBody({ name: c }), injector));
        replies.push(await send('DELETE', `/events/${encodeURIComponent(event.id)}/registrations/${encoded}`, undefined, tokens.organizer));
        replies.push(await send('DELETE', `/events/${encoded}/registrations/${encodeURIComponent(registration.id)}`, undefined, tokens.organizer));
      }
      replies.push(await send('GET', `/me/registrations?cursor=${encodeURIComponent(a)}&limit=${encodeURIComponent(b)}`, undefined, injector));
      // Registered for this run's new event: one registration per user and event.
      if (e2.status === 201) {
        const reg = await send('POST', `/events/${parseJson(e2.text).id}/registrations`, jsonBody({ name: c }), injector);
        replies.push(reg);
        if (reg.status === 201) stored.push({ table: 'registrations', id: parseJson(reg.text).id, field: 'name', value: c.trim() });
      }
      // The email is the token's: injection text in a body's email is refused, never stored.
      const email = await send('POST', `/events/${event.id}/registrations`, jsonBody({ name: 'n', email: `${a}@example.com` }), injector);
      expect([email.status, parseJson(email.text)?.error?.code]).toEqual([400, 'validation_failed']);
      for (const r of [...replies, email]) assertContract(r, 'injection', 'signed-in');
    }),
    { numRuns: RUNS },
  );

  expect(await schemaFingerprint(h)).toBe(schema);
  // Rows that existed before are byte-for-byte the same (new rows were only added).
  const old = eventsBefore.map((e) => e.id);
  const [oldEvents] = await h.sql<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE id = ANY($1::uuid[])', [old]);
  expect(oldEvents!.n).toBe(old.length);
  const now = await dataFingerprint();
  expect(now.migrations).toBe(data.migrations);
  const [seed] = await h.sql('SELECT id::text, name, capacity FROM events WHERE id = $1', [event.id]);
  expect(seed).toEqual({ id: event.id, name: 'seed event', capacity: 1000 });
  // Injected text was stored verbatim, as data.
  expect(stored.length).toBeGreaterThan(0);
  for (const s of stored) {
    const [row] = await h.sql<{ v: string }>(`SELECT ${s.field} AS v FROM ${s.table} WHERE id = $1`, [s.id]);
    expect(row?.v).toBe(s.value);
  }
  const registered = stored.filter((s) => s.table === 'registrations').map((s) => s.id);
  expect(registered.length).toBeGreaterThan(0);
  const emails = await h.sql<{ email: string }>('SELECT DISTINCT email FROM registrations WHERE id = ANY($1::uuid[])', [registered]);
  expect(emails).toEqual([{ email: injectorEmail }]);
});

// ---------------------------------------------------------------------------
// The authorization header
// ---------------------------------------------------------------------------

test('the authorization header: anything but a valid token gets API Gateway\'s 401 on every signed-in route, the function never called, nothing changed', async () => {
  const signedIn = (registryRoutes as readonly { method: string; path: string; auth?: object }[]).filter((r) => r.auth);
  // Requests a valid token would make succeed (or change data): a refusal is the authorizer's doing alone.
  const requests: [string, string, Body?][] = [
    ['POST', '/posts', jsonBody({ title: 't', body: 'b', author: 'a' })],
    ['PUT', `/posts/${post.id}`, jsonBody({ title: 'taken over', version: post.version })],
    ['DELETE', `/posts/${post.id}`],
    ['POST', '/events', jsonBody({ name: 'e', capacity: 5, startsAt: '2030-01-01T00:00:00Z' })],
    ['POST', `/events/${event.id}/registrations`, jsonBody({ name: 'n' })],
    ['GET', `/events/${event.id}/registrations`],
    ['DELETE', `/events/${event.id}/registrations/${registration.id}`],
    ['GET', '/me/registrations'],
    ['GET', `/me/registrations/${registration.id}`],
  ];
  // Every signed-in route of the registry is among them.
  const keyOf = (method: string, path: string) => `${method} ${path.replace(/\/[0-9a-f-]{36}/g, '/{}').replace(/\{[^}]+\}/g, '{}')}`;
  expect(new Set(requests.map(([m, t]) => keyOf(m, t)))).toEqual(new Set(signedIn.map((r) => keyOf(r.method, r.path))));

  const other = await h.users.otherPoolToken();
  const now = Math.floor(Date.now() / 1000);
  const printable = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 200 });
  const segment = fc.base64String({ minLength: 4, maxLength: 4000 }).map((s) => s.replace(/=/g, '').replace(/\+/g, '-').replace(/\//g, '_'));
  const valid = fc.constantFrom(tokens.author, tokens.organizer, tokens.attendee);
  const authorization = fc.oneof(
    fc.constantFrom('', 'Bearer', 'Bearer ', 'Bearer null', 'Bearer undefined', 'Basic dXNlcjpwYXNzd29yZA==', 'Bearer a.b.c', 'Bearer ..', 'Bearer e30.e30.', 'Bearer e30.e30.e30'),
    printable,
    printable.map((s) => `Bearer ${s}`),
    // Huge, under the 16 KB header limit: three base64url segments of up to 4000 characters.
    fc.tuple(segment, segment, segment).map((parts) => `Bearer ${parts.join('.')}`),
    valid.map((t) => `Bearer ${algNone(t)}`),
    valid.map((t) => `Bearer ${algNone(t, true)}`),
    valid.map((t) => `Bearer ${tampered(t)}`),
    valid.map((t) => `Bearer ${tampered(t, { exp: now + 86_400 })}`),
    valid.map((t) => `Bearer ${signedByAnotherKey(t)}`),
    valid.map((t) => `Bearer ${signedByPoolKey(t, { iat: now - 7200, exp: now - 60 })}`),
    valid.map((t) => `Bearer ${signedByPoolKey(t, { nbf: now + 3600 })}`),
    valid.map((t) => `Bearer ${signedByPoolKey(t, { aud: 'another-app-client' })}`),
    valid.map((t) => `Bearer ${signedByPoolKey(t, { iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_XXXXXXXXX' })}`),
    valid.map((t) => `Bearer ${t.split('.').slice(0, 2).join('.')}`),
    valid.map((t) => `Bearer ${t}.${t.split('.')[2]}`),
    valid.map((t) => `Bearer Bearer ${t}`),
    fc.constant(`Bearer ${other}`),
    fc.constant(other),
  );

  const before = await counts();
  const refused: Reply[] = [];
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...requests), authorization.map(wire), async ([method, target, body], { s: header }) => {
      const r = await sendBody(h.url, method, target, body, { authorization: header });
      if (!isAuthorizerRefusal(r)) throw new Error(`${method} ${target} with authorization ${JSON.stringify(header.slice(0, 120))} -> ${r.status} ${r.text.slice(0, 200)}`);
      const seen = h.invocations.of(r);
      expect([seen.access?.status, seen.access?.functionName]).toEqual([401, undefined]);
      refused.push(r);
    }),
    { numRuns: RUNS * 3 },
  );
  // The functions' log lines come over pipes: give any of a refused request's time to arrive. None may.
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(refused.filter((r) => h.invocations.of(r).functionLogged)).toEqual([]);
  expect(await counts()).toEqual(before);
  expect((await call(h.url, 'GET', `/posts/${post.id}`)).json).toEqual(post);
});
