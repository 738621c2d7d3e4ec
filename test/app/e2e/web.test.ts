/**
 * The whole app in a real browser: headless Debian chromium (playwright-core)
 * on the web app that `npm run dev` serves (startLocalApp: the local API, the
 * Cognito user pool emulator, the topic → queue → confirmations task, and the
 * built front end on its own origin), driven by labels and buttons as a
 * person uses it. Every step is checked against the real rows behind it.
 *
 * Without /usr/bin/chromium the test fails when CI=true (`.ci/run` installs it)
 * and is skipped with a notice elsewhere.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startLocalApp, type LocalApp } from '../../../scripts/local/web';
import * as walk from '../../../scripts/web/walk';

const haveChromium = existsSync(walk.CHROMIUM);
const inCi = process.env.CI === 'true';
if (!haveChromium && !inCi) {
  console.warn(`web app browser test skipped: ${walk.CHROMIUM} not found (install Debian's chromium: apt-get install -y chromium)`);
}
const describeBrowser = haveChromium || inCi ? describe : describe.skip;

const PASSWORD = 'Correct-Horse-Battery-9!';

describeBrowser('the web app in a real browser', () => {
  let dataDir: string;
  let app: LocalApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  const logs: string[] = [];
  const tag = Math.random().toString(36).slice(2, 7);
  const names = { open: `DevConf ${tag}`, full: `Sold Out Summit ${tag}`, last: `Last Seat Forum ${tag}` };
  const events: Record<keyof typeof names, { id: string }> = {} as never;

  async function sql<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
    const { host, port, user, password, database } = app.runtime.postgres;
    const c = new pg.Client({ host, port, user, password, database });
    await c.connect();
    try {
      return (await c.query<T>(text, values)).rows;
    } finally {
      await c.end();
    }
  }

  const seatsTaken = async (id: string) => ((await (await fetch(`${app.runtime.url}/events/${id}`)).json()) as { registered: number }).registered;

  beforeAll(async () => {
    if (!haveChromium) {
      throw new Error(`chromium is required for the browser test but ${walk.CHROMIUM} is missing; .ci/run installs it (apt-get install -y chromium), or set CHROMIUM_PATH`);
    }
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sps-test-e2e-web-'));
    await fs.chmod(dataDir, 0o755);
    app = await startLocalApp({ port: 0, webPort: 0, dataDir, functionLogs: () => undefined, log: (m) => logs.push(m) });
    events.open = await walk.createEvent(app, names.open, 5, 20);
    events.full = await walk.createEvent(app, names.full, 1, 21);
    events.last = await walk.createEvent(app, names.last, 1, 22);
    await walk.takeSeat(app, events.full.id, 'early-bird@example.com');
    browser = await walk.launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    page = await context.newPage();
    problems = walk.watchProblems(page);
  });

  afterEach(async () => {
    await context?.close();
  });

  test('sign up, sign in, register, see the confirmation appear, find it in "my registrations", cancel', async () => {
    const email = `ann-${tag}@example.com`;
    await page.goto(app.web.url);
    await walk.heading(page, 'Upcoming events');
    await expect(page.getByRole('listitem').filter({ hasText: names.open }).textContent()).resolves.toContain('5 of 5 seats left');

    // Sign up: the pool "emails" a code (the emulator keeps it with the user), entered on the confirmation page.
    await walk.signUp(page, email, PASSWORD);
    await walk.confirmAccount(page, await walk.emailedCode(app, email));
    await page.getByText('Your account is confirmed. Sign in to continue.').waitFor();
    // Confirming with the emailed code verifies the email, as Cognito does (the API only reads a verified email).
    expect(await walk.emailVerified(app, email)).toBe(true);

    // Sign in: the header says who is signed in; the tokens are in sessionStorage, no cookie.
    await walk.signInWith(page, email, PASSWORD);
    expect(await context.cookies()).toEqual([]);
    const stored = await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.endsWith('.idToken')).length);
    expect(stored).toBe(1);

    // Register: the result page shows the confirmation once the task has issued it.
    await walk.openEvent(page, names.open);
    await page.getByText('5 of 5 seats left').waitFor();
    await walk.register(page, 'Ann Lee');
    const registrationId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    await page.getByRole('heading', { name: 'You are confirmed' }).waitFor({ timeout: 30_000 });
    const shown = (await page.locator('.code-value').textContent())!;
    expect(shown).toMatch(/^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/);
    const [row] = await sql<{ code: string; email: string; name: string }>(
      'SELECT c.code, r.email, r.name FROM confirmations c JOIN registrations r ON r.id = c.registration_id WHERE r.id = $1',
      [registrationId],
    );
    expect(row).toEqual({ code: shown, email, name: 'Ann Lee' });
    const badge = page.getByRole('img', { name: /^Participation badge/ });
    await expect(badge.getAttribute('alt')).resolves.toContain(shown);
    expect(await badge.evaluate((img: { complete: boolean; naturalWidth: number }) => img.complete && img.naturalWidth)).toBe(600);
    expect(await seatsTaken(events.open.id)).toBe(1);

    // My registrations: confirmed with the same code; cancel frees the seat and withdraws the confirmation.
    await page.getByRole('link', { name: 'My registrations' }).click();
    await walk.heading(page, 'My registrations');
    const item = page.getByRole('listitem').filter({ hasText: names.open });
    await expect(item.textContent()).resolves.toContain(`Confirmed · code ${shown}`);
    await item.getByRole('button', { name: 'Cancel registration' }).click();
    await item.getByRole('button', { name: 'Yes, cancel it' }).click();
    await page.getByText('You have no registrations left.').waitFor();
    // Said through the live region, for screen readers.
    // A locator, not a string predicate: the page's CSP (no 'unsafe-eval') refuses evaluated strings.
    await page.locator('#status', { hasText: `Your registration for ${names.open} is cancelled.` }).waitFor();
    expect(await sql('SELECT 1 FROM registrations WHERE id = $1', [registrationId])).toEqual([]);
    expect(await sql('SELECT 1 FROM confirmations WHERE registration_id = $1', [registrationId])).toEqual([]);
    expect(await seatsTaken(events.open.id)).toBe(0);
    expect(problems).toEqual([]);
  }, 120_000);

  test('a full event says so clearly, and so does an event that fills up while its page is open', async () => {
    // A user as `npm run dev:token` makes one (verified email).
    const email = `bo-${tag}@example.com`;
    const password = await walk.verifiedUser(app, email);

    await page.goto(`${app.web.url}events/${events.full.id}`);
    await walk.heading(page, names.full);
    await page.getByText('This event is full.').waitFor();
    await page.getByText('Full: no seats left').waitFor();
    expect(await page.getByRole('button', { name: 'Register' }).count()).toBe(0);

    await page.goto(`${app.web.url}signin?next=${encodeURIComponent(`/events/${events.last.id}`)}`);
    await walk.signInWith(page, email, password);
    await walk.heading(page, names.last);
    await page.getByText('1 of 1 seats left').waitFor();
    await walk.takeSeat(app, events.last.id, `quicker-${tag}@example.com`);
    await page.getByLabel('Your name').fill('Bo');
    await page.getByRole('button', { name: 'Register' }).click();
    await page.getByText('This event is full.').waitFor();
    await page.getByText('Full: no seats left').waitFor();
    expect(await sql('SELECT 1 FROM registrations WHERE event_id = $1 AND email = $2', [events.last.id, email])).toEqual([]);
    expect(problems).toEqual([]);
  }, 120_000);

  test('a page loaded before a deploy reloads once for the sign-in chunk the deploy replaced, then signs in', async () => {
    const email = `dee-${tag}@example.com`;
    const password = await walk.verifiedUser(app, email);
    // The first request for the Cognito chunk finds it gone (a deploy replaced the hashed files); later ones succeed.
    let requests = 0;
    await page.route('**/assets/cognito-*.js', (route) => (requests++ === 0 ? route.fulfill({ status: 404, body: 'Not Found' }) : route.continue()));
    await page.goto(`${app.web.url}signin`);
    await walk.heading(page, 'Sign in');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    const reloaded = page.waitForEvent('load');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await reloaded;
    await walk.heading(page, 'Sign in');
    await walk.signInWith(page, email, password);
    expect(requests).toBe(2);
    await expect(page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem('sps.reloadedForChunk'))).resolves.toBeNull();
  }, 120_000);

  test('the API\'s errors read as sentences next to what caused them', async () => {
    const email = `cy-${tag}@example.com`;
    const password = await walk.verifiedUser(app, email);

    // An unknown event: the API's 404 not_found.
    await page.goto(`${app.web.url}events/00000000-0000-4000-8000-000000000000`);
    await walk.heading(page, 'Event not found');

    // A wrong password: Cognito's refusal.
    await page.goto(`${app.web.url}signin?next=/posts`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'Incorrect email or password.' }).waitFor()).resolves.toBeUndefined();

    // A title of spaces passes the browser's `required` but not the API: 400 validation_failed on body.title, shown on the field.
    await walk.signInWith(page, email, password);
    await walk.heading(page, 'Board');
    await page.getByLabel('Title').fill('   ');
    await page.getByLabel('Text').fill('Hello from the test');
    await page.getByRole('button', { name: 'Post' }).click();
    await page.getByRole('alert').filter({ hasText: /^Please check: Title: / }).waitFor();
    await expect(page.getByLabel('Title').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.locator('.field-error').first().isVisible()).resolves.toBe(true);

    // Then a real post appears on the board, written by this user.
    await page.getByLabel('Title').fill(`Hello ${tag}`);
    await page.getByRole('button', { name: 'Post' }).click();
    await page.getByRole('heading', { name: `Hello ${tag}` }).waitFor();
    const posts = (await (await fetch(`${app.runtime.url}/posts?limit=100`)).json()) as { items: { title: string; author: string }[] };
    expect(posts.items.find((p) => p.title === `Hello ${tag}`)).toMatchObject({ author: `cy-${tag}` });
    expect(problems).toEqual([]);
  }, 120_000);
});
