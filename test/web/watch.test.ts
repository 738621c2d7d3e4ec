/**
 * `npm run dev` rebuilds the front end when a file under web/ changes (as it
 * serves it): a copy of web/ inside the repository (so its packages resolve)
 * is watched, edited, and broken. A change gives the changed file a new
 * hashed name that index.html points at; a broken source is reported as
 * esbuild's `file:line:col: message` and the last good build stays served.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { BUILD_DIR } from '../../infra/paths';
import { WEB_DIR, watchWeb, type WebBuild, type WebWatcher } from '../../scripts/web/build';

let copy: string;
let watcher: WebWatcher | undefined;
const builds: WebBuild[] = [];
const errors: string[] = [];

const html = (b: WebBuild) => Buffer.from(b.files.get('index.html')!).toString('utf8');
const scriptOf = (b: WebBuild) => /src="\/(assets\/app-[A-Z0-9]+\.js)"/.exec(html(b))![1]!;

/** Resolves once `check` holds (polled for up to 15 s: file events and a rebuild). */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
  expect(check()).toBe(true);
}

beforeAll(async () => {
  copy = path.join(BUILD_DIR, `web-watch-test-${process.pid}`);
  await fs.rm(copy, { recursive: true, force: true });
  await fs.mkdir(copy, { recursive: true });
  await fs.cp(path.join(WEB_DIR, 'src'), path.join(copy, 'src'), { recursive: true });
  await fs.copyFile(path.join(WEB_DIR, 'index.html'), path.join(copy, 'index.html'));
  watcher = await watchWeb({ webDir: copy, onBuild: (b) => builds.push(b), onError: (m) => errors.push(m) });
}, 60_000);

afterAll(async () => {
  await watcher?.close();
  if (copy) await fs.rm(copy, { recursive: true, force: true });
});

test('an edit rebuilds: the changed script gets a new hashed name and index.html points at it', async () => {
  const first = watcher!.current();
  const main = path.join(copy, 'src', 'main.ts');
  await fs.appendFile(main, '\nconsole.debug("rebuilt by the watch test");\n');
  await until(() => builds.length > 0 && scriptOf(builds.at(-1)!) !== scriptOf(first));
  const next = builds.at(-1)!;
  expect(watcher!.current()).toBe(next);
  expect(Buffer.from(next.files.get(scriptOf(next))!).toString('utf8')).toContain('rebuilt by the watch test');
  expect(next.files.has(scriptOf(first))).toBe(false);
}, 30_000);

test('a broken source is reported with its file and line, and the last good build stays served', async () => {
  const good = watcher!.current();
  await fs.appendFile(path.join(copy, 'src', 'main.ts'), '\nconst = ;\n');
  await until(() => errors.length > 0);
  expect(errors.at(-1)).toMatch(/src[\\/]main\.ts:\d+:\d+: /);
  expect(watcher!.current()).toBe(good);
}, 30_000);
