/**
 * The cdktf app: one PlatformStack per environment (stack name = environment
 * name, so `npx cdktf plan dev` works). Every function is bundled once and the
 * bundles are shared by all stacks; so is the web front end (web/), built from
 * source on every synth when an environment publishes it (`web.enabled`), so
 * a plan never uploads a stale build.
 */
import { routes, tasks } from '../functions/registry';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { BundlingError, packageFunctionsAsync } from './bundling';
import { BUILD_DIR } from './paths';
import { requireCredentialsForCommand } from './credentials';

// 1. Start bundling: esbuild works in its own process (or the previous build
// is reused when nothing it read changed; SPS_BUNDLE_CACHE=0 turns that off)...
const bundling = packageFunctionsAsync([...routes, ...tasks], {
  cache: process.env.SPS_BUNDLE_CACHE !== '0',
  sourcemap: process.env.SPS_SOURCEMAPS === '1',
});
bundling.catch(() => undefined); // reported where it is awaited, after config errors

// 2. ...while this one loads cdktf, the provider classes and the config.
const { App } = await import('cdktf');
const { loadAllConfigs } = await import('./config');
const { archivesByName, PlatformStack } = await import('./stack');

// 3. One stack per environment, then synth. `cdktf diff|deploy` without any
// AWS credentials stops here with one line saying what to set.
const configs = loadAllConfigs();
await requireCredentialsForCommand();
const webDir = configs.some((c) => c.web.enabled) ? await buildWebForSynth() : undefined;
try {
  const archives = archivesByName(await bundling);
  const app = new App({ stackTraces: false });
  for (const config of configs) new PlatformStack(app, config.name, { config, archives, webDir });
  app.synth(); // copies the site into each stack's assets (TerraformAsset), so its folder can go
} finally {
  if (webDir) rmSync(webDir, { recursive: true, force: true });
}

/** The front end built into a folder of this process (concurrent synths never share one). */
async function buildWebForSynth(): Promise<string> {
  const { buildWeb, formatBuildError, writeWeb } = await import('../scripts/web/build');
  const dir = join(BUILD_DIR, 'web', String(process.pid));
  try {
    await writeWeb(await buildWeb(), dir);
  } catch (err) {
    throw new BundlingError(`the web front end (web/) does not build:\n${formatBuildError(err)}\nFix it (npm run build:web shows the same), or set web.enabled to false.`);
  }
  return dir;
}
