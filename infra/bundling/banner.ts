/**
 * pg (CommonJS) calls `require`; ESM output has none. esbuild's `__require`
 * shim uses a global `require` when there is one, so the banner defines it,
 * plus `__filename`/`__dirname` for CJS code that reads them. esbuild puts the
 * banner on every output file, chunks included; `trimBanners` then blanks the
 * lines a file does not need, because each kept line costs import time
 * (`import.meta` initialisation, `createRequire`) in every chunk a cold start
 * loads, and most chunks use none of the three names.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Metafile } from 'esbuild';

const BANNER_LINES: readonly { readonly line: string; readonly needs: readonly string[] }[] = [
  { line: "import { createRequire as __sps_createRequire } from 'node:module';", needs: ['require'] },
  { line: "import { fileURLToPath as __sps_fileURLToPath } from 'node:url';", needs: ['__filename', '__dirname'] },
  { line: "import { dirname as __sps_dirname } from 'node:path';", needs: ['__dirname'] },
  { line: 'const require = __sps_createRequire(import.meta.url);', needs: ['require'] },
  { line: 'const __filename = __sps_fileURLToPath(import.meta.url);', needs: ['__filename', '__dirname'] },
  { line: 'const __dirname = __sps_dirname(__filename);', needs: ['__dirname'] },
];

/** esbuild's `banner.js` for every bundle. */
export const ESM_REQUIRE_BANNER = BANNER_LINES.map((l) => l.line).join('\n');
const BANNER_PREFIX = `${ESM_REQUIRE_BANNER}\n`;

/**
 * `trimBanner` on every JavaScript output of a build (paths relative to
 * `root`); the metafile's byte counts follow.
 */
export function trimBanners(metafile: Metafile, root: string): void {
  for (const [file, meta] of Object.entries(metafile.outputs)) {
    if (file.endsWith('.mjs')) (meta as { bytes: number }).bytes = trimBanner(resolve(root, file));
  }
}

/**
 * Replaces each banner line that the rest of the file does not need with an
 * empty line, so line count and columns stay and a linked source map stays
 * exact. Returns the file's new size in bytes.
 */
function trimBanner(file: string): number {
  const code = readFileSync(file, 'utf8');
  if (!code.startsWith(BANNER_PREFIX)) return Buffer.byteLength(code);
  const body = code.slice(BANNER_PREFIX.length);
  const used = new Set(['require', '__filename', '__dirname'].filter((name) => usesName(body, name)));
  const banner = BANNER_LINES.map((l) => (l.needs.some((n) => used.has(n)) ? l.line : '')).join('\n');
  const trimmed = `${banner}\n${body}`;
  if (trimmed.length !== code.length) writeFileSync(file, trimmed);
  return Buffer.byteLength(trimmed);
}

/**
 * Whether minified code may read the free name `name` (minifying keeps free
 * names as they are). An identifier use is never followed by a `-` or by a
 * space and a letter in esbuild's minified output, but words in strings are:
 * "require-corp" and "require-trusted-types-for" (http-security-headers'
 * defaults) and "will require node" (the AWS SDK's Node version warning), which
 * would otherwise keep the `createRequire` line in every DynamoDB function.
 * Anything else that looks like a use (a string "require" included) keeps it.
 */
export function usesName(code: string, name: string): boolean {
  return new RegExp(`(?<![\\w$.])${name}(?![\\w$])(?!-|\\s+[A-Za-z_$])`).test(code);
}
