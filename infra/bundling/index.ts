/**
 * esbuild bundling of the registry's functions into deterministic zips, shared
 * by the stack, the app, the benches and the tests (import it; do not
 * duplicate it). Each function becomes `<name>.mjs` plus the shared chunks it
 * imports: ESM, minified, tree-shaken, node22, the AWS SDK bundled so that our
 * lockfile pins its version, not the Lambda runtime. Same sources => same
 * bytes => same zip => same hash; the zip becomes a cdktf FILE asset in
 * infra/constructs/function.ts. Nothing here imports cdktf, so the app can
 * start bundling before loading it.
 *
 *   entries.ts  each function's handler file; bundle groups by data client
 *   esbuild.ts  one esbuild run per group, with code splitting
 *   banner.ts   the `createRequire` banner, trimmed to what each file uses
 *   outputs.ts  the files each function ships
 *   zip.ts      deterministic zips
 *   cache.ts    reuse of a build whose inputs did not change
 *   package.ts  bundle + zip (+ cache)
 */
export { bundleGroupOf } from './entries';
export { bundleFunctions } from './esbuild';
export { usesName } from './banner';
export { BUNDLE_DIR, BundlingError, type BundleOptions } from './options';
export type { FunctionArchive, FunctionBundle } from './outputs';
export { packageFunction, packageFunctions, packageFunctionsAsync } from './package';
