/**
 * Bootstrap app: `npx cdktf deploy bootstrap --app "node --disable-warning=DEP0044 scripts/app.mjs infra/bootstrap/main.ts" --output cdktf.out.bootstrap`
 * (see docs/ci-cd.md). Project and region come from the dev environment config.
 */
import { App } from 'cdktf';
import { loadAllConfigs, loadConfig } from '../config';
import { BootstrapStack, bootstrapSettingsFromEnv } from './stack';

const dev = loadConfig('dev');
const environments = loadAllConfigs()
  .filter((c) => c.project === dev.project && c.region === dev.region)
  .map((c) => c.name);
const { placeholders, ...settings } = bootstrapSettingsFromEnv({ project: dev.project, region: dev.region, environments });
if (placeholders.length > 0 && process.env.CI !== 'true' && !process.env.JEST_WORKER_ID) {
  console.error(`bootstrap: using placeholder values for ${placeholders.join(', ')}; set them before applying`);
}
const app = new App();
new BootstrapStack(app, 'bootstrap', settings);
app.synth();
