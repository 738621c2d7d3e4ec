/** Options and the error type shared by the bundling modules. */
import { join, resolve } from 'node:path';
import { BUILD_DIR, FUNCTIONS_DIR } from '../paths';

/** Deterministic output root of the function bundles (git-ignored); `SPS_BUILD_DIR` overrides it. */
export const BUNDLE_DIR = process.env.SPS_BUILD_DIR || join(BUILD_DIR, 'functions');

export interface BundleOptions {
  /** Directory holding the handler modules. @default FUNCTIONS_DIR */
  readonly functionsDir?: string;
  /** Output root; each build writes `<outRoot>/builds/<pid>-<n>/{<name>.mjs,chunks/,zips/}`. @default BUNDLE_DIR */
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
    outRoot: resolve(options.outRoot ?? BUNDLE_DIR),
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
