import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BundlingError, packageFunction, packageFunctions } from '../../infra/bundling';

const functionsDir = join(import.meta.dirname, 'fixtures', 'functions');

describe('function bundling', () => {
  let outRoot: string;
  beforeAll(() => {
    outRoot = mkdtempSync(join(tmpdir(), 'sps-bundle-'));
  });
  afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

  test('produces a minified ESM bundle with the AWS SDK and pg inside, and a linked source map', async () => {
    const [bundle] = packageFunctions([{ name: 'hello', handler: 'hello.ts' }], { functionsDir, outRoot });
    const code = readFileSync(bundle!.entryFile, 'utf8');
    expect(bundle!.entryFile.endsWith('index.mjs')).toBe(true);
    expect(code).not.toMatch(/from\s*["']@aws-sdk\//); // bundled, not external
    expect(code).not.toMatch(/from\s*["']pg["']/);
    expect(code).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
    const map = JSON.parse(readFileSync(`${bundle!.entryFile}.map`, 'utf8'));
    expect(map.sourcesContent).toBeUndefined();
    // It runs as Node runs it on Lambda (ESM, CJS pg loaded through the require shim).
    const mod = await import(bundle!.entryFile);
    const res = await mod.handler();
    expect(JSON.parse(res.body)).toMatchObject({ pg: 'function', client: 'function' });
  });

  test('is deterministic: the zip hash changes only when the code does', () => {
    const first = packageFunction({ name: 'plain', handler: 'plain.ts' }, { functionsDir, outRoot });
    const again = packageFunction({ name: 'plain', handler: 'plain.ts' }, { functionsDir, outRoot });
    expect(again.sha256Base64).toBe(first.sha256Base64);
    const other = packageFunction({ name: 'plain', handler: 'hello.ts' }, { functionsDir, outRoot });
    expect(other.sha256Base64).not.toBe(first.sha256Base64);
  });

  test('fails when the handler file does not exist, naming the function and the fix', () => {
    expect(() => packageFunction({ name: 'ghost', handler: 'ghost.ts' }, { functionsDir, outRoot })).toThrow(BundlingError);
    expect(() => packageFunction({ name: 'ghost', handler: 'ghost.ts' }, { functionsDir, outRoot })).toThrow(
      /routes\["ghost"\]\.handler: file "ghost\.ts" does not exist/,
    );
  });

  test('fails when the handler path escapes the functions folder', () => {
    expect(() => packageFunction({ name: 'evil', handler: '../evil.ts' }, { functionsDir, outRoot })).toThrow(/points outside/);
  });
});
