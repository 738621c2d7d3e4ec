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
 *     data: schema catalog and pre-existing rows are unchanged.
 */
import fc from 'fast-check';
import { assertContract, call, destroyAgent, parseJson, schemaFingerprint, startHarness, type Harness, type Reply } from '../../reliability/harness';
import { anyValue, bodyFor, hostileString, MAX_URL_PART, pathParam, queryString, queryValue, RUNS, sendBody, SQL_INJECTIONS, wire, type Body } from '../../reliability/inputs';

let h: Harness;
let post: { id: string; version: number };
let event: { id: string };
let registration: { id: string };

beforeAll(async () => {
  h = await startHarness('fuzz');
  const p = await call(h.url, 'POST', '/posts', { title: 'seed', body: 'seed body', author: 'seed' });
  expect(p.status).toBe(201);
  post = p.json;
  const e = await call(h.url, 'POST', '/events', { name: 'seed event', capacity: 1000, startsAt: '2030-01-01T09:00:00Z' });
  expect(e.status).toBe(201);
  event = e.json;
  const r = await call(h.url, 'POST', `/events/${event.id}/registrations`, { name: 'Seed', email: 'seed@example.com' });
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

const send = (method: string, target: string, body?: Body) => sendBody(h.url, method, target, body);

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
const registrationShape = {
  name: hostileString,
  email: fc.oneof(fc.emailAddress(), hostileString, fc.constantFrom("o'hara@example.com", 'a+b@example.com', 'A@EXAMPLE.COM')),
};

describe('hostile input never gets a 5xx or a hang, and rejected requests change nothing', () => {
  test('POST /posts', async () => {
    const before = await counts();
    let created = 0;
    await fc.assert(
      fc.asyncProperty(bodyFor(postShape), async (body) => {
        const r = await send('POST', '/posts', body);
        assertContract(r, `POST /posts ${String(body.type)}`);
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
        const u = await send('PUT', target, body);
        assertContract(u, `PUT ${target.slice(0, 200)}`);
        if (u.status === 200) post = parseJson(u.text);
        if (!useSeed) {
          const d = await send('DELETE', target);
          assertContract(d, `DELETE ${target.slice(0, 200)}`);
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
        const r = await send('POST', '/events', body);
        assertContract(r, `POST /events ${String(body.type)}`);
        if (r.status === 201) created++;
      }),
      { numRuns: RUNS * 3 },
    );
    expect(await counts()).toEqual({ ...before, events: before.events + created });
  });

  test('POST /events/{id}/registrations', async () => {
    const before = await counts();
    let created = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(pathParam, fc.constant(wire(event.id))), bodyFor(registrationShape), async ({ s: id }, body) => {
        const target = `/events/${id}/registrations`;
        const r = await send('POST', target, body);
        assertContract(r, `POST ${target.slice(0, 200)} ${String(body.type)}`);
        if (r.status === 201) created++;
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
        const r = await send('DELETE', target);
        assertContract(r, `DELETE ${target.slice(0, 200)}`);
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

  await fc.assert(
    fc.asyncProperty(injection, injection, injection, async (a, b, c) => {
      const replies: Reply[] = [];
      // Posts (DynamoDB) and every SQL route's string fields, path and query.
      replies.push(await send('POST', '/posts', { bytes: JSON.stringify({ title: a, body: b, author: c }), type: 'application/json' }));
      replies.push(await send('GET', `/posts?cursor=${encodeURIComponent(a)}&limit=${encodeURIComponent(b)}`));
      replies.push(await send('GET', `/posts/${encodeURIComponent(a)}`));
      const e = await send('POST', '/events', { bytes: JSON.stringify({ name: a, capacity: 3, startsAt: b }), type: 'application/json' });
      replies.push(e);
      const e2 = await send('POST', '/events', { bytes: JSON.stringify({ name: b, capacity: 3, startsAt: '2030-01-01T00:00:00Z' }), type: 'application/json' });
      replies.push(e2);
      if (e2.status === 201) stored.push({ table: 'events', id: parseJson(e2.text).id, field: 'name', value: b.trim() });
      for (const id of [a, `${event.id}${a}`, `${event.id}' OR '1'='1`]) {
        const encoded = encodeURIComponent(id);
        replies.push(await send('GET', `/events/${encoded}`));
        replies.push(await send('GET', `/events/${encoded}/registrations`));
        replies.push(await send('POST', `/events/${encoded}/registrations`, { bytes: JSON.stringify({ name: c, email: 'x@example.com' }), type: 'application/json' }));
        replies.push(await send('DELETE', `/events/${encodeURIComponent(event.id)}/registrations/${encoded}`));
        replies.push(await send('DELETE', `/events/${encoded}/registrations/${encodeURIComponent(registration.id)}`));
      }
      const email = `${Math.random().toString(36).slice(2)}@example.com`;
      const reg = await send('POST', `/events/${event.id}/registrations`, { bytes: JSON.stringify({ name: c, email }), type: 'application/json' });
      replies.push(reg);
      if (reg.status === 201) stored.push({ table: 'registrations', id: parseJson(reg.text).id, field: 'name', value: c.trim() });
      replies.push(await send('POST', `/events/${event.id}/registrations`, { bytes: JSON.stringify({ name: 'n', email: `${a}@example.com` }), type: 'application/json' }));
      for (const r of replies) assertContract(r, 'injection');
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
});
