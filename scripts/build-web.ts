/**
 * `npm run build:web`: builds the web front end into web/dist/ (index.html
 * and content-hashed files under assets/), which the stack uploads.
 */
import path from 'node:path';
import { REPO_ROOT, WEB_DIST_DIR } from '../infra/paths';
import { buildWeb, formatBuildError, writeWeb, type Size } from './web/build';

const kb = (s: Size) => `${(s.bytes / 1024).toFixed(1)} KB (${(s.gzip / 1024).toFixed(1)} KB gzipped)`;

try {
  const build = await buildWeb();
  await writeWeb(build, WEB_DIST_DIR);
  console.log(`web app built into ${path.relative(REPO_ROOT, WEB_DIST_DIR)}/ in ${build.durationMs} ms: ${build.files.size} files`);
  for (const name of [...build.files.keys()].sort()) console.log(`  ${name}  ${(build.files.get(name)!.byteLength / 1024).toFixed(1)} KB`);
  console.log(`first load ${kb(build.sizes.initial)}; whole site ${kb(build.sizes.total)}`);
} catch (err) {
  console.error(`build:web failed:\n${formatBuildError(err)}`);
  process.exit(1);
}
