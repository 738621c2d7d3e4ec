/**
 * Faults against the local runtime, through real means: the embedded Postgres
 * is stopped and started again, dynalite's server is closed and reopened, a
 * function outlives its timeout, and a real `npm run dev` is SIGKILLed.
 * Requests are signed in with real tokens of the runtime's user pool: an
 * organizer (events, registration lists), an author (posts) and one attendee
 * per acknowledged registration.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { listProcesses, processEnvironment } from '../../support/proc';
import fs from 'node:fs/promises';
import path from 'node:path';
import { routes as registryRoutes } from '../../../functions/registry';
import type { RouteDefinition } from '../../../functions/registry-types';
import { startDynamo, type LocalDynamo } from '../../../scripts/local/dynamo';
import { startPostgres, type LocalPostgres } from '../../../scripts/local/postgres';
import { REPO_ROOT } from '../../../infra/paths';
import { runningUserPool, signIn } from '../../../scripts/local/cognito/sign-in';
import { Attendees } from '../../reliability/auth';
import { call, destroyAgent, isContractError, parseJson, startHarness, tempDir, type Harness, type Reply } from '../../reliability/harness';

/** "Quickly": well under the functions' 10-15 s timeouts. */
const QUICK_MS = 5_000;

const slowRoute: RouteDefinition = {
  name: 'slow',
  method: 'GET',
  path: '/slow',
  handler: path.relative(path.join(REPO_ROOT, 'functions'), path.join(import.meta.dirname, 'fixtures', 'slow.ts')),
  timeoutSeconds: 1,
};

let h: Harness;
let restartedPg: LocalPostgres | undefined;
let restartedDynamo: LocalDynamo | undefined;
let eventId: string;
let postId: string;
let organizer: string;
let author: string;
let attendees: Attendees;

beforeAll(async () => {
  h = await startHarness('faults', { routes: [...(registryRoutes as readonly RouteDefinition[]), slowRoute] });
  organizer = await h.users.token(['organizers']);
  author = await h.users.token();
  attendees = new Attendees(h.users, 'fault-attendee');
  await attendees.ahead(8);
  const e = await call(h.url, 'POST', '/events', { name: 'fault event', capacity: 10_000, startsAt: '2030-01-01T00:00:00Z' }, { token: organizer });
  expect(e.status).toBe(201);
  eventId = e.json.id;
  const p = await call(h.url, 'POST', '/posts', { title: 'fault post', body: 'b', author: 'a' }, { token: author });
  expect(p.status).toBe(201);
  postId = p.json.id;
}, 120_000);

afterAll(async () => {
  destroyAgent();
  // The databases this file restarted first, while their data dir still exists.
  await restartedPg?.stop();
  await restartedDynamo?.stop();
  await h?.close();
});

/** A registration by a user who has none yet for the event (given back when not acknowledged). */
async function register(): Promise<Reply> {
  const token = await attendees.take();
  const r = await call(h.url, 'POST', `/events/${eventId}/registrations`, { name: 'Fault' }, { token });
  if (r.status !== 201) attendees.giveBack(token);
  return r;
}

/** One request per SQL route (both adapters) and per DynamoDB route. */
const sqlRequests = () => [
  call(h.url, 'GET', `/events/${eventId}`), // Data API
  call(h.url, 'POST', '/events', { name: 'during fault', capacity: 5, startsAt: '2030-01-01T00:00:00Z' }, { token: organizer }), // Data API
  register(), // proxy, transaction
  call(h.url, 'GET', `/events/${eventId}/registrations`, undefined, { token: organizer }), // proxy
];
const dynamoRequests = () => [
  call(h.url, 'GET', `/posts/${postId}`),
  call(h.url, 'GET', '/posts?limit=5'),
  call(h.url, 'POST', '/posts', { title: 'during fault', body: 'b', author: 'a' }, { token: author }),
];

function expectUnavailable(r: Reply, label: string): void {
  const body = parseJson(r.text);
  expect([label, r.status, body?.error?.code]).toEqual([label, 503, 'unavailable']);
  expect(isContractError({ ...r, status: 499 })).toBe(true); // same shape as every error
  expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
  expect(r.ms).toBeLessThan(QUICK_MS);
}

function expectOk(r: Reply, label: string): void {
  expect([label, r.status >= 200 && r.status < 300]).toEqual([label, true]);
}

