/**
 * CORS in a real browser: headless Debian chromium (driven by playwright-core)
 * loads a page from another origin (a static server on another loopback port)
 * that sends a preflighted JSON POST to the local API, with a token of the
 * local user pool in its `authorization` header. It succeeds from an allowed
 * origin and is blocked from a disallowed one; a signed-in route gets the
 * header through the preflight, and with a bad token the gateway's 401 (which
 * has no CORS headers) reaches the page as a network error.
 *
 * Without /usr/bin/chromium the test fails when CI=true (`.ci/run` installs it)
 * and is skipped with a notice elsewhere.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { routes as registryRoutes } from '../../../functions/registry';
import type { RouteDefinition } from '../../../functions/registry-types';
import { signIn } from '../../../scripts/local/cognito/sign-in';
import { startLocalRuntime, type LocalRuntime } from '../../../scripts/local/runtime';
import { fixtureFunctionsDir } from '../../fixtures/registry';

/** A signed-in route beside the app's: the caller, on the real handler chain. */
const whoami: RouteDefinition = { name: 'whoami', method: 'GET', path: '/whoami', handler: path.join(fixtureFunctionsDir, 'whoami.ts'), auth: {} };

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';

if (!haveChromium && !inCi) {
  console.warn(`browser test skipped: ${CHROMIUM} not found (install Debian's chromium: apt-get install -y chromium)`);
}

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>cors</title></head><body>cross-origin page</body></html>`;

/** A tiny static server: the "web app" origin. */
async function staticServer(): Promise<{ server: http.Server; origin: string }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const close = (s: http.Server) =>
  new Promise<void>((r) => {
    s.closeAllConnections();
    s.close(() => r());
  });

const describeBrowser = haveChromium || inCi ? describe : describe.skip;

describeBrowser('CORS in a real browser', () => {
  let dataDir: string;
  let runtime: LocalRuntime;
  let allowed: { server: http.Server; origin: string };
  let denied: { server: http.Server; origin: string };
  let browser: Browser;
  let token: string;
  const requests: { method: string; path: string; status: number }[] = [];

  beforeAll(async () => {
    if (!haveChromium) {
      throw new Error(
        `chromium is required for the browser test but ${CHROMIUM} is missing; .ci/run installs it (apt-get install -y chromium), or set CHROMIUM_PATH`,
      );
    }
    [allowed, denied] = await Promise.all([staticServer(), staticServer()]);
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sps-test-e2e-browser-'));
    await fs.chmod(dataDir, 0o755);
    runtime = await startLocalRuntime({
      port: 0,
      dataDir,
      corsOrigins: [allowed.origin],
      routes: [...(registryRoutes as readonly RouteDefinition[]), whoami],
      migrate: false, // posts only: no SQL needed
      functionLogs: () => undefined,
      onRequest: (r) => requests.push({ method: r.method, path: r.path, status: r.status }),
    });
    token = (await signIn(runtime.userPool!, dataDir, { email: 'browser@example.com' })).idToken;
    // playwright adds --headless and a fresh temporary --user-data-dir itself.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
    if (allowed) await close(allowed.server);
    if (denied) await close(denied.server);
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  /** Loads the page of `origin` and calls the API from it with `fetch`. */
  async function fetchFrom(origin: string, route: string, init: { method: string; headers: Record<string, string>; body?: string }) {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${origin}/`);
      return await page.evaluate(
        async ({ url, init }) => {
          try {
            const res = await fetch(url, init);
            return { ok: true as const, status: res.status, body: await res.json() };
          } catch (err) {
            return { ok: false as const, error: String(err) };
          }
        },
        { url: `${runtime.url}${route}`, init },
      );
    } finally {
      await context.close();
    }
  }

  /** A preflighted JSON POST, signed in with a token of the local user pool. */
  const postFrom = (origin: string, title: string) =>
    fetchFrom(origin, '/posts', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ title, body: 'from the browser', author: 'chromium' }),
    });

  test('a preflighted JSON POST from an allowed origin succeeds', async () => {
    requests.length = 0;
    const result = await postFrom(allowed.origin, 'allowed origin');
    expect(result).toMatchObject({ ok: true, status: 201, body: { title: 'allowed origin', version: 1 } });
    // The browser asked first (preflight), then sent the POST.
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(['OPTIONS /posts', 'POST /posts']);
    expect(requests[0]!.status).toBe(204);
  });

  test('the same POST from a disallowed origin is blocked by the browser', async () => {
    requests.length = 0;
    const result = await postFrom(denied.origin, 'denied origin');
    expect(result.ok).toBe(false);
    expect((result as { error: string }).error).toMatch(/TypeError: Failed to fetch/);
    // Only the preflight reached the API: the POST itself was never sent.
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(['OPTIONS /posts']);
    const list = await fetch(`${runtime.url}/posts?limit=100`).then((r) => r.json() as Promise<{ items: { title: string }[] }>);
    expect(list.items.map((p) => p.title)).not.toContain('denied origin');
  });

  test('a signed-in route: the authorization header passes the preflight and the function gets the caller', async () => {
    requests.length = 0;
    const result = await fetchFrom(allowed.origin, '/whoami', { method: 'GET', headers: { authorization: `Bearer ${token}` } });
    expect(result).toMatchObject({ ok: true, status: 200, body: { user: { email: 'browser@example.com', tokenUse: 'id' } } });
    expect(requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(['OPTIONS /whoami 204', 'GET /whoami 200']);
  });

  test("with a bad token the gateway's 401 has no CORS headers: the page sees a network error", async () => {
    requests.length = 0;
    const result = await fetchFrom(allowed.origin, '/whoami', { method: 'GET', headers: { authorization: 'Bearer not-a-token' } });
    expect(result.ok).toBe(false);
    expect((result as { error: string }).error).toMatch(/TypeError: Failed to fetch/);
    expect(requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(['OPTIONS /whoami 204', 'GET /whoami 401']);
  });
});
