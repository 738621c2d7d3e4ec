/**
 * The cdktf app: one PlatformStack per environment (stack name = environment
 * name, so `npx cdktf plan dev` works). Every function is bundled once and the
 * bundles are shared by all stacks.
 */
import { routes, tasks } from '../functions/registry';
import { packageFunctionsAsync } from './bundling';
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
const archives = archivesByName(await bundling);
const app = new App({ stackTraces: false });
for (const config of configs) new PlatformStack(app, config.name, { config, archives });
app.synth();
