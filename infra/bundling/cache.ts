/**
 * The build cache: <outRoot>/cache/<setKey>.json indexes the last build of a
 * function set, kept in <outRoot>/cache/<setKey>-<contentKey>/.
 */
import { version as esbuildVersion } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { FunctionDefinition } from '../../functions/registry-types';
import { hashInputs } from '../build-support.mjs';
import { bundleGroupOf } from './entries';
import { buildOptions } from './esbuild';
import { resolveOptions, type BundleOptions } from './options';
import { REPO_ROOT } from '../paths';
import type { FunctionArchive } from './outputs';

/** Older entries of the same function set are removed after this long (runs still using them finish first). */
const CACHE_KEEP_MS = 10 * 60 * 1000;

/** Bump when the bytes written for the same esbuild output change. */
const POST_PROCESS = 'trim-banner-2+imported+fflate-zip';

interface CacheIndex {
  readonly contentKey: string;
  readonly inputs: string[];
  /** Archives with `outdir`, `entryFile` and `zipFile` relative to the entry dir. */
  readonly archives: FunctionArchive[];
}

/**
 * A finished build is moved (atomically, by rename) into the cache and
 * indexed by a key of everything that determines its bytes; a later run with
 * the same key reuses it instead of running esbuild. Inputs are compared by
 * content, so touching a file without changing it keeps the cache.
 */
export class BuildCache {
  private readonly dir: string;
  private readonly setKey: string;
  private readonly indexFile: string;

  constructor(fns: readonly FunctionDefinition[], options: BundleOptions) {
    const resolved = resolveOptions(options);
    const lock = join(REPO_ROOT, 'package-lock.json');
    this.dir = join(resolved.outRoot, 'cache');
    this.setKey = sha256Hex(
      JSON.stringify({
        esbuild: esbuildVersion,
        options: buildOptions(resolved),
        postProcess: POST_PROCESS,
        entries: fns.map((fn) => [fn.name, resolve(resolved.functionsDir, fn.handler), bundleGroupOf(fn)]),
        lock: existsSync(lock) ? sha256Hex(readFileSync(lock)) : null,
      }),
    ).slice(0, 16);
    this.indexFile = join(this.dir, `${this.setKey}.json`);
  }

  /** The cached archives, if nothing they were built from has changed. */
  lookup(): FunctionArchive[] | undefined {
    let index: CacheIndex;
    try {
      index = JSON.parse(readFileSync(this.indexFile, 'utf8')) as CacheIndex;
    } catch {
      return undefined;
    }
    if (hashInputs(REPO_ROOT, index.inputs) !== index.contentKey) return undefined;
    const archives = relocate(index.archives, '.', this.entryDir(index.contentKey));
    return archives.every((a) => existsSync(a.zipFile)) ? archives : undefined;
  }

  /** Moves this build into the cache, records it, and returns the archives at their new place. */
  store(archives: FunctionArchive[], inputs: string[]): FunctionArchive[] {
    const contentKey = hashInputs(REPO_ROOT, inputs);
    if (!contentKey || archives.length === 0) return archives;
    const buildDir = archives[0]!.outdir;
    const entryDir = this.entryDir(contentKey);
    mkdirSync(this.dir, { recursive: true });
    if (existsSync(entryDir)) return archives; // another run cached the same build
    try {
      renameSync(buildDir, entryDir);
    } catch {
      return archives;
    }
    const stored = relocate(archives, buildDir, entryDir);
    const index: CacheIndex = { contentKey, inputs, archives: relocate(stored, entryDir, '.') };
    const tmp = `${this.indexFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(index));
    renameSync(tmp, this.indexFile);
    this.prune(entryDir);
    return stored;
  }

  private entryDir(contentKey: string): string {
    return join(this.dir, `${this.setKey}-${contentKey.slice(0, 16)}`);
  }

  private prune(keep: string): void {
    const now = Date.now();
    for (const name of readdirSync(this.dir)) {
      const path = join(this.dir, name);
      if (!name.startsWith(`${this.setKey}-`) || path === keep) continue;
      try {
        if (now - statSync(path).mtimeMs > CACHE_KEEP_MS) rmSync(path, { recursive: true, force: true });
      } catch {
        // removed concurrently
      }
    }
  }
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function relocate(archives: readonly FunctionArchive[], from: string, to: string): FunctionArchive[] {
  const move = (p: string): string => join(to, relative(from, p));
  return archives.map((a) => ({ ...a, outdir: move(a.outdir), entryFile: move(a.entryFile), zipFile: move(a.zipFile) }));
}
