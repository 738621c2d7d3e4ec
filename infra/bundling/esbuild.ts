/**
 * The esbuild runs: one per bundle group (`bundleGroupOf`), with code
 * splitting, so code a group's functions share is compiled and shipped once.
 */
import { build, buildSync, type BuildOptions, type Metafile } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FunctionDefinition } from '../../functions/registry-types';
import { isRunning } from '../build-support.mjs';
import { ESM_REQUIRE_BANNER, trimBanners } from './banner';
import { bundleGroups, type BundleGroup } from './entries';
import { BundlingError, resolveOptions, type BundleOptions, type ResolvedOptions } from './options';
import { REPO_ROOT } from '../paths';
import { describeOutputs, type FunctionBundle } from './outputs';

/**
 * Modules left out of the bundle: optional native or platform-specific
 * dependencies that pg only tries to load (`pg-native`) or that target other
 * runtimes (`cloudflare:sockets`).
 */
const EXTERNAL = ['pg-native', 'cloudflare:sockets'];

/** Shared code (AWS SDK, middy, pg) lands in content-hashed chunks here. */
const CHUNK_DIR = 'chunks';

/** esbuild's settings for one group (the entry points and outdir come on top); also part of the cache key. */
export function buildOptions(options: Pick<ResolvedOptions, 'minify' | 'sourcemap'>, group = 'plain'): BuildOptions {
  return {
    bundle: true,
    write: true,
    metafile: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    minify: options.minify,
    treeShaking: true,
    // Shared code becomes chunks, and the SDK's lazily imported parts
    // (credential providers for other environments) stay in chunks that are
    // only loaded when used.
    splitting: true,
    chunkNames: `${CHUNK_DIR}/${group}/[name]-[hash]`,
    // The ES module builds of dependencies (AWS SDK v3 ships both) tree-shake better.
    mainFields: ['module', 'main'],
    // No maps by default: Node with --enable-source-maps parses every loaded file's map at import.
    sourcemap: options.sourcemap ? 'linked' : false,
    sourcesContent: false,
    legalComments: 'none',
    charset: 'utf8',
    outExtension: { '.js': '.mjs' },
    banner: { js: ESM_REQUIRE_BANNER },
    external: EXTERNAL,
    logLevel: 'silent',
    absWorkingDir: REPO_ROOT,
  };
}

export interface BuildResult {
  readonly bundles: FunctionBundle[];
  /** Files esbuild read, relative to REPO_ROOT. */
  readonly inputs: string[];
}

/**
 * Bundles functions into `<build dir>/<name>.mjs` plus chunks (and maps);
 * each function's file list is its entry plus the chunks it imports.
 *
 * Trade-off: chunk boundaries depend on which functions of a group share code,
 * so adding or removing a function can move shared code between its group's
 * chunks and change the zips (and trigger a redeploy) of the group's other
 * functions; behaviour does not change, and other groups are not touched.
 */
export function bundleFunctions(fns: readonly FunctionDefinition[], options: BundleOptions = {}): FunctionBundle[] {
  return bundleWithInputs(fns, options).bundles;
}

/** `bundleFunctions`, with the files esbuild read (the build cache's inputs). */
export function bundleWithInputs(fns: readonly FunctionDefinition[], options: BundleOptions): BuildResult {
  if (fns.length === 0) return { bundles: [], inputs: [] };
  const plan = planBuild(fns, options);
  const metafiles = plan.groups.map((group) => {
    try {
      return buildSync(group.options).metafile!;
    } catch (err) {
      throw failure(group, err);
    }
  });
  return finishBuild(fns, plan.buildDir, metafiles);
}

/**
 * `bundleWithInputs` with esbuild running in its own process while this one
 * keeps working: the app starts bundling, then loads cdktf (infra/main.ts).
 * The groups' runs go to esbuild's service at once and overlap there.
 */
export async function bundleWithInputsAsync(fns: readonly FunctionDefinition[], options: BundleOptions): Promise<BuildResult> {
  if (fns.length === 0) return { bundles: [], inputs: [] };
  const plan = planBuild(fns, options);
  const metafiles = await Promise.all(
    plan.groups.map((group) =>
      build(group.options).then(
        (result) => result.metafile!,
        (err: unknown) => {
          throw failure(group, err);
        },
      ),
    ),
  );
  return finishBuild(fns, plan.buildDir, metafiles);
}

interface GroupBuild extends BundleGroup {
  readonly options: BuildOptions;
}

function planBuild(fns: readonly FunctionDefinition[], options: BundleOptions): { buildDir: string; groups: GroupBuild[] } {
  const resolved = resolveOptions(options);
  const groups = bundleGroups(fns, resolved.functionsDir);
  const buildDir = newBuildDir(resolved.outRoot);
  return {
    buildDir,
    groups: groups.map((group) => ({
      ...group,
      options: { ...buildOptions(resolved, group.name), entryPoints: group.entryPoints, outdir: buildDir },
    })),
  };
}

/** Trims banners and describes every function's files, from the groups' metafiles. */
function finishBuild(fns: readonly FunctionDefinition[], buildDir: string, metafiles: readonly Metafile[]): BuildResult {
  const merged: Metafile = { inputs: {}, outputs: {} };
  for (const metafile of metafiles) {
    trimBanners(metafile, REPO_ROOT);
    Object.assign(merged.inputs, metafile.inputs);
    Object.assign(merged.outputs, metafile.outputs);
  }
  return { bundles: describeOutputs(fns, buildDir, merged, REPO_ROOT), inputs: Object.keys(merged.inputs).sort() };
}

function failure(group: BundleGroup, err: unknown): BundlingError {
  const names = group.fns.map((f) => `"${f.name}"`).join(', ');
  const errors = (err as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors;
  const detail = errors?.length
    ? errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text)).join('\n  ')
    : String(err);
  return new BundlingError(`esbuild could not bundle ${names}:\n  ${detail}`);
}

let buildSeq = 0;

/**
 * Every build gets its own directory, `<outRoot>/builds/<pid>-<n>`, so builds
 * running at the same time (a synth, a test, a bench) never delete each
 * other's files, and no stale chunk can end up in a zip. Directories of
 * processes that are gone are removed. (Output bytes do not depend on the
 * directory name: source maps point at the sources by a relative path of the
 * same depth.)
 */
function newBuildDir(outRoot: string): string {
  const builds = join(outRoot, 'builds');
  if (existsSync(builds)) {
    for (const name of readdirSync(builds)) {
      const pid = Number(name.split('-')[0]);
      if (Number.isInteger(pid) && pid !== process.pid && !isRunning(pid)) rmSync(join(builds, name), { recursive: true, force: true });
    }
  }
  const dir = join(builds, `${process.pid}-${++buildSeq}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}
