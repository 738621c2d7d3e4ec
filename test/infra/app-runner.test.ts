/**
 * scripts/app.mjs, the cdktf.json app runner: it builds a TypeScript entry
 * with esbuild and runs it with plain node. The entry's own `import.meta`
 * values and lazy `import()` must behave as in the source, the build is reused
 * while nothing it read changed, and a broken entry fails with a clear message.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleGroupOf, packageFunctions } from '../../infra/bundling';
import { loadAllConfigs } from '../../infra/config';
import { BUILD_DIR, REPO_ROOT } from '../../infra/paths';
import { routes, tasks } from '../../functions/registry';

const RUNNER = join(REPO_ROOT, 'scripts', 'app.mjs');
const APP_DIR = join(BUILD_DIR, 'app');

const slugOf = (entry: string) => relative(REPO_ROOT, entry).replace(/\.ts$/, '').replace(/[^\w.-]+/g, '_');

let dir: string;
beforeAll(() => {
  // Inside the repository, so the entry can import our modules as the real app does.
  // (.build does not exist yet on a fresh clone.)
  mkdirSync(BUILD_DIR, { recursive: true });
  dir = mkdtempSync(join(BUILD_DIR, 'app-runner-test-'));
});
afterAll(() => {
  if (!dir) return;
  // This test's builds in the runner's cache, then its sources.
  const prefix = slugOf(dir);
  for (const name of existsSync(APP_DIR) ? readdirSync(APP_DIR) : []) if (name.startsWith(prefix)) rmSync(join(APP_DIR, name), { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

function run(entry: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [RUNNER, entry], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}


test('import.meta and lazy imports behave as in the source; the build is reused until a source changes', () => {
  const entry = join(dir, 'entry.ts');
  const later = (value: string) => `(globalThis as { laterLoaded?: boolean }).laterLoaded = true;\nexport const loaded = '${value}';\n`;
  writeFileSync(join(dir, 'later.ts'), later('later'));
  writeFileSync(
    entry,
    [
      "import { routes } from '../../functions/registry';",
      'const info: Record<string, unknown> = { url: import.meta.url, dirname: import.meta.dirname, routes: routes.length };',
      "info.lazyBefore = (globalThis as { laterLoaded?: boolean }).laterLoaded === true;",
      "info.later = (await import('./later')).loaded;",
      'console.log(JSON.stringify(info));',
    ].join('\n'),
  );
  const first = run(entry);
  expect(first.stderr).toBe('');
  expect(first.status).toBe(0);
  expect(JSON.parse(first.stdout)).toEqual({ url: pathToFileURL(entry).href, dirname: dir, routes: expect.any(Number), lazyBefore: false, later: 'later' });

  const indexFile = join(APP_DIR, `${slugOf(entry)}.json`);
  const index = JSON.parse(readFileSync(indexFile, 'utf8')) as { key: string; inputs: string[] };
  expect(index.inputs).toEqual(expect.arrayContaining([relative(REPO_ROOT, entry), 'functions/registry.ts']));
  expect(existsSync(join(APP_DIR, `${slugOf(entry)}-${index.key}`, 'main.mjs'))).toBe(true);

  // Unchanged: the same build runs again.
  expect(run(entry).stdout).toBe(first.stdout);
  expect(JSON.parse(readFileSync(indexFile, 'utf8')).key).toBe(index.key);

  // A changed input (even one only imported lazily) is a new build.
  writeFileSync(join(dir, 'later.ts'), later('changed'));
  const changed = run(entry);
  expect(JSON.parse(changed.stdout).later).toBe('changed');
  expect(JSON.parse(readFileSync(indexFile, 'utf8')).key).not.toBe(index.key);
});

test('a missing entry and a syntax error fail with the file named', () => {
  const missing = run(join(dir, 'nope.ts'));
  expect(missing.status).toBe(2);
  expect(missing.stderr).toMatch(/app entry .*nope\.ts does not exist/);

  const broken = join(dir, 'broken.ts');
  writeFileSync(broken, 'export const x = ;\n');
  const r = run(broken);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/could not build .*broken\.ts:\n\s+.*broken\.ts:1: /);
});

test('the real app synthesizes through it (what `cdktf synth` runs)', () => {
  const out = join(dir, 'synth-out');
  execFileSync(process.execPath, [RUNNER, 'infra/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, CDKTF_OUTDIR: out, CHECKPOINT_DISABLE: '1', NODE_NO_WARNINGS: '1' },
    stdio: 'pipe',
  });
  const configs = loadAllConfigs();
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { stacks: Record<string, unknown> };
  expect(Object.keys(manifest.stacks).sort()).toEqual(configs.map((c) => c.name).sort());
  const cdktfJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdktf.json'), 'utf8')) as { app: string };
  expect(cdktfJson.app).toBe('node --disable-warning=DEP0044 scripts/app.mjs infra/main.ts');

  // The zips are the bytes the bundler makes in any process: the runner must not rewrite the
  // `import.meta.url` that infra/bundling/banner.ts writes into the functions' banner as text.
  // (A function's zip holds its bundle group's chunks: build the whole group of the registry's first function.)
  const [env] = configs;
  const [fn] = [...routes, ...tasks];
  const stack = JSON.parse(readFileSync(join(out, 'stacks', env!.name, 'cdk.tf.json'), 'utf8')) as {
    resource: { aws_lambda_function: Record<string, { function_name: string; source_code_hash: string }> };
  };
  const synthesized = Object.values(stack.resource.aws_lambda_function).find((f) => f.function_name === `${env!.project}-${env!.name}-${fn!.name}`)!;
  const [direct] = packageFunctions(
    [...routes, ...tasks].filter((f) => bundleGroupOf(f) === bundleGroupOf(fn!)),
    { outRoot: join(dir, 'direct') },
  ).filter((a) => a.name === fn!.name);
  expect(synthesized.source_code_hash).toBe(direct!.sha256Base64);
});
