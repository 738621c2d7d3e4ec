/**
 * The web front end locally, as CloudFront serves it in AWS: on its own
 * origin (`WEB_PORT`), the built site (rebuilt when web/ changes), a
 * `config.json` pointing at the local API and user pool, the SPA fallback of
 * the distribution (infra/web-routing.ts: app routes get index.html, a
 * missing file is a 404), its content types and cache headers
 * (infra/constructs/web-files.ts), and the security headers of its response
 * headers policy, from the one definition (infra/web-headers.ts) with the
 * local API and user pool as the CSP's `connect-src`.
 *
 *   reserve the web port → build the site while the runtime starts, with the
 *   web origin among the API's CORS origins → serve
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { CONFIG_KEY, CONTENT_TYPES, HASHED_PREFIX, IMMUTABLE_CACHE, REVALIDATE_CACHE } from '../../infra/constructs/web-files';
import { loadConfig } from '../../infra/config';
import { webSecurityHeaders } from '../../infra/web-headers';
import { spaRewrite } from '../../infra/web-routing';
import { buildWeb, formatBuildError, watchWeb, type WebBuild } from '../web/build';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from './runtime';

/** The port the dev config's CORS origins name (`http://localhost:5173`), used when WEB_PORT is not set. */
export const DEFAULT_WEB_PORT = 5173;

/** What `npm run dev` writes into config.json: the deployed keys, plus the emulator's endpoint and the flow it supports. */
export interface LocalWebConfig {
  readonly apiUrl: string;
  readonly region: string;
  readonly userPoolId: string;
  readonly userPoolClientId: string;
  /** The user pool emulator's URL (the browser calls it instead of cognito-idp.<region>.amazonaws.com). */
  readonly cognitoEndpoint: string;
  /** cognito-local has no SRP: the app signs in with the password flow locally (docs/local-runtime.md#sign-in-locally). */
  readonly authFlow: 'USER_PASSWORD_AUTH';
}

export interface WebContent {
  /** The current build (a rebuild replaces it). */
  readonly site: () => WebBuild;
  readonly config: LocalWebConfig;
  /** Security headers on every answer. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface LocalWebServer {
  /** `http://127.0.0.1:<port>/`. */
  readonly url: string;
  /** `http://127.0.0.1:<port>`: the origin the API must allow. */
  readonly origin: string;
  readonly port: number;
  /** Starts answering with `content` (until then every request gets 503). */
  serve(content: WebContent): void;
  close(): Promise<void>;
}

export interface WebServerOptions {
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** When `port` is taken, listen on a free port instead of failing. @default false */
  readonly fallback?: boolean;
}

/** Opens the web port now, so its origin is known before the API starts; `serve` fills it in. */
export async function openWebServer(options: WebServerOptions = {}): Promise<LocalWebServer> {
  const host = options.host ?? '127.0.0.1';
  let content: WebContent | undefined;
  const server = http.createServer((req, res) => answer(req, res, content));
  server.keepAliveTimeout = 65_000;
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => (server.off('error', reject), resolve()));
    });
  try {
    await listen(options.port ?? 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    if (!options.fallback) throw new Error(`WEB_PORT: port ${options.port} on ${host} is in use; stop what uses it, or pick another port (0: any free port)`);
    await listen(0);
  }
  const port = (server.address() as AddressInfo).port;
  const origin = `http://${host}:${port}`;
  return {
    url: `${origin}/`,
    origin,
    port,
    serve: (c) => void (content = c),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function answer(req: http.IncomingMessage, res: http.ServerResponse, content: WebContent | undefined): void {
  const send = (status: number, headers: Record<string, string>, body: Uint8Array | string = '') => {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    res.writeHead(status, { ...content?.headers, ...headers, 'content-length': String(bytes.byteLength) });
    res.end(req.method === 'HEAD' ? undefined : bytes);
  };
  const text = (status: number, message: string, extra: Record<string, string> = {}) =>
    send(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...extra }, `${message}\n`);

  if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, 'Method Not Allowed', { allow: 'GET, HEAD' });
  if (!content) return text(503, 'The web app is starting', { 'retry-after': '1' });
  const uri = (req.url ?? '/').split('?')[0]!;
  const key = safeKey(spaRewrite(uri));
  if (key === CONFIG_KEY) {
    return send(200, { 'content-type': CONTENT_TYPES['.json']!, 'cache-control': REVALIDATE_CACHE }, `${JSON.stringify(content.config, null, 2)}\n`);
  }
  const file = key === undefined ? undefined : content.site().files.get(key);
  if (!file || key === undefined) return text(404, 'Not Found');
  const etag = `"${createHash('sha256').update(file).digest('base64url').slice(0, 27)}"`;
  const headers = {
    'content-type': CONTENT_TYPES[path.extname(key).toLowerCase()] ?? 'application/octet-stream',
    'cache-control': key.startsWith(HASHED_PREFIX) ? IMMUTABLE_CACHE : REVALIDATE_CACHE,
    etag,
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, { ...content.headers, ...headers });
    return void res.end();
  }
  send(200, headers, file);
}

