/**
 * The bounded version of `npm run bench:load`: a few seconds of the mixed
 * workload against the local runtime, then every acknowledged write is read
 * back from DynamoDB and Postgres. Every write is signed in with a real token
 * of the runtime's user pool (posts by their authors, events by an organizer,
 * each registration by its own attendee). Asserts zero errors and zero lost writes;
 * speed is reported by the benchmark, never asserted here.
 */
import { formatLoad, runLoad, verifyLoad, type LoadTarget } from '../../../scripts/bench-load-lib';
import { destroyAgent, startHarness, type Harness } from '../../reliability/harness';

let h: Harness;
let target: LoadTarget;

beforeAll(async () => {
  h = await startHarness('load');
  target = {
    url: h.url,
    postgres: h.runtime.postgres,
    dynamo: { endpoint: h.runtime.dynamo.endpoint, postsTable: h.tableName('posts') },
    userPool: { state: h.runtime.userPool!, dataDir: h.dataDir },
  };
}, 120_000);

afterAll(async () => {
  destroyAgent();
  await h?.close();
});

test('mixed load: zero errors, and every acknowledged write is stored as acknowledged', async () => {
  // Small event capacity so some events fill up under load: registrations must stop exactly there.
  const result = await runLoad(target, { durationSeconds: Number(process.env.LOAD_SECONDS ?? 4), connections: 8, seedPosts: 10, registrationEvents: 3, smallEventCapacity: 25, eventCapacity: 25 });
  const verification = await verifyLoad(target, result.ledger);
  console.log(formatLoad(result, verification));

  expect(result.totalRequests).toBeGreaterThan(0);
  expect({ errors: result.errors, timeouts: result.timeouts, unexpected: result.unexpected, examples: result.unexpectedExamples }).toEqual({
    errors: 0,
    timeouts: 0,
    unexpected: 0,
    examples: [],
  });
  expect(result.non2xx).toBe(result.expectedConflicts);
  // Every register op found an attendee not yet registered for its event (one registration per user and event).
  expect(result.attendeesShort).toBe(0);
  expect(verification.problems).toEqual([]);
  for (const e of verification.registrations) {
    expect(e.stored).toBeLessThanOrEqual(e.capacity);
    expect(e.registered).toBe(e.stored);
    expect(e.missing).toBe(0);
    expect(e.wrongAttendee).toBe(0);
  }
  // Every operation of the mix ran.
  for (const [op, stats] of Object.entries(result.ops)) expect([op, stats.sent > 0]).toEqual([op, true]);
});
