/**
 * Where things are in this repository, defined once for infra, scripts, the
 * local runtime and tests.
 */
import { join, resolve } from 'node:path';

/** The repository root (the folder of package.json and cdktf.json). */
export const REPO_ROOT = resolve(import.meta.dirname, '..');
/** Handlers, the registry, tables and migrations. */
export const FUNCTIONS_DIR = join(REPO_ROOT, 'functions');
/** SQL migrations (functions/migrations). */
export const MIGRATIONS_DIR = join(FUNCTIONS_DIR, 'migrations');
/**
 * The built web front end the stack uploads (`npm run build:web` writes it):
 * `index.html`, content-hashed files under `assets/`, anything else it
 * serves. See infra/constructs/web-files.ts for the contract.
 */
export const WEB_DIST_DIR = join(REPO_ROOT, 'web', 'dist');
/** Build outputs: function bundles, the app runner's cache, offline plans (git-ignored). */
export const BUILD_DIR = join(REPO_ROOT, '.build');
/** State of `npm run dev` (databases, certificates; git-ignored). */
export const LOCAL_DATA_DIR = join(REPO_ROOT, '.local');
