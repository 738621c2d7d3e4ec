/**
 * Process liveness, shared by the app runner (scripts/app.mjs), the bundler
 * (infra/bundling.ts), the local runtime and its tests. Plain JavaScript so
 * that `node scripts/app.mjs` can import it without a TypeScript loader.
 */
import { existsSync, readFileSync } from 'node:fs';

/**
 * True while `pid` runs (a process of another user, EPERM, counts). An exited
 * process its parent has not reaped yet (a zombie: state Z; or X, dead) counts as gone:
 * one orphaned to an init that reaps late stays a zombie for seconds after it
 * stopped, and waiting for it would only delay the caller.
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
