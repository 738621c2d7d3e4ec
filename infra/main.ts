/**
 * The cdktf app: one PlatformStack per environment (stack name = environment
 * name, so `npx cdktf plan dev` works). Bundles are built once and shared.
 */
import { App } from 'cdktf';
import { routes, tasks } from '../functions/registry';
import { loadAllConfigs } from './config';
import { bundleAll, PlatformStack } from './stack';

const configs = loadAllConfigs();
const archives = bundleAll([...routes, ...tasks]);
const app = new App();
for (const config of configs) new PlatformStack(app, config.name, { config, archives });
app.synth();
