/**
 * `npm run screenshots`: the main pages of the web app, photographed in
 * headless chromium against a fresh local app (its own temporary data dir,
 * free ports), into docs/screenshots/*.png for the README. The walk is the
 * browser test's (scripts/web/walk.ts).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { REPO_ROOT } from '../infra/paths';
import { startLocalApp } from './local/web';
import * as walk from './web/walk';

const OUT = path.join(REPO_ROOT, 'docs', 'screenshots');
const EMAIL = 'ada@example.com';
const PASSWORD = 'Correct-Horse-Battery-9!';

async function main(): Promise<void> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sps-screenshots-'));
  await fs.chmod(dataDir, 0o755);
  await fs.mkdir(OUT, { recursive: true });
  const app = await startLocalApp({ port: 0, webPort: 0, dataDir, functionLogs: () => undefined });
  const browser = await walk.launchChromium();
  try {
    const conf = await walk.createEvent(app, 'Serverless Days Lisbon', 120, 30);
    await walk.createEvent(app, 'TypeScript Meetup', 40, 45);
    const full = await walk.createEvent(app, 'Platform Engineering Summit', 1, 60);
    await walk.takeSeat(app, full.id, 'early-bird@example.com');
    const board = await walk.apiAs(app, 'grace@example.com');
    await board('POST', '/posts', { title: 'Welcome to the board', body: 'Questions about the talks, lifts from the station, lunch plans: post them here.', author: 'Grace' });

    const context = await browser.newContext({ viewport: { width: 1000, height: 720 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const problems = walk.watchProblems(page);
    const shot = async (name: string) => {
      await page.evaluate('document.activeElement && document.activeElement.blur()');
      await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
      console.log(`docs/screenshots/${name}.png`);
    };

    await page.goto(app.web.url);
    await walk.heading(page, 'Upcoming events');
    await shot('events');
    await walk.signUp(page, EMAIL, PASSWORD);
    await shot('sign-up-confirm');
    await walk.confirmAccount(page, await walk.emailedCode(app, EMAIL));
    await walk.signInWith(page, EMAIL, PASSWORD);
    await walk.openEvent(page, conf.name);
    await shot('event');
    await walk.register(page, 'Ada Lovelace');
    await page.getByRole('heading', { name: 'You are confirmed' }).waitFor({ timeout: 30_000 });
    await waitForImages(page);
    await shot('result');
    await page.getByRole('link', { name: 'My registrations' }).click();
    await walk.heading(page, 'My registrations');
    await shot('my-registrations');
    await walk.openEvent(page, full.name);
    await shot('event-full');
    await page.getByRole('link', { name: 'Board' }).click();
    await walk.heading(page, 'Board');
    await shot('board');
    if (problems.length) throw new Error(`the pages reported problems:\n${problems.join('\n')}`);
  } finally {
    await browser.close();
    await app.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

// A function, not a string: the page's CSP (no 'unsafe-eval') refuses a string predicate once it polls.
const waitForImages = (page: Page) =>
  page.waitForFunction(() => [...(globalThis as unknown as { document: { images: Iterable<{ complete: boolean; naturalWidth: number }> } }).document.images].every((i) => i.complete && i.naturalWidth > 0));

main().catch((err: Error) => {
  console.error(`screenshots failed: ${err.message}`);
  process.exit(1);
});
