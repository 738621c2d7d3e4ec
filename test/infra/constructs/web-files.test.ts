/**
 * The build contract (infra/constructs/web-files.ts): what is published and
 * how, and every build the stack refuses, with the message that says why.
 */
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IMMUTABLE_CACHE, MAX_FILES, REVALIDATE_CACHE, WebBuildError, listWebFiles } from '../../../infra/constructs/web-files';
import { FIXTURE_WEB_KEYS, fixtureWebDir, webBuild } from '../../fixtures/web';
import { tempDir } from '../../support/temp';

function refused(dir: string): string {
  try {
    listWebFiles(dir);
  } catch (e) {
    expect(e).toBeInstanceOf(WebBuildError);
    return (e as Error).message;
  }
  throw new Error(`${dir} was accepted`);
}

test('every file of the build is published under its relative path, sorted', () => {
  expect(listWebFiles(fixtureWebDir).map((f) => f.key)).toEqual(FIXTURE_WEB_KEYS);
});

test('files under assets/ are immutable for a year; the others are revalidated', () => {
  const cache = Object.fromEntries(listWebFiles(fixtureWebDir).map((f) => [f.key, f.cacheControl]));
  expect(cache).toEqual({
    'assets/app-3f2a1c.js': IMMUTABLE_CACHE,
    'assets/app-9b1e.css': IMMUTABLE_CACHE,
    'favicon.ico': REVALIDATE_CACHE,
    'index.html': REVALIDATE_CACHE,
  });
  expect(IMMUTABLE_CACHE).toBe('public, max-age=31536000, immutable');
  expect(REVALIDATE_CACHE).toBe('no-cache');
});

test('content types come from the extension, source maps and nested folders included', () => {
  const dir = webBuild();
  mkdirSync(join(dir, 'assets', 'fonts'));
  writeFileSync(join(dir, 'assets', 'app-3f2a1c.js.map'), '{}');
  writeFileSync(join(dir, 'assets', 'fonts', 'inter-5e6f7a.woff2'), 'font');
  writeFileSync(join(dir, 'site.webmanifest'), '{}');
  const types = Object.fromEntries(listWebFiles(dir).map((f) => [f.key, f.contentType]));
  expect(types).toMatchObject({
    'assets/app-3f2a1c.js.map': 'application/json',
    'assets/fonts/inter-5e6f7a.woff2': 'font/woff2',
    'site.webmanifest': 'application/manifest+json',
    'index.html': 'text/html; charset=utf-8',
  });
});

test('fails when the front end is not built, naming the build command', () => {
  expect(refused(join(tempDir('web'), 'dist'))).toMatch(/the front end is not built: .*index\.html does not exist; run `npm run build:web`/);
});

test('fails when the build contains config.json (the stack writes it)', () => {
  const dir = webBuild();
  writeFileSync(join(dir, 'config.json'), '{}');
  expect(refused(dir)).toMatch(/must not contain config\.json; the stack writes it per environment/);
});

test('fails on an extension with no known content type, naming the table to extend', () => {
  const dir = webBuild();
  writeFileSync(join(dir, 'notes.md'), '# notes');
  expect(refused(dir)).toMatch(/no known content type for "\.md"; rename the file, or add the extension to CONTENT_TYPES/);
});

test('fails on a file under assets/ without a content hash (it would be cached for a year)', () => {
  const dir = webBuild();
  writeFileSync(join(dir, 'assets', 'logo.png'), 'png');
  expect(refused(dir)).toMatch(/assets\/logo\.png: files under assets\/ are cached for a year as immutable, so their names must carry a content hash/);
  // Words are not hashes, whatever separates them.
  for (const name of ['app-main.js', 'vendor.bundle.js', 'chunk-common.css']) {
    const words = webBuild();
    writeFileSync(join(words, 'assets', name), 'x');
    expect(refused(words)).toMatch(new RegExp(`assets/${name.replace(/\./g, '\\.')}: files under assets/ are cached for a year as immutable`));
  }
});

test('fails on a symbolic link', () => {
  const dir = webBuild();
  symlinkSync(join(dir, 'index.html'), join(dir, 'alias.html'));
  expect(refused(dir)).toMatch(/alias\.html is a symbolic link/);
});

test(`fails past ${MAX_FILES} files (a source folder given as the build)`, () => {
  const dir = webBuild();
  for (let i = 0; i <= MAX_FILES; i++) writeFileSync(join(dir, `page-${i}.html`), '');
  expect(refused(dir)).toMatch(new RegExp(`holds ${MAX_FILES + 5} files, more than ${MAX_FILES}; point webDir at the build output only`));
  rmSync(dir, { recursive: true, force: true });
});
