/**
 * `npm run dev` runs as npm -> sh -c -> tsx -> node (the runtime). A SIGKILL
 * to any launcher above us would leave the runtime running as an orphan that
 * holds the port. We record the chain of launcher processes at startup and
 * stop when any of them is gone.
 */
import { readFileSync } from 'node:fs';

interface Proc {
  readonly pid: number;
  /** Start time in clock ticks since boot: tells a recycled pid apart. */
  readonly startTime: string;
}

function stat(pid: number): { ppid: number; startTime: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // A killed launcher not yet reaped by its parent is a zombie: gone for us.
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return { ppid: Number(fields[1]), startTime: fields[19]! };
  } catch {
    return undefined;
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** Whether a process is one of the launchers between the user and us. */
function isLauncher(cmd: string): boolean {
  return /\btsx\b|\bnpm\b|npm-cli\.js|\bnpx\b|scripts\/dev\.ts/.test(cmd);
}

/** The launcher processes above this one (nearest first); at least the parent. */
export function launcherChain(): Proc[] {
  const chain: Proc[] = [];
  let pid = process.ppid;
  for (let depth = 0; depth < 8 && pid > 1; depth++) {
    const s = stat(pid);
    if (!s) break;
    if (depth > 0 && !isLauncher(cmdline(pid))) break;
    chain.push({ pid, startTime: s.startTime });
    pid = s.ppid;
  }
  return chain;
}

/** Calls `onGone` once when any process of the chain has exited. */
export function watchLaunchers(onGone: (pid: number) => void, intervalMs = 500): () => void {
  const parent = process.ppid;
  const chain = process.platform === 'linux' ? launcherChain() : [];
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      onGone(parent);
      return;
    }
    for (const p of chain) {
      const s = stat(p.pid);
      if (!s || s.startTime !== p.startTime) {
        clearInterval(timer);
        onGone(p.pid);
        return;
      }
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
