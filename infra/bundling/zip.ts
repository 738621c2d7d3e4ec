/**
 * Deterministic zips: sorted entries, a fixed timestamp and fixed permissions,
 * so the same files give the same bytes (and hash) wherever the repository
 * lives. (Not cdktf's ARCHIVE asset: its zips carry file mtimes, and it spawns
 * one node process per asset.)
 */
import { zipSync, type ZipOptions, type Zippable } from 'fflate';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const ENTRY_OPTIONS: ZipOptions = {
  // fflate writes the date in local time: local midnight of the first DOS date is the same bytes in every time zone.
  mtime: new Date(1980, 0, 1),
  // Unix, -rw-r--r--: the Lambda runtime's user must be able to read every file.
  os: 3,
  attrs: 0o100644 << 16,
  // The fastest deflate: this runs on every uncached synth.
  level: 1,
};

/**
 * Zips `files` (paths relative to `baseDir`, stored under those names) into
 * `destFile`, byte-for-byte reproducibly; returns the zip.
 */
export function zipDeterministic(baseDir: string, files: readonly string[], destFile: string): Uint8Array {
  const entries: Zippable = {};
  for (const name of [...files].sort()) entries[name.split('\\').join('/')] = readFileSync(join(baseDir, name));
  const zip = zipSync(entries, ENTRY_OPTIONS);
  mkdirSync(dirname(destFile), { recursive: true });
  writeFileSync(destFile, zip);
  return zip;
}
