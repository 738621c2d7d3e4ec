/** Bundle, zip and (optionally) cache: what the stack and the app call. */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { FunctionDefinition } from '../../functions/registry-types';
import { BuildCache } from './cache';
import { bundleWithInputs, bundleWithInputsAsync, type BuildResult } from './esbuild';
import type { BundleOptions } from './options';
import type { FunctionArchive, FunctionBundle } from './outputs';
import { zipDeterministic } from './zip';

/** Bundles and zips functions (one esbuild run per bundle group); `<build dir>/zips/<name>.zip` each. */
export function packageFunctions(fns: readonly FunctionDefinition[], options: BundleOptions = {}): FunctionArchive[] {
  const cache = options.cache ? new BuildCache(fns, options) : undefined;
  return cache?.lookup() ?? archiveAll(bundleWithInputs(fns, options), cache);
}

/**
 * `packageFunctions` with esbuild running in its own process while the caller
 * keeps working (the app loads cdktf meanwhile, see infra/main.ts).
 */
export async function packageFunctionsAsync(fns: readonly FunctionDefinition[], options: BundleOptions = {}): Promise<FunctionArchive[]> {
  const cache = options.cache ? new BuildCache(fns, options) : undefined;
  return cache?.lookup() ?? archiveAll(await bundleWithInputsAsync(fns, options), cache);
}

/** Bundles and zips one function. */
export function packageFunction(fn: FunctionDefinition, options: BundleOptions = {}): FunctionArchive {
  return packageFunctions([fn], options)[0]!;
}

function archiveAll(result: BuildResult, cache: BuildCache | undefined): FunctionArchive[] {
  const archives = result.bundles.map(archive);
  return cache ? cache.store(archives, result.inputs) : archives;
}

function archive(bundle: FunctionBundle): FunctionArchive {
  const zipFile = join(bundle.outdir, 'zips', `${bundle.name}.zip`);
  const zip = zipDeterministic(bundle.outdir, bundle.files, zipFile);
  const digest = createHash('sha256').update(zip).digest();
  return { ...bundle, zipFile, zipBytes: zip.length, sha256Base64: digest.toString('base64'), sha256Hex: digest.toString('hex') };
}
