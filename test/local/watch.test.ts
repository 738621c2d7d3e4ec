/**
 * `npm run dev` reloads handler code: with `watch`, a changed handler file
 * retires the sandboxes and the next request runs the new code, with no
 * restart of the runtime.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startLocalRuntime, type LocalRuntime } from '../../scripts/local/runtime';
import { configFor } from '../fixtures/environments';

let runtime: LocalRuntime;
let dir: string;
const logs: string[] = [];

const handlerSource = (text: string) => `export async function handler() {\n  return { statusCode: 200, body: ${JSON.stringify(text)} };\n}\n`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sps-test-local-watch-'));
  await fs.chmod(dir, 0o755);
  await fs.mkdir(path.join(dir, 'functions'));
  // ESM like the repository's functions/.
  await fs.writeFile(path.join(dir, 'package.json'), '{"type":"module"}\n');
  await fs.writeFile(path.join(dir, 'functions', 'hello.ts'), handlerSource('v1'));
  runtime = await startLocalRuntime({
    port: 0,
    dataDir: path.join(dir, 'data'),
    functionsDir: path.join(dir, 'functions'),
    config: configFor('dev'),
    routes: [{ name: 'hello', method: 'GET', path: '/hello', handler: 'hello.ts' }],
    tasks: [],
    tables: {},
    migrate: false,
    watch: true,
    log: (m) => logs.push(m),
  });
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

test('a changed handler file is served without restarting the runtime', async () => {
  expect(await (await fetch(`${runtime.url}/hello`)).text()).toBe('v1');
  await fs.writeFile(path.join(dir, 'functions', 'hello.ts'), handlerSource('v2'));
  let body = 'v1';
  const end = Date.now() + 10_000;
  while (body !== 'v2' && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    body = await (await fetch(`${runtime.url}/hello`)).text();
  }
  expect(body).toBe('v2');
  expect(logs.some((l) => l.startsWith('reloaded functions (hello.ts'))).toBe(true);
});
