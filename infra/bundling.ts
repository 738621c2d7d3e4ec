/**
 * esbuild bundling of the registry's functions, shared by the stack, the
 * benches and the tests (import it; do not duplicate it).
 *
 * Each function becomes `index.mjs` (ESM, minified, tree-shaken, node22, AWS SDK
 * bundled so its version is pinned by our lockfile, not by the Lambda runtime)
 * plus a linked `index.mjs.map` without `sourcesContent` (stack traces get file
 * and line names; the map stays small and our source is not shipped twice).
 *
 * Everything here is synchronous (cdktf constructs are built synchronously) and
 * deterministic: same sources => same bytes => same zip => same hash. The zip is
 * written by `zipDeterministic` (fixed timestamps, sorted entries) rather than
 * cdktf's ARCHIVE asset, whose zips carry file mtimes and which spawns one node
 * process per asset (too slow for our ~1 s synth target).
 */
import { AssetType, TerraformAsset } from 'cdktf';
import type { Construct } from 'constructs';
import { buildSync, type BuildOptions } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';
import type { FunctionDefinition } from '../functions/registry-types';

/** Repository root (this file lives in `<root>/infra`). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Where handler modules live; `FunctionDefinition.handler` is relative to it. */
export const FUNCTIONS_DIR = join(PROJECT_ROOT, 'functions');
/** Deterministic output root (git-ignored). */
export const BUILD_DIR = join(PROJECT_ROOT, '.build', 'functions');

/** The Lambda handler string for our bundles: `index.mjs` exporting `handler`. */
export const LAMBDA_HANDLER = 'index.handler';

/**
 * pg (CommonJS) calls `require`; ESM output has none. esbuild's `__require`
 * shim uses a global `require` when there is one, so define it, plus
 * `__filename`/`__dirname` for CJS code that reads them.
 */
const ESM_REQUIRE_BANNER = [
  "import { createRequire as __sps_createRequire } from 'node:module';",
  "import { fileURLToPath as __sps_fileURLToPath } from 'node:url';",
  "import { dirname as __sps_dirname } from 'node:path';",
  'const require = __sps_createRequire(import.meta.url);',
  'const __filename = __sps_fileURLToPath(import.meta.url);',
  'const __dirname = __sps_dirname(__filename);',
].join('\n');

/**
 * Modules left out of the bundle: optional native or platform-specific
 * dependencies that pg only tries to load (`pg-native`) or that target other
 * runtimes (`pg-cloudflare`, `cloudflare:sockets`).
 */
const EXTERNAL = ['pg-native', 'cloudflare:sockets'];

export interface BundleOptions {
  /** Directory holding the handler modules. @default FUNCTIONS_DIR */
  readonly functionsDir?: string;
  /** Output root; each function gets `<outRoot>/<name>/`. @default BUILD_DIR */
  readonly outRoot?: string;
  /** Minify the bundle. @default true */
  readonly minify?: boolean;
}

export interface FunctionBundle {
  /** Function name (registry `name`). */
  readonly name: string;
  /** Directory holding `index.mjs` and `index.mjs.map`. */
  readonly outdir: string;
  /** Absolute path of the bundled entry file (`index.mjs`). */
  readonly entryFile: string;
  /** Size of `index.mjs` in bytes. */
  readonly bytes: number;
  /** Size of the source map in bytes. */
  readonly mapBytes: number;
}

export interface FunctionArchive extends FunctionBundle {
  /** Deterministic zip of the outdir (`index.mjs`, `index.mjs.map`). */
  readonly zipFile: string;
  /** Size of the zip in bytes. */
  readonly zipBytes: number;
  /** Base64 SHA-256 of the zip: Lambda's `source_code_hash`. */
  readonly sha256Base64: string;
  /** Hex SHA-256 of the zip (short form used in asset names). */
  readonly sha256Hex: string;
}

/** A bundling problem, with the function name and what to change. */
export class BundlingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundlingError';
  }
}

function entryPathOf(fn: FunctionDefinition, functionsDir: string): string {
  const entry = resolve(functionsDir, fn.handler);
  if (!entry.startsWith(functionsDir + '/')) {
    throw new BundlingError(
      `routes["${fn.name}"].handler: "${fn.handler}" points outside ${relative(PROJECT_ROOT, functionsDir) || functionsDir}/; use a path relative to functions/, e.g. "posts/create.ts"`,
    );
  }
  if (!existsSync(entry)) {
    throw new BundlingError(
      `routes["${fn.name}"].handler: file "${fn.handler}" does not exist in ${relative(PROJECT_ROOT, functionsDir) || functionsDir}/; create it (exporting \`handler\`) or fix the path in functions/registry.ts`,
    );
  }
  return entry;
}

function buildOptions(minify: boolean): BuildOptions {
  return {
    bundle: true,
    write: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    minify,
    treeShaking: true,
    // Prefer the ES module builds of dependencies (AWS SDK v3 ships both):
    // better tree shaking, smaller bundles.
    mainFields: ['module', 'main'],
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    charset: 'utf8',
    outExtension: { '.js': '.mjs' },
    banner: { js: ESM_REQUIRE_BANNER },
    external: EXTERNAL,
    logLevel: 'silent',
    absWorkingDir: PROJECT_ROOT,
  };
}

