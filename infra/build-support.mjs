/**
 * Helpers shared by the app runner (scripts/app.mjs, plain JavaScript so that
 * `node` runs it without a TypeScript loader) and the TypeScript code: the
 * bundler (infra/bundling/), the local runtime and its tests.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * True while `pid` runs (a process of another user, EPERM, counts). An exited
 * process its parent has not reaped yet (a zombie: state Z; or X, dead) counts
 * as gone: one orphaned to an init that reaps late stays a zombie for seconds
 * after it stopped, and waiting for it would only delay the caller.
 * @param {number} pid
 * @returns {boolean}
 */
export function isRunning(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (err.code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat[stat.lastIndexOf(')') + 2];
    return state !== 'Z' && state !== 'X';
  } catch {
    return !existsSync('/proc/self/stat'); // gone meanwhile; or no /proc (not Linux): what kill(0) said
  }
}

/**
 * Hex SHA-256 over `seed` and every input's path (relative to `root`) and
 * content, in sorted order: the key of a build cache. Undefined when an input
 * is gone.
 * @param {string} root
 * @param {readonly string[]} inputs
 * @param {string} [seed]
 * @returns {string | undefined}
 */
export function hashInputs(root, inputs, seed = '') {
  const hash = createHash('sha256').update(seed);
  for (const input of [...inputs].sort()) {
    let data;
    try {
      data = readFileSync(resolve(root, input));
    } catch {
      return undefined;
    }
    hash.update(input).update('\0').update(data).update('\0');
  }
  return hash.digest('hex');
}
