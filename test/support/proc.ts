/**
 * The machine's processes, read from /proc: the one scanner the lifecycle,
 * CLI and fault tests use to find what a runtime left running.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  /** Process group id. */
  readonly pgrp: number;
  /** One-letter state from /proc/<pid>/stat (R, S, T, Z, …). */
  readonly state: string;
  /** Command name (/proc/<pid>/stat's second field). */
  readonly comm: string;
  /** Command line. */
  readonly argv: readonly string[];
}

/** Every process still running at the moment of the scan (those that exit meanwhile are skipped). */
export function listProcesses(): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      out.push({
        pid: Number(entry),
        comm: stat.slice(stat.indexOf('(') + 1, close),
        state: fields[0]!,
        ppid: Number(fields[1]),
        pgrp: Number(fields[2]),
        argv: readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean),
      });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** A process's environment (`KEY=value` entries), or [] when it is gone or not ours to read. */
export function processEnvironment(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/** True while `pid` runs; an exited process not reaped yet (a zombie) counts as gone. */
export { isRunning } from '../../infra/build-support.mjs';
