/** The files each function ships, read from esbuild's metafile. */
import type { Metafile } from 'esbuild';
import { join, relative, resolve } from 'node:path';
import type { FunctionDefinition } from '../../functions/registry-types';
import { BundlingError } from './options';

export interface FunctionBundle {
  /** Function name (registry `name`). */
  readonly name: string;
  /** This build's directory; `files` are relative to it. */
  readonly outdir: string;
  /** Absolute path of the entry file (`<name>.mjs`). */
  readonly entryFile: string;
  /** Lambda `handler` setting: `<name>.handler`. */
  readonly handler: string;
  /** Every file the function loads (entry, its chunks, their maps), relative to `outdir`, sorted. */
  readonly files: readonly string[];
  /** The JavaScript files importing the entry loads (its static imports, transitively; not the lazily imported chunks), relative to `outdir`, sorted. */
  readonly imported: readonly string[];
  /** JavaScript bytes the function loads (entry + chunks). */
  readonly bytes: number;
  /** Source map bytes. */
  readonly mapBytes: number;
}

export interface FunctionArchive extends FunctionBundle {
  /** Deterministic zip of `files`. */
  readonly zipFile: string;
  /** Size of the zip in bytes. */
  readonly zipBytes: number;
  /** Base64 SHA-256 of the zip: Lambda's `source_code_hash`. */
  readonly sha256Base64: string;
  /** Hex SHA-256 of the zip (asset hash). */
  readonly sha256Hex: string;
}

/**
 * Each function's entry plus the chunks it imports, transitively; metafile
 * paths are relative to `root` (esbuild's working directory).
 */
export function describeOutputs(fns: readonly FunctionDefinition[], buildDir: string, metafile: Metafile, root: string): FunctionBundle[] {
  const outputs = new Map(Object.entries(metafile.outputs).map(([file, meta]) => [resolve(root, file), meta]));
  /** Every output reachable from `entryFile` through imports of the kinds `follow` accepts. */
  const reachable = (entryFile: string, follow: (kind: string) => boolean): Set<string> => {
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      const meta = outputs.get(file);
      if (!meta) throw new BundlingError(`esbuild output ${file} is missing from its metafile`);
      seen.add(file);
      for (const imp of meta.imports) if (!imp.external && follow(imp.kind)) visit(resolve(root, imp.path));
    };
    visit(entryFile);
    return seen;
  };
  return fns.map((fn) => {
    const entryFile = join(buildDir, `${fn.name}.mjs`);
    const js = reachable(entryFile, (kind) => kind !== 'require-call');
    const imported = [...reachable(entryFile, (kind) => kind === 'import-statement')].map((file) => relative(buildDir, file)).sort();
    let bytes = 0;
    let mapBytes = 0;
    const files: string[] = [];
    for (const file of js) {
      bytes += outputs.get(file)!.bytes;
      files.push(relative(buildDir, file));
      const map = `${file}.map`;
      if (outputs.has(map)) {
        mapBytes += outputs.get(map)!.bytes;
        files.push(relative(buildDir, map));
      }
    }
    files.sort();
    return { name: fn.name, outdir: buildDir, entryFile, handler: `${fn.name}.handler`, files, imported, bytes, mapBytes };
  });
}
