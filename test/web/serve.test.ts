/**
 * The web app's build (`npm run build:web`) and its local serving (what `npm
 * run dev` answers on WEB_PORT): the build meets the stack's upload contract
 * (infra/constructs/web-files.ts), and the local server answers as the
 * distribution does, with the headers of the one shared definition
 * (infra/web-headers.ts), the SPA fallback (infra/web-routing.ts) and a
 * config.json for the local API and user pool.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { IMMUTABLE_CACHE, listWebFiles, REVALIDATE_CACHE } from '../../infra/constructs/web-files';
import { webSecurityHeaders } from '../../infra/web-headers';
import { openWebServer, type LocalWebConfig, type LocalWebServer } from '../../scripts/local/web';
import { buildWeb, writeWeb, type WebBuild } from '../../scripts/web/build';

let build: WebBuild;
let server: LocalWebServer;
let dir: string;
const config: LocalWebConfig = {
  apiUrl: 'http://127.0.0.1:3000',
  region: 'eu-west-1',
  userPoolId: 'local_Abc123',
  userPoolClientId: 'client123',
  cognitoEndpoint: 'http://127.0.0.1:9229',
  authFlow: 'USER_PASSWORD_AUTH',
};
const headers = webSecurityHeaders({ api: config.apiUrl, auth: [config.cognitoEndpoint] });
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

beforeAll(async () => {
  build = await buildWeb();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sps-test-web-'));
  server = await openWebServer({ port: 0 });
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe('npm run build:web', () => {
  test('index.html loads the hashed stylesheet, script and icon with Subresource Integrity; no inline script or style', () => {
    const html = text(build.files.get('index.html')!);
    const refs = [...html.matchAll(/(?:href|src)="\/([^"]+)"(?: integrity="([^"]+)")?/g)].map((m) => ({ file: m[1]!, integrity: m[2] }));
    expect(refs.map((r) => r.file)).toEqual(expect.arrayContaining([expect.stringMatching(/^assets\/app-[A-Z0-9]{8}\.js$/), expect.stringMatching(/^assets\/app-[A-Z0-9]{8}\.css$/), expect.stringMatching(/^assets\/favicon-[A-Z0-9]{8}\.svg$/)]));
    for (const { file, integrity } of refs) {
      expect(build.files.has(file)).toBe(true);
      if (integrity) expect(integrity).toBe(`sha384-${createHash('sha384').update(build.files.get(file)!).digest('base64')}`);
    }
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=/i);
    expect(build.files.has('config.json')).toBe(false);
  });

  test('the Cognito library is a chunk of its own, loaded on demand: the first load stays small', () => {
    const chunks = [...build.files.keys()].filter((k) => /^assets\/cognito-[A-Z0-9]{8}\.js$/.test(k));
    expect(chunks).toHaveLength(1);
    expect(text(build.files.get('index.html')!)).not.toContain(chunks[0]);
    expect(build.sizes.initial.gzip).toBeLessThan(20 * 1024);
    expect(build.sizes.total.gzip).toBeLessThan(60 * 1024);
  });

  test('the same sources give the same names (a change of content changes them: cached files are never stale)', async () => {
    const again = await buildWeb();
    expect([...again.files.keys()].sort()).toEqual([...build.files.keys()].sort());
  });

  test('the written build meets the stack\'s upload contract: hashed names under assets/, known content types', async () => {
    await writeWeb(build, path.join(dir, 'dist'));
    const files = listWebFiles(path.join(dir, 'dist'));
    expect(files.map((f) => f.key).sort()).toEqual([...build.files.keys()].sort());
    expect(files.find((f) => f.key === 'index.html')).toMatchObject({ contentType: 'text/html; charset=utf-8', cacheControl: REVALIDATE_CACHE });
    expect(files.filter((f) => f.key.startsWith('assets/')).every((f) => f.cacheControl === IMMUTABLE_CACHE)).toBe(true);
  });
});

describe('the local web server', () => {
  const get = (p: string, init: { method?: string; headers?: Record<string, string> } = {}) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const req = http.request(`${server.origin}${p}`, { method: init.method ?? 'GET', headers: init.headers }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });

  test('before the site is ready it answers 503 with retry-after', async () => {
    const r = await get('/');
    expect([r.status, r.headers['retry-after']]).toEqual([503, '1']);
  });

  test('serves index.html for app routes (SPA fallback) with the distribution\'s security headers', async () => {
    server.serve({ site: () => build, config, headers });
    for (const p of ['/', '/events/42', '/me/registrations', '/signup/confirm?email=a%40b.c']) {
      const r = await get(p);
      expect([p, r.status, r.body]).toEqual([p, 200, text(build.files.get('index.html')!)]);
      expect(r.headers['cache-control']).toBe(REVALIDATE_CACHE);
      for (const [name, value] of Object.entries(headers)) expect([name, r.headers[name]]).toEqual([name, value]);
    }
    expect(headers['content-security-policy']).toContain("connect-src 'self' http://127.0.0.1:3000 http://127.0.0.1:9229");
  });

  test('hashed files are immutable and revalidate with their ETag; a missing file is a 404, not the app', async () => {
    const asset = [...build.files.keys()].find((k) => k.endsWith('.js'))!;
    const r = await get(`/${asset}`);
    expect([r.status, r.headers['content-type'], r.headers['cache-control']]).toEqual([200, 'text/javascript; charset=utf-8', IMMUTABLE_CACHE]);
    expect((await get(`/${asset}`, { headers: { 'if-none-match': r.headers.etag! } })).status).toBe(304);
    for (const p of ['/assets/app-NOTTHERE.js', '/favicon.ico', '/assets/../index.html.bak', '/assets/bad%E0%A4%A.js']) {
      const missing = await get(p);
      expect([p, missing.status, missing.headers['content-security-policy']]).toEqual([p, 404, headers['content-security-policy']]);
    }
  });

  test('config.json points at the local API and user pool; not cached; HEAD has no body; other methods are refused', async () => {
    const r = await get('/config.json');
    expect([r.status, r.headers['content-type'], r.headers['cache-control'], JSON.parse(r.body)]).toEqual([200, 'application/json', REVALIDATE_CACHE, config]);
    const head = await get('/', { method: 'HEAD' });
    expect([head.status, head.body, Number(head.headers['content-length'])]).toEqual([200, '', build.files.get('index.html')!.byteLength]);
    const post = await get('/', { method: 'POST' });
    expect([post.status, post.headers.allow]).toEqual([405, 'GET, HEAD']);
  });

  test('a taken port: refused with the fix, or a free one when falling back is allowed', async () => {
    await expect(openWebServer({ port: server.port })).rejects.toThrow(`WEB_PORT: port ${server.port} on 127.0.0.1 is in use; stop what uses it, or pick another port (0: any free port)`);
    const other = await openWebServer({ port: server.port, fallback: true });
    expect(other.port).not.toBe(server.port);
    await other.close();
  });
});