/** The site key of a request path (`/assets/a.js` → `assets/a.js`), or undefined for one that cannot name a file. */
function safeKey(uri: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(uri);
  } catch {
    return undefined;
  }
  const key = decoded.replace(/^\/+/, '');
  return key.split('/').some((s) => s === '..' || s === '.') ? undefined : key;
}

export interface LocalAppOptions extends LocalRuntimeOptions {
  /** Port of the web app. @default 0 */
  readonly webPort?: number;
  /** When `webPort` is taken, take a free port instead of failing (the CLI does so for its default port). @default false */
  readonly webPortFallback?: boolean;
  /** Rebuild the site when web/ changes. @default false (the CLI turns it on) */
  readonly watchWeb?: boolean;
}

export interface LocalApp {
  readonly runtime: LocalRuntime;
  readonly web: LocalWebServer;
  /** The site's build as served now. */
  readonly site: () => WebBuild;
  /** Stops the web server, then the runtime. */
  stop(): Promise<void>;
}

/**
 * The API runtime and the web app next to it: the web origin (as
 * `127.0.0.1` and `localhost`) joins the API's CORS origins, and the site is
 * built while the databases start.
 */
export async function startLocalApp(options: LocalAppOptions = {}): Promise<LocalApp> {
  const host = options.host ?? '127.0.0.1';
  const web = await openWebServer({ port: options.webPort ?? 0, host, fallback: options.webPortFallback });
  const log = options.log ?? (() => undefined);
  const building = options.watchWeb
    ? watchWeb({
        sourcemap: true,
        onBuild: (b) => log(`rebuilt the web app in ${b.durationMs}ms`),
        onError: (message) => log(`web app build failed (still serving the last good build):\n${message}`),
      })
    : buildWeb().then((b) => ({ current: () => b, close: async () => undefined }));
  building.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
  let runtime: LocalRuntime | undefined;
  try {
    const config = options.config ?? loadConfig(options.environment ?? 'dev');
    const webOrigins = [web.origin, `http://localhost:${web.port}`];
    const corsOrigins = [...new Set([...(options.corsOrigins ?? config.corsOrigins), ...webOrigins])];
    runtime = await startLocalRuntime({ ...options, config, corsOrigins });
    const pool = runtime.userPool;
    if (!pool) throw new Error('the web app needs the local user pool (startLocalRuntime userPool: true) to sign users in');
    const site = await building.catch((err: unknown) => Promise.reject(new Error(`web app build failed:\n${formatBuildError(err)}`)));
    web.serve({
      site: site.current,
      config: {
        apiUrl: runtime.url,
        region: pool.region,
        userPoolId: pool.userPoolId,
        userPoolClientId: pool.clientId,
        cognitoEndpoint: pool.endpoint,
        authFlow: 'USER_PASSWORD_AUTH',
      },
      headers: webSecurityHeaders({ api: runtime.url, auth: [pool.endpoint] }),
    });
    const started = runtime;
    let stopping: Promise<void> | undefined;
    return {
      runtime: started,
      web,
      site: site.current,
      stop: () => (stopping ??= (async () => {
        await web.close();
        await site.close();
        await started.stop();
      })()),
    };
  } catch (err) {
    await web.close();
    await building.then((b) => b.close(), () => undefined);
    await runtime?.stop();
    throw err;
  }
}
