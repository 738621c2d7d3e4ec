/**
 * The web app driven as a person uses it, in headless Debian chromium
 * (playwright-core, no browser download): the steps the browser test asserts
 * on (test/app/e2e/web.test.ts) and `npm run screenshots` photographs, written
 * once. Each step uses what a person sees: labels, button names, headings.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { AdminGetUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { chromium, type Browser, type Page } from 'playwright-core';
import { userPoolClient } from '../local/cognito';
import { signIn } from '../local/cognito/sign-in';
import type { LocalApp } from '../local/web';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless chromium as the other browser tests start it (playwright adds --headless and a temporary profile). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** What the page reported that a person would not see: script errors, CSP violations, failed loads. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (m) => {
    // A refused request (4xx) is logged by chromium as a console error: those are the app's business, asserted where expected.
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  return problems;
}

interface ApiEvent {
  readonly id: string;
  readonly name: string;
}

/** Calls the local API with a token of the local user pool, as `npm run dev:token` makes one. */
export async function apiAs(app: LocalApp, email: string, groups: string[] = []) {
  const pool = app.runtime.userPool!;
  const { idToken } = await signIn(pool, app.runtime.dataDir, { email, groups });
  return async <T>(method: string, route: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${app.runtime.url}${route}`, {
      method,
      headers: { authorization: `Bearer ${idToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${route} answered ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
}

/**
 * A confirmed user with a verified email, as `npm run dev:token` makes one;
 * returns its password (kept in the data dir's cognito-users.json).
 */
export async function verifiedUser(app: LocalApp, email: string): Promise<string> {
  await signIn(app.runtime.userPool!, app.runtime.dataDir, { email });
  const passwords = JSON.parse(await fs.readFile(path.join(app.runtime.dataDir, 'cognito-users.json'), 'utf8')) as Record<string, string>;
  return passwords[email]!;
}

/** An organizer creates an event starting `days` from now. */
export async function createEvent(app: LocalApp, name: string, capacity: number, days = 30): Promise<ApiEvent> {
  const organizer = await apiAs(app, 'organizer@example.com', ['organizers']);
  const startsAt = new Date(Math.ceil((Date.now() + days * 86_400_000) / 3_600_000) * 3_600_000).toISOString();
  return organizer<ApiEvent>('POST', '/events', { name, capacity, startsAt });
}

/** Someone else takes a seat (through the API). */
export async function takeSeat(app: LocalApp, eventId: string, email: string): Promise<void> {
  const attendee = await apiAs(app, email);
  await attendee('POST', `/events/${eventId}/registrations`, { name: email.split('@')[0] });
}

/**
 * The code the pool "emailed": the emulator keeps it with the user in its
 * data file (`<dataDir>/cognito/<poolId>.json`), which is the local mailbox.
 */
export async function emailedCode(app: LocalApp, email: string): Promise<string> {
  const pool = app.runtime.userPool!;
  const file = path.join(app.runtime.dataDir, 'cognito', `${pool.userPoolId}.json`);
  const data = JSON.parse(await fs.readFile(file, 'utf8')) as { Users: Record<string, { Attributes: { Name: string; Value: string }[]; ConfirmationCode?: string }> };
  const user = Object.values(data.Users).find((u) => u.Attributes.some((a) => a.Name === 'email' && a.Value === email));
  if (!user?.ConfirmationCode) throw new Error(`no confirmation code for ${email} in ${file}`);
  return user.ConfirmationCode;
}

/** Whether the pool marked the email verified at confirmation, as Cognito does (the API reads a verified email only). */
export async function emailVerified(app: LocalApp, email: string): Promise<boolean> {
  const pool = app.runtime.userPool!;
  const client = userPoolClient(pool);
  try {
    const user = await client.send(new AdminGetUserCommand({ UserPoolId: pool.userPoolId, Username: email }));
    return user.UserAttributes?.some((a) => a.Name === 'email_verified' && a.Value === 'true') ?? false;
  } finally {
    client.destroy();
  }
}

/** Waits for the page's heading to be `text` (a route change has rendered). */
export async function heading(page: Page, text: string | RegExp): Promise<void> {
  await page.getByRole('heading', { level: 1, name: text }).waitFor();
}

/** Creates an account through the sign-up page; ends on the confirmation page. */
export async function signUp(page: Page, email: string, password: string): Promise<void> {
  await page.getByRole('link', { name: 'Create account' }).first().click();
  await heading(page, 'Create an account');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await heading(page, 'Confirm your account');
}

/** Enters the emailed code; ends on the sign-in page. */
export async function confirmAccount(page: Page, code: string): Promise<void> {
  await page.getByLabel('Confirmation code').fill(code);
  await page.getByRole('button', { name: 'Confirm' }).click();
  await heading(page, 'Sign in');
}

/** Signs in on the sign-in page (its email may be filled already). */
export async function signInWith(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText(`Signed in as ${email}`).waitFor();
}

/** Opens an event from the home page's list. */
export async function openEvent(page: Page, name: string): Promise<void> {
  await page.getByRole('link', { name: 'Events', exact: true }).click();
  await heading(page, 'Upcoming events');
  await page.getByRole('link', { name }).click();
  await heading(page, name);
}

/** Registers for the open event page; ends on the result page. */
export async function register(page: Page, attendeeName: string): Promise<void> {
  await page.getByLabel('Your name').fill(attendeeName);
  await page.getByRole('button', { name: 'Register' }).click();
  await heading(page, 'Your registration');
}