/** Background traffic on every route while a fault happens: never a 500, never a hang. */
function backgroundLoad(): { stop(): Promise<Reply[]> } {
  let running = true;
  const replies: Reply[] = [];
  const loop = async () => {
    while (running) {
      replies.push(...(await Promise.all([...sqlRequests(), ...dynamoRequests()])));
    }
  };
  const loops = [loop(), loop()];
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return replies;
    },
  };
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not recovered within ${timeoutMs} ms`);
}

const allOk = (replies: Reply[]) => replies.every((r) => r.status >= 200 && r.status < 300);

describe('Postgres killed (SIGKILL of the postmaster)', () => {
  test('the runtime says so, starts it again on the same port, and SQL routes recover without a restart', async () => {
    const logsBefore = h.logs.length;
    const killed = h.runtime.postgres;
    process.kill(killed.pid, 'SIGKILL');
    await killed.exited;
    const recoveredIn = await eventually(async () => allOk(await Promise.all([...sqlRequests(), call(h.url, 'GET', '/health')])));
    // Clients may reconnect a moment before the supervisor logs the restart.
    await eventually(async () => h.logs.slice(logsBefore).some((l) => /^postgres restarted \(pid \d+\)$/.test(l)));
    const logs = h.logs.slice(logsBefore);
    expect(logs).toContainEqual(`postgres exited unexpectedly (killed by signal 9); restarting it on port ${killed.port}`);
    expect(logs).toContainEqual(expect.stringMatching(/^postgres restarted \(pid \d+\)$/));
    expect(h.runtime.postgres.pid).not.toBe(killed.pid);
    expect(h.runtime.postgres.port).toBe(killed.port);
    console.log(`Postgres SIGKILLed: SQL routes recovered in ${recoveredIn} ms`);
  }, 60_000);
});

describe('first deploy: the database not reachable yet', () => {
  test('the migrate task retries with backoff until the proxy reaches Postgres, then migrates', async () => {
    await h.runtime.faults.stopPostgres();
    const started = Date.now();
    const outcome = h.runtime.invokeTask('migrate', { source: 'faults-test' });
    // Longer than the adapter's 3 s connect timeout: the first attempt fails.
    await new Promise((r) => setTimeout(r, 5000));
    await h.runtime.faults.startPostgres();
    const result = await outcome;
    expect(result.kind).toBe('result');
    const payload = JSON.parse((result as { payload: string }).payload) as { ok: boolean; attempts: number };
    expect(payload).toMatchObject({ ok: true });
    expect(payload.attempts).toBeGreaterThanOrEqual(2);
    console.log(`migrate task: ${payload.attempts} attempts, done ${Date.now() - started} ms after the call (database back after 5000 ms)`);
  }, 60_000);
});

describe('Postgres stopped under load', () => {
  test('SQL routes answer 503 unavailable quickly with retry-after, DynamoDB routes keep working, and SQL recovers without a runtime restart', async () => {
    const logsBefore = h.logs.length;
    const load = backgroundLoad();
    await new Promise((r) => setTimeout(r, 500));
    const pg = h.runtime.postgres;
    await pg.stop();

    for (const r of await Promise.all(sqlRequests())) expectUnavailable(r, 'sql route while Postgres is down');
    const health = await call(h.url, 'GET', '/health');
    expectUnavailable(health, '/health while Postgres is down');
    for (const r of await Promise.all(dynamoRequests())) expectOk(r, 'dynamodb route while Postgres is down');
    await new Promise((r) => setTimeout(r, 1000));

    restartedPg = await startPostgres({ dataDir: path.join(h.dataDir, 'postgres'), port: pg.port, user: pg.user, password: pg.password, database: pg.database });
    const recoveredIn = await eventually(async () => allOk(await Promise.all(sqlRequests())));
    expect((await call(h.url, 'GET', '/health')).status).toBe(200);

    const replies = await load.stop();
    // Under load and across the outage: only successes and 503 unavailable, each answered quickly.
    const bad = replies.filter((r) => !(r.status < 300 || (r.status === 503 && parseJson(r.text)?.error?.code === 'unavailable' && r.headers['retry-after'])));
    expect(bad.map((r) => `${r.status} ${r.text.slice(0, 120)}`)).toEqual([]);
    expect(Math.max(...replies.map((r) => r.ms))).toBeLessThan(QUICK_MS);
    expect(replies.filter((r) => r.status === 503).length).toBeGreaterThan(0);
    // No sandbox crashed or was replaced: the same pools reconnected.
    expect(h.logs.slice(logsBefore).filter((l) => /Runtime\.|timed out|exited/.test(l))).toEqual([]);
    console.log(`Postgres fault: ${replies.length} requests under load, ${replies.filter((r) => r.status === 503).length} x 503, SQL routes recovered ${recoveredIn} ms after Postgres was back`);
  });

  test('registrations acknowledged across the outage are all stored, and the counter matches', async () => {
    const [row] = await h.sql<{ stored: number; registered: number }>(
      'SELECT (SELECT count(*)::int FROM registrations WHERE event_id = $1) AS stored, (SELECT registered FROM events WHERE id = $1) AS registered',
      [eventId],
    );
    expect(row!.registered).toBe(row!.stored);
  });
});

describe('Postgres frozen (every process SIGSTOPped: sockets open, nothing answers)', () => {
  test('SQL routes answer 503 unavailable with retry-after from the function (reads within 5 s, writes within their route budget) and recover on SIGCONT', async () => {
    const postmaster = restartedPg?.pid ?? h.runtime.postgres.pid;
    const children = listProcesses()
      .filter((p) => p.ppid === postmaster)
      .map((p) => p.pid);
    const frozen = [postmaster, ...children];
    // A backend may exit between the scan and the signal: never let that skip the SIGCONT.
    const signal = (sig: NodeJS.Signals) => {
      for (const pid of frozen) {
        try {
          process.kill(pid, sig);
        } catch {
          /* gone */
        }
      }
    };
    let replies: Reply[] = [];
    try {
      signal('SIGSTOP');
      replies = await Promise.all([...sqlRequests(), call(h.url, 'GET', '/health')]);
    } finally {
      signal('SIGCONT');
    }
    for (const r of replies) {
      expect([r.status, parseJson(r.text)?.error?.code]).toEqual([503, 'unavailable']);
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    }
    // Reads fail fast through the adapters' client-side limits (connect 2 s,
    // read statement 2.5 s; the Data API call 4.5 s in all); writes within
    // their route's budget (8 s per statement; the handler's own deadline).
    const [eventsGet, eventsCreate, registrationsCreate, registrationsList, health] = replies!;
    for (const read of [eventsGet, registrationsList, health]) expect(read!.ms).toBeLessThan(5_000);
    expect(eventsCreate!.ms).toBeLessThan(10_000);
    expect(registrationsCreate!.ms).toBeLessThan(15_000);
    console.log(`Postgres frozen: ${replies.map((r) => `${r.status} in ${Math.round(r.ms)} ms`).join(', ')}`);
    await eventually(async () => allOk(await Promise.all(sqlRequests())));
  }, 60_000);
});

describe('DynamoDB unreachable', () => {
  test('DynamoDB routes answer 503 unavailable quickly with retry-after, SQL routes keep working, and DynamoDB recovers without a runtime restart', async () => {
    const logsBefore = h.logs.length;
    const load = backgroundLoad();
    await new Promise((r) => setTimeout(r, 500));
    const dynamo = h.runtime.dynamo;
    await dynamo.stop();

    for (const r of await Promise.all(dynamoRequests())) expectUnavailable(r, 'dynamodb route while DynamoDB is unreachable');
    expectUnavailable(await call(h.url, 'GET', '/health'), '/health while DynamoDB is unreachable');
    for (const r of await Promise.all(sqlRequests())) expectOk(r, 'sql route while DynamoDB is unreachable');
    await new Promise((r) => setTimeout(r, 1000));

    restartedDynamo = await startDynamo({ path: path.join(h.dataDir, 'dynamodb'), port: dynamo.port });
    const recoveredIn = await eventually(async () => allOk(await Promise.all(dynamoRequests())));
    expect((await call(h.url, 'GET', '/health')).status).toBe(200);
    // Data written before the outage is still there.
    expect((await call(h.url, 'GET', `/posts/${postId}`)).json.title).toBe('fault post');

    const replies = await load.stop();
    const bad = replies.filter((r) => !(r.status < 300 || (r.status === 503 && parseJson(r.text)?.error?.code === 'unavailable' && r.headers['retry-after'])));
    expect(bad.map((r) => `${r.status} ${r.text.slice(0, 120)}`)).toEqual([]);
    expect(Math.max(...replies.map((r) => r.ms))).toBeLessThan(QUICK_MS);
    expect(h.logs.slice(logsBefore).filter((l) => /Runtime\.|timed out|exited/.test(l))).toEqual([]);
    console.log(`DynamoDB fault: ${replies.length} requests under load, ${replies.filter((r) => r.status === 503).length} x 503, recovered ${recoveredIn} ms after dynalite was back`);
  });
});

describe('function timeout', () => {
  test.each([
    ['awaits past its timeout', 'sleep&ms=30000'],
    ['blocks its thread forever', 'spin'],
  ])('a handler that %s gets 500 at the timeout, as API Gateway answers a timed-out function, and the runtime stays healthy', async (_label, mode) => {
    const r = await call(h.url, 'GET', `/slow?mode=${mode}`);
    expect(r.status).toBe(500);
    expect(r.json).toEqual({ message: 'Internal Server Error' });
    expect(r.ms).toBeGreaterThanOrEqual(900);
    expect(r.ms).toBeLessThan(QUICK_MS);
    // The next invocation gets a fresh sandbox; every other function is untouched.
    expect((await call(h.url, 'GET', '/slow')).status).toBe(200);
    expect((await call(h.url, 'GET', '/health')).status).toBe(200);
    expect((await call(h.url, 'GET', `/posts/${postId}`)).status).toBe(200);
    expect((await call(h.url, 'GET', `/events/${eventId}`)).status).toBe(200);
  });

  test('concurrent timeouts do not block other requests', async () => {
    let slowDone = 0;
    const slow = Promise.all([1, 2, 3].map(() => call(h.url, 'GET', '/slow?mode=sleep&ms=30000').finally(() => slowDone++)));
    const fast = await call(h.url, 'GET', `/posts/${postId}`);
    expect(fast.status).toBe(200);
    expect(slowDone).toBe(0); // answered while the three were still waiting for their timeout
    expect((await slow).map((r) => r.status)).toEqual([500, 500, 500]);
  });
});

// ---------------------------------------------------------------------------
// A SIGKILLed `npm run dev`
// ---------------------------------------------------------------------------

/** Processes tied to a data dir: our launchers/runtime (by environment) and a postmaster on it (by command line). */
function processesOf(dataDir: string): string[] {
  return listProcesses()
    .filter((p) => p.pid !== process.pid && p.state !== 'Z')
    .filter((p) => processEnvironment(p.pid).includes(`LOCAL_DATA_DIR=${dataDir}`) || p.argv.join(' ').includes(path.join(dataDir, 'postgres')))
    .map((p) => `${p.pid} ${p.argv.join(' ').slice(0, 100)}`);
}

function startDev(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn('npm', ['run', 'dev', '--', '--quiet'], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: '0', LOCAL_DATA_DIR: dataDir, npm_config_update_notifier: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, as a terminal's job: we kill only npm itself, never the group.
    detached: true,
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm run dev not ready in 60 s:\n${out.slice(-2000)}`)), 60_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = /Local API listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm run dev exited (${code}) before ready:\n${out.slice(-2000)}`));
    });
  });
}

describe('a SIGKILLed npm run dev', () => {
  let dataDir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    dataDir = await tempDir('killed');
  });

  afterAll(async () => {
    for (const c of children) {
      if (c.pid && c.exitCode === null) {
        try {
          process.kill(-c.pid, 'SIGTERM');
        } catch {
          /* already gone */
        }
      }
    }
    await eventually(async () => processesOf(dataDir).length === 0, 20_000).catch(() => undefined);
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  test('leaves no orphan process, and a restart keeps every write made before the kill', async () => {
    const first = await startDev(dataDir);
    children.push(first.child);
    const token = async (email: string, groups: string[] = []) => (await signIn(await runningUserPool(dataDir), dataDir, { email, groups })).idToken;
    const post = await call(first.url, 'POST', '/posts', { title: 'before kill', body: 'kept', author: 'a' }, { token: await token('author@example.com') });
    expect(post.status).toBe(201);
    const event = await call(first.url, 'POST', '/events', { name: 'before kill', capacity: 3, startsAt: '2030-01-01T00:00:00Z' }, { token: await token('olga@example.com', ['organizers']) });
    expect(event.status).toBe(201);
    const reg = await call(first.url, 'POST', `/events/${event.json.id}/registrations`, { name: 'Kept' }, { token: await token('kept@example.com') });
    expect(reg.status).toBe(201);
    expect(processesOf(dataDir).length).toBeGreaterThan(0);

    // SIGKILL npm, the process the user started: no handler runs anywhere in it.
    process.kill(first.child.pid!, 'SIGKILL');
    const goneIn = await eventually(async () => processesOf(dataDir).length === 0, 20_000).catch(() => {
      throw new Error(`orphans left after SIGKILL of npm run dev:\n${processesOf(dataDir).join('\n')}`);
    });
    console.log(`SIGKILL npm run dev: every process of it gone ${goneIn} ms later`);

    const second = await startDev(dataDir);
    children.push(second.child);
    expect((await call(second.url, 'GET', `/posts/${post.json.id}`)).json).toEqual(post.json);
    expect((await call(second.url, 'GET', `/events/${event.json.id}`)).json).toMatchObject({ id: event.json.id, registered: 1 });
    // The user pool kept its users: the organizer signs in again on the restarted runtime.
    const regs = await call(second.url, 'GET', `/events/${event.json.id}/registrations`, undefined, { token: await token('olga@example.com') });
    expect(regs.json.items.map((r: { id: string }) => r.id)).toEqual([reg.json.id]);

    // The whole process group SIGKILLed at once (e.g. a CI runner cancelling the job).
    process.kill(-second.child.pid!, 'SIGKILL');
    await eventually(async () => processesOf(dataDir).length === 0, 20_000).catch(() => {
      throw new Error(`orphans left after SIGKILL of the group:\n${processesOf(dataDir).join('\n')}`);
    });
  }, 180_000);
});
