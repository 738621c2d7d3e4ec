/** Which file each function is built from, and which functions are built together. */
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { duplicateProblems, isRoute, resolveHandler } from '../../functions/registry-schema';
import type { FunctionDefinition } from '../../functions/registry-types';
import { BundlingError } from './options';
import { REPO_ROOT } from '../paths';

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
 * Checks names and handler files with the registry's rules before anything is built,
 * then groups the functions (`bundleGroupOf`), in group-name order.
 */
export function bundleGroups(fns: readonly FunctionDefinition[], functionsDir: string): BundleGroup[] {
  const duplicate = duplicateProblems(fns)[0];
  if (duplicate) throw new BundlingError(duplicate);
  const entries = fns.map((fn) => ({ fn, in: entryPathOf(fn, functionsDir), out: fn.name }));
  const names = [...new Set(fns.map(bundleGroupOf))].sort();
  return names.map((name) => {
    const members = entries.filter((e) => bundleGroupOf(e.fn) === name);
    return { name, fns: members.map((e) => e.fn), entryPoints: members.map((e) => ({ in: e.in, out: e.out })) };
  });
}

/** The handler file of a function, by the registry's rule (functions/registry-schema.ts); it must exist. */
function entryPathOf(fn: FunctionDefinition, functionsDir: string): string {
  const where = `${isRoute(fn) ? 'routes' : 'tasks'}["${fn.name}"].handler`;
  const handler = resolveHandler(functionsDir, fn.handler);
  if ('problem' in handler) throw new BundlingError(`${where}: ${handler.problem}`);
  if (!existsSync(handler.file)) {
    const dir = relative(REPO_ROOT, functionsDir) || functionsDir;
    throw new BundlingError(`${where}: file "${fn.handler}" does not exist in ${dir}/; create it (exporting \`handler\`) or fix the path in functions/registry.ts`);
  }
  return handler.file;
}
