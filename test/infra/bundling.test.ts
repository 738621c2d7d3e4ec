import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BundlingError, bundleFunctions, bundleGroupOf, packageFunction, packageFunctions, usesName, type FunctionBundle } from '../../infra/bundling';
import { routes, tasks } from '../../functions/registry';
import { SAMPLE_FUNCTION_ENV } from '../../scripts/bench/function-env';
import { fixtureFunctionsDir as functionsDir } from '../fixtures/registry';
import { tempDir } from '../support/temp';

const textOf = (b: FunctionBundle, file: string) => readFileSync(join(b.outdir, file), 'utf8');
/** Whether any JavaScript file of the bundle contains `text`. */
const ships = (b: FunctionBundle, text: string) => b.files.some((f) => f.endsWith('.mjs') && textOf(b, f).includes(text));

describe('function bundling', () => {
  let outRoot: string;
  beforeAll(() => {
    outRoot = tempDir('bundle');
  });

  test('produces a minified ESM bundle with the AWS SDK and pg inside, and no source maps by default', async () => {
    const [bundle] = packageFunctions([{ name: 'hello', handler: 'hello.ts' }], { functionsDir, outRoot });
    const code = readFileSync(bundle!.entryFile, 'utf8');
    expect(bundle!.entryFile.endsWith('hello.mjs')).toBe(true);
    expect(bundle!.handler).toBe('hello.handler');
    expect(bundle!.files).toContain('hello.mjs');
    expect(bundle!.files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(bundle!.mapBytes).toBe(0);
    expect(code).not.toMatch(/from\s*["']@aws-sdk\//); // bundled, not external
    expect(code).not.toMatch(/from\s*["']pg["']/);
    expect(code).not.toMatch(/sourceMappingURL/);
    // It runs as Node runs it on Lambda (ESM, CJS pg loaded through the require shim).
    const mod = await import(bundle!.entryFile);
    const res = await mod.handler();
    expect(JSON.parse(res.body)).toMatchObject({ pg: 'function', client: 'function' });
  });

  test('sourcemap: true ships a linked map per file, without sourcesContent', () => {
    const [bundle] = packageFunctions([{ name: 'hello', handler: 'hello.ts' }], { functionsDir, outRoot, sourcemap: true });
    expect(bundle!.files).toContain('hello.mjs.map');
    expect(bundle!.mapBytes).toBeGreaterThan(0);
    expect(readFileSync(bundle!.entryFile, 'utf8')).toMatch(/\/\/# sourceMappingURL=hello\.mjs\.map\s*$/);
    const map = JSON.parse(readFileSync(`${bundle!.entryFile}.map`, 'utf8'));
    expect(map.sourcesContent).toBeUndefined();
    for (const js of bundle!.files.filter((f) => f.endsWith('.mjs'))) expect(bundle!.files).toContain(`${js}.map`);
  });

  test('functions of one bundle group share chunks; another group gets its own', () => {
    const fns = [
      { name: 'one', handler: 'hello.ts', data: { tables: { posts: 'read' as const } } },
      { name: 'two', handler: 'hello.ts', data: { sql: 'data-api' as const } },
      { name: 'three', handler: 'hello.ts', data: { tables: { posts: 'read' as const }, sql: 'proxy' as const } },
      { name: 'four', handler: 'hello.ts' },
    ];
    expect(fns.map(bundleGroupOf)).toEqual(['sdk', 'sdk', 'pg', 'plain']);
    const [one, two, three] = packageFunctions(fns, { functionsDir, outRoot });
    const chunksOf = (b: typeof one) => b!.files.filter((f) => f.startsWith('chunks/') && f.endsWith('.mjs'));
    expect(chunksOf(one).length).toBeGreaterThan(0);
    expect(chunksOf(one).every((f) => f.startsWith('chunks/sdk/'))).toBe(true);
    expect(chunksOf(two)).toEqual(chunksOf(one));
    expect(chunksOf(three).every((f) => f.startsWith('chunks/pg/'))).toBe(true);
  });

  test('shared code is emitted once as a chunk that every function using it ships', () => {
    const [a, b] = packageFunctions(
      [
        { name: 'one', handler: 'hello.ts' },
        { name: 'two', handler: 'hello.ts' },
      ],
      { functionsDir, outRoot },
    );
    const chunks = a!.files.filter((f) => f.startsWith('chunks/') && f.endsWith('.mjs'));
    expect(chunks.length).toBeGreaterThan(0);
    expect(b!.files).toEqual(expect.arrayContaining(chunks));
  });

  test('is deterministic: the zip hash changes only when the code does', () => {
    const first = packageFunction({ name: 'plain', handler: 'plain.ts' }, { functionsDir, outRoot });
    const again = packageFunction({ name: 'plain', handler: 'plain.ts' }, { functionsDir, outRoot });
    expect(again.sha256Base64).toBe(first.sha256Base64);
    const other = packageFunction({ name: 'plain', handler: 'hello.ts' }, { functionsDir, outRoot });
    expect(other.sha256Base64).not.toBe(first.sha256Base64);
  });

  test('the zip alone runs: extracted to an empty dir, its handler loads and answers', async () => {
    const archive = packageFunction({ name: 'hello', handler: 'hello.ts' }, { functionsDir, outRoot });
    const dir = join(outRoot, 'unzipped');
    // Any standard unzip tool will do; these are what Debian images carry.
    try {
      execFileSync('unzip', ['-q', archive.zipFile, '-d', dir]);
    } catch {
      execFileSync('python3', ['-m', 'zipfile', '-e', archive.zipFile, dir]);
    }
    expect(readdirSync(dir).sort()).toEqual(expect.arrayContaining(['chunks', 'hello.mjs']));
    const mod = await import(join(dir, 'hello.mjs'));
    expect((await mod.handler()).statusCode).toBe(200);
  });

  test('with the cache on, an unchanged build is reused and a changed source rebuilds', () => {
    const src = tempDir('cache-src');
    const out = tempDir('cache-out');
    {
      writeFileSync(join(src, 'fn.ts'), "export const handler = async () => ({ statusCode: 200, body: 'v1' });\n");
      const fn = { name: 'fn', handler: 'fn.ts' };
      const builds = (): string[] => (existsSync(join(out, 'builds')) ? readdirSync(join(out, 'builds')) : []);
      const first = packageFunction(fn, { functionsDir: src, outRoot: out, cache: true });
      expect(first.zipFile.startsWith(join(out, 'cache'))).toBe(true);
      const again = packageFunction(fn, { functionsDir: src, outRoot: out, cache: true });
      expect(again.zipFile).toBe(first.zipFile);
      expect(again.sha256Base64).toBe(first.sha256Base64);
      expect(builds()).toEqual([]); // no esbuild run left a build dir behind
      // Same bytes written again: still a hit (inputs are compared by content).
      writeFileSync(join(src, 'fn.ts'), "export const handler = async () => ({ statusCode: 200, body: 'v1' });\n");
      expect(packageFunction(fn, { functionsDir: src, outRoot: out, cache: true }).zipFile).toBe(first.zipFile);
      writeFileSync(join(src, 'fn.ts'), "export const handler = async () => ({ statusCode: 200, body: 'v2' });\n");
      const changed = packageFunction(fn, { functionsDir: src, outRoot: out, cache: true });
      expect(changed.sha256Base64).not.toBe(first.sha256Base64);
      expect(readFileSync(changed.entryFile, 'utf8')).toContain('v2');
      expect(existsSync(first.zipFile)).toBe(true); // kept a while for runs still using it
    }
  });

  test('the require banner stays only where code may read `require`, not where a string says the word', () => {
    // esbuild's require shim, and direct uses, keep it.
    expect(usesName('var x=(r=>typeof require<"u"?require:r)(function(){});', 'require')).toBe(true);
    expect(usesName('const m=require("events");', 'require')).toBe(true);
    expect(usesName('let r=require.resolve;', 'require')).toBe(true);
    expect(usesName('switch(k){case"require":}', 'require')).toBe(true); // unsure: kept
    // Words in strings (http-security-headers' defaults, the SDK's warning) do not.
    expect(usesName('{crossOriginEmbedderPolicy:{policy:"require-corp"},"require-trusted-types-for":"\'script\'"}', 'require')).toBe(false);
    expect(usesName('`will require node >=${v}`', 'require')).toBe(false);
    expect(usesName('a.require(1);requireX();', 'require')).toBe(false);
  });

  test('every registry function imports in a fresh ESM node, as on Lambda (no global require)', () => {
    const bundles = bundleFunctions([...routes, ...tasks], { outRoot });
    const env = { PATH: process.env.PATH, ...SAMPLE_FUNCTION_ENV };
    const probe = "const m = await import(process.argv[1]); process.stdout.write(typeof m.handler + ' ' + typeof require);";
    for (const b of bundles) {
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe, b.entryFile], { env, encoding: 'utf8' });
      expect(`${b.name}: ${out}`).toBe(`${b.name}: function undefined`);
    }
  }, 60_000);

  describe('two groups sharing a module: alpha (AWS SDK, group sdk) and beta (pg, group pg)', () => {
    let alpha: FunctionBundle;
    let beta: FunctionBundle;
    beforeAll(() => {
      const fns = [
        { name: 'alpha', handler: 'uses-alpha.ts', data: { tables: { posts: 'read' as const } } },
        { name: 'beta', handler: 'uses-beta.ts', data: { sql: 'proxy' as const } },
      ];
      [alpha, beta] = packageFunctions(fns, { functionsDir, outRoot }) as FunctionBundle[] as [FunctionBundle, FunctionBundle];
    });

    test('a function without CommonJS code that calls require runs no createRequire at import; one with pg keeps it', () => {
      // None of the files its entry loads statically carries the banner.
      expect(alpha.imported.length).toBeGreaterThan(1);
      expect(alpha.imported.filter((f) => textOf(alpha, f).includes('createRequire'))).toEqual([]);
      expect(ships(beta, 'createRequire')).toBe(true);
    });

    test('a `@__PURE__` value is shipped only in the groups where a function uses it', () => {
      expect([ships(alpha, 'alpha-shape-marker'), ships(alpha, 'beta-shape-marker')]).toEqual([true, false]);
      expect([ships(beta, 'alpha-shape-marker'), ships(beta, 'beta-shape-marker')]).toEqual([false, true]);
    });
  });

  test('fails when the handler file does not exist, naming the function and the fix', () => {
    expect(() => packageFunction({ name: 'ghost', handler: 'ghost.ts' }, { functionsDir, outRoot })).toThrow(BundlingError);
    expect(() => packageFunction({ name: 'ghost', handler: 'ghost.ts' }, { functionsDir, outRoot })).toThrow(
      /tasks\["ghost"\]\.handler: file "ghost\.ts" does not exist/,
    );
  });

  test('fails when the handler path escapes the functions folder', () => {
    expect(() => packageFunction({ name: 'evil', handler: '../evil.ts' }, { functionsDir, outRoot })).toThrow(/points outside/);
  });
});
