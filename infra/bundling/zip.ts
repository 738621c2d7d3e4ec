/**
 * Deterministic zips (deflated entries, fixed DOS timestamp, sorted names):
 * same files => same bytes => same hash, wherever the repository lives.
 * (Not cdktf's ARCHIVE asset: its zips carry file mtimes, and it spawns one
 * node process per asset.)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';

/** 1980-01-01 00:00:00 in DOS format: the same bytes on every run. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
/** zlib level 1: the fastest; this runs on every uncached synth. */
const DEFLATE_LEVEL = 1;

interface ZipEntryData {
  readonly crc: number;
  readonly size: number;
  readonly compressed: Buffer;
}

/** Compressed entries by absolute path, so a chunk shared by many functions is deflated once. */
export type ZipEntryCache = Map<string, ZipEntryData>;

function entryData(file: string, cache?: ZipEntryCache): ZipEntryData {
  const hit = cache?.get(file);
  if (hit) return hit;
  const data = readFileSync(file);
  const entry = { crc: crc32(data), size: data.length, compressed: deflateRawSync(data, { level: DEFLATE_LEVEL }) };
  cache?.set(file, entry);
  return entry;
}

/**
 * Zips `files` (paths relative to `baseDir`, stored under those names) into
 * `destFile`, byte-for-byte reproducibly.
 */
export function zipDeterministic(baseDir: string, files: readonly string[], destFile: string, cache?: ZipEntryCache): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  const names = [...files].sort();
  for (const name of names) {
    const { crc, size, compressed } = entryData(join(baseDir, name), cache);
    const nameBytes = Buffer.from(name.split('\\').join('/'), 'utf8');

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt16LE(0, 30); // extra
    central.writeUInt16LE(0, 32); // comment
    central.writeUInt16LE(0, 34); // disk
    central.writeUInt16LE(0, 36); // internal attrs
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // -rw-r--r--
    central.writeUInt32LE(offset, 42);

    locals.push(local, nameBytes, compressed);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + compressed.length;
  }
  const centralDir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(names.length, 8);
  end.writeUInt16LE(names.length, 10);
  end.writeUInt32LE(centralDir.length, 12);
  end.writeUInt32LE(offset, 16);
  const zip = Buffer.concat([...locals, centralDir, end]);
  mkdirSync(dirname(destFile), { recursive: true });
  writeFileSync(destFile, zip);
  return zip;
}

