/**
 * `npm run dev`: the whole app locally, the API and the web front end (see docs/local-runtime.md).
 *
 *   npm run dev                 serve on PORT (default 3000)
 *   npm run dev -- --reset      wipe .local/ first
 *   PORT=4000 CORS_ORIGINS=http://localhost:8080 npm run dev
 */
import { watchLaunchers } from './local/launchers';
import { DEFAULT_WEB_PORT, startLocalApp, type LocalApp } from './local/web';
import { ORIGIN_FIX, ORIGIN_PATTERN } from '../functions/lib/http/origin';

// Local Node may be older than Lambda's; the SDK's notice about it is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const USAGE = `Usage: npm run dev [-- [--reset] [--prewarm] [--quiet] [--no-watch]]

  --reset     delete the local data (.local/) and start clean
  --prewarm   start every function's sandbox right after startup
  --quiet     no per-request log lines
  --no-watch  do not reload functions when files under functions/ change, nor
              rebuild the web app when files under web/ change

A token for the routes with auth, from the local user pool this starts:
  npm run -s dev:token -- <email> [--group <name>] | tail -1

Environment:
  PORT          API port on 127.0.0.1 (default 3000; 0 picks a free port)
  WEB_PORT      web app port on 127.0.0.1 (default ${DEFAULT_WEB_PORT}, or a free port when that one is taken;
                0 picks a free port); its origin is added to the allowed origins
  CORS_ORIGINS  comma-separated allowed origins (default: the dev config's corsOrigins)
  LOCAL_DATA_DIR  where data is kept (default: .local/ in the repository)
`;

function parsePort(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${name}: use a port number from 0 to 65535 (received "${value}")`);
  }
  return port;
}

function parseOrigins(value: string | undefined): string[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const origins = value.split(',').map((o) => o.trim()).filter(Boolean);
  for (const o of origins) {
    if (!ORIGIN_PATTERN.test(o)) {
      throw new Error(`CORS_ORIGINS: "${o}" is not an exact origin; ${ORIGIN_FIX}, e.g. http://localhost:5173; "*" is not allowed`);
    }
  }
  return origins;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  const unknown = args.filter((a) => !['--reset', '--prewarm', '--quiet', '--no-watch'].includes(a));
  if (unknown.length) throw new Error(`unknown argument ${unknown.join(' ')}\n\n${USAGE}`);

  const started = Date.now();
  const quiet = args.includes('--quiet');
  let app: LocalApp | undefined;
  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) {
      // A second Ctrl-C: leave now (Postgres's watchdog still stops it).
      process.exit(130);
    }
    stopping = true;
    console.log(`\n[local] ${reason}: stopping`);
    await app?.stop();
    process.exit(0);
  };
  // Registered before startup so a Ctrl-C during startup also stops cleanly.
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGHUP', () => void stop('SIGHUP'));
  // npm -> sh -> tsx -> us: if a launcher is SIGKILLed we would live on as an
  // orphan holding the port. Stop when any of them goes away.
  watchLaunchers((pid) => void stop(`launcher process ${pid} exited`));

  app = await startLocalApp({
    port: parsePort('PORT', process.env.PORT, 3000),
    webPort: parsePort('WEB_PORT', process.env.WEB_PORT, DEFAULT_WEB_PORT),
    // The default port may be taken (another checkout's dev server): then any free one. A port asked for is kept or refused.
    webPortFallback: !process.env.WEB_PORT,
    watchWeb: !args.includes('--no-watch'),
    corsOrigins: parseOrigins(process.env.CORS_ORIGINS),
    dataDir: process.env.LOCAL_DATA_DIR || undefined,
    reset: args.includes('--reset'),
    prewarm: args.includes('--prewarm'),
    watch: !args.includes('--no-watch'),
    log: (m) => console.log(`[local] ${m}`),
    onRequest: quiet
      ? undefined
      : (r) => console.log(`[local] ${r.method} ${r.path} -> ${r.status} ${r.durationMs}ms${r.functionName ? ` (${r.functionName})` : ''}`),
  });
  if (stopping) {
    await app.stop();
    return;
  }
  const { runtime, web } = app;
  const steps = Object.entries(runtime.timings)
    .map(([k, v]) => `${k} ${v}ms`)
    .join(', ');
  console.log(`[local] data in ${runtime.dataDir}; postgres on 127.0.0.1:${runtime.postgres.port}; started in ${Date.now() - started}ms (${steps})`);
  console.log(`Local API listening on ${runtime.url}`);
  console.log(`Web app on ${web.url}`);
}

main().catch((err: Error) => {
  console.error(`npm run dev failed: ${err.message}`);
  process.exit(1);
});