function failure(names: string, err: unknown): BundlingError {
  const errors = (err as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors;
  const detail = errors?.length
    ? errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text)).join('\n  ')
    : String(err);
  return new BundlingError(`esbuild could not bundle ${names}:\n  ${detail}`);
}

function describe(name: string, outdir: string): FunctionBundle {
  const entryFile = join(outdir, 'index.mjs');
  const map = join(outdir, 'index.mjs.map');
  return {
    name,
    outdir,
    entryFile,
    bytes: readFileSync(entryFile).length,
    mapBytes: existsSync(map) ? readFileSync(map).length : 0,
  };
}

/** Bundles one function into `<outRoot>/<name>/index.mjs` (+ map). */
export function bundleFunction(fn: FunctionDefinition, options: BundleOptions = {}): FunctionBundle {
  return bundleFunctions([fn], options)[0]!;
}

/**
 * Bundles several functions in ONE esbuild run (esbuild parallelises entry
 * points internally; much faster than one run per function).
 */
export function bundleFunctions(fns: readonly FunctionDefinition[], options: BundleOptions = {}): FunctionBundle[] {
  if (fns.length === 0) return [];
  const functionsDir = resolve(options.functionsDir ?? FUNCTIONS_DIR);
  const outRoot = resolve(options.outRoot ?? BUILD_DIR);
  const entryPoints = fns.map((fn) => ({ in: entryPathOf(fn, functionsDir), out: `${fn.name}/index` }));
  // Stale files from an earlier build would end up in the zip.
  for (const fn of fns) rmSync(join(outRoot, fn.name), { recursive: true, force: true });
  try {
    buildSync({ ...buildOptions(options.minify ?? true), entryPoints, outdir: outRoot });
  } catch (err) {
    throw failure(fns.map((f) => `"${f.name}"`).join(', '), err);
  }
  return fns.map((fn) => describe(fn.name, join(outRoot, fn.name)));
}

// ---------------------------------------------------------------------------
// Deterministic zip (stored entries deflated, fixed DOS timestamp, sorted names)
// ---------------------------------------------------------------------------

/** 1980-01-01 00:00:00 in DOS format: the same bytes on every run. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((d) => (d.isDirectory() ? listFiles(join(dir, d.name), `${prefix}${d.name}/`) : [`${prefix}${d.name}`]));
}

/** Zips every file under `srcDir` into `destFile`, byte-for-byte reproducibly. */
export function zipDeterministic(srcDir: string, destFile: string): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const name of listFiles(srcDir)) {
    const data = readFileSync(join(srcDir, name));
    const compressed = deflateRawSync(data, { level: 9 });
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt16LE(0, 30); // extra
    central.writeUInt16LE(0, 32); // comment
    central.writeUInt16LE(0, 34); // disk
    central.writeUInt16LE(0, 36); // internal attrs
    central.writeUInt32LE(((0o100644 << 16) >>> 0), 38); // -rw-r--r--
    central.writeUInt32LE(offset, 42);

    locals.push(local, nameBytes, compressed);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + compressed.length;
  }
  const centralDir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(centrals.length / 2, 8);
  end.writeUInt16LE(centrals.length / 2, 10);
  end.writeUInt32LE(centralDir.length, 12);
  end.writeUInt32LE(offset, 16);
  const zip = Buffer.concat([...locals, centralDir, end]);
  mkdirSync(dirname(destFile), { recursive: true });
  writeFileSync(destFile, zip);
  return zip;
}

function archive(bundle: FunctionBundle): FunctionArchive {
  const zipFile = `${bundle.outdir}.zip`;
  const zip = zipDeterministic(bundle.outdir, zipFile);
  const digest = createHash('sha256').update(zip).digest();
  return {
    ...bundle,
    zipFile,
    zipBytes: zip.length,
    sha256Base64: digest.toString('base64'),
    sha256Hex: digest.toString('hex'),
  };
}

/** Bundles and zips functions (one esbuild run); `<outRoot>/<name>.zip` each. */
export function packageFunctions(fns: readonly FunctionDefinition[], options: BundleOptions = {}): FunctionArchive[] {
  return bundleFunctions(fns, options).map(archive);
}

/** Bundles and zips one function. */
export function packageFunction(fn: FunctionDefinition, options: BundleOptions = {}): FunctionArchive {
  return packageFunctions([fn], options)[0]!;
}

// ---------------------------------------------------------------------------
// cdktf asset
// ---------------------------------------------------------------------------

/**
 * Copies a function's zip into the synthesized stack as a cdktf file asset.
 * The asset hash is the zip's SHA-256, so the asset path (and the Lambda's
 * `source_code_hash`) change only when the bundled code does.
 */
export function functionAsset(scope: Construct, id: string, archive: FunctionArchive): TerraformAsset {
  return new TerraformAsset(scope, id, {
    path: archive.zipFile,
    type: AssetType.FILE,
    assetHash: archive.sha256Hex.slice(0, 32).toUpperCase(),
  });
}
