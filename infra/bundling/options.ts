/** Paths, options and the error type shared by the bundling modules. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (this file lives in `<root>/infra/bundling`). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where handler modules live; `FunctionDefinition.handler` is relative to it. */
export const FUNCTIONS_DIR = join(PROJECT_ROOT, 'functions');
/** Deterministic output root (git-ignored); `SPS_BUILD_DIR` overrides it. */
export const BUILD_DIR = process.env.SPS_BUILD_DIR || join(PROJECT_ROOT, '.build', 'functions');

export interface BundleOptions {
  /** Directory holding the handler modules. @default FUNCTIONS_DIR */
  readonly functionsDir?: string;
  /** Output root; each build writes `<outRoot>/builds/<pid>-<n>/{<name>.mjs,chunks/,zips/}`. @default BUILD_DIR */
  readonly outRoot?: string;
  /** Minify the bundle. @default true */
  readonly minify?: boolean;
  /**
   * Linked source maps (without `sourcesContent`) next to every file, shipped
   * in the zips; functions then run with NODE_OPTIONS=--enable-source-maps.
   * Readable stack traces, for a slower cold start (Node parses every loaded
   * file's map at import) and bigger zips.
   * @default false
   */
  readonly sourcemap?: boolean;
  /**
   * Reuse the previous build (`<outRoot>/cache/`) when every file it read
   * (sources and node_modules, by content), the entry list, the options, the
   * esbuild version and package-lock.json are unchanged. Only `packageFunctions`
   * and `packageFunctionsAsync` use it.
   * @default false
   */
  readonly cache?: boolean;
}

/** `BundleOptions` with absolute paths and every default applied. */
export type ResolvedOptions = Required<BundleOptions>;

export function resolveOptions(options: BundleOptions): ResolvedOptions {
  return {
    functionsDir: resolve(options.functionsDir ?? FUNCTIONS_DIR),
    outRoot: resolve(options.outRoot ?? BUILD_DIR),
    minify: options.minify ?? true,
    sourcemap: options.sourcemap ?? false,
    cache: options.cache ?? false,
  };
}

/** A bundling problem, with the function name and what to change. */
export class BundlingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundlingError';
  }
}
