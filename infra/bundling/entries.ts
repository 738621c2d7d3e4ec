/** Which file each function is built from, and which functions are built together. */
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { FunctionDefinition } from '../../functions/registry-types';
import { BundlingError, PROJECT_ROOT } from './options';

/** Functions built by one esbuild run, and their entry points (`<name>.mjs` from each handler file). */
export interface BundleGroup {
  readonly name: string;
  readonly fns: readonly FunctionDefinition[];
  readonly entryPoints: { in: string; out: string }[];
}

/**
 * The bundle group of a function, by the kind of data client it is built
 * around: `pg` when it uses SQL through the RDS Proxy (pg + RDS signer; health,
 * which also reads DynamoDB, too), `sdk` when it only uses AWS SDK clients over
 * HTTPS (DynamoDB, the Data API), else `plain`.
 *
 * Why groups: code splitting makes a chunk per *set* of entry points sharing
 * code, so splitting all functions at once cut the SDK into many small chunks
 * and every module loaded costs cold-start time; within a group the functions
 * share nearly all their code. A new function only changes its own group's
 * chunks, and each group costs one more esbuild run (docs/infrastructure.md,
 * Bundling).
 */
export function bundleGroupOf(fn: FunctionDefinition): string {
  if (fn.data?.sql === 'proxy') return 'pg';
  if (fn.data?.sql === 'data-api' || (fn.data?.tables && Object.keys(fn.data.tables).length > 0)) return 'sdk';
  return 'plain';
}

/**
 * Checks every function's name and handler file before anything is built,
 * then groups the functions (`bundleGroupOf`), in group-name order.
 */
export function bundleGroups(fns: readonly FunctionDefinition[], functionsDir: string): BundleGroup[] {
  const seen = new Set<string>();
  for (const fn of fns) {
    if (seen.has(fn.name)) throw new BundlingError(`routes["${fn.name}"].name: "${fn.name}" is used twice; give every function a unique name`);
    seen.add(fn.name);
  }
  const entries = fns.map((fn) => ({ fn, in: entryPathOf(fn, functionsDir), out: fn.name }));
  const names = [...new Set(fns.map(bundleGroupOf))].sort();
  return names.map((name) => {
    const members = entries.filter((e) => bundleGroupOf(e.fn) === name);
    return { name, fns: members.map((e) => e.fn), entryPoints: members.map((e) => ({ in: e.in, out: e.out })) };
  });
}

function entryPathOf(fn: FunctionDefinition, functionsDir: string): string {
  const entry = resolve(functionsDir, fn.handler);
  const where = relative(PROJECT_ROOT, functionsDir) || functionsDir;
  if (!entry.startsWith(functionsDir + '/')) {
    throw new BundlingError(
      `routes["${fn.name}"].handler: "${fn.handler}" points outside ${where}/; use a path relative to functions/, e.g. "posts/create.ts"`,
    );
  }
  if (!existsSync(entry)) {
    throw new BundlingError(
      `routes["${fn.name}"].handler: file "${fn.handler}" does not exist in ${where}/; create it (exporting \`handler\`) or fix the path in functions/registry.ts`,
    );
  }
  return entry;
}
