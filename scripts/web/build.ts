/**
 * The web front end's build (web/ → `index.html` + content-hashed files under
 * `assets/`), written once for `npm run build:web` (to web/dist/, which the
 * stack uploads) and `npm run dev` (in memory, rebuilt on change).
 *
 *   bundle web/src/main.ts with esbuild (ES modules, code splitting: the
 *   Cognito library is its own chunk, loaded at sign-in) → hash the icon →
 *   write index.html with the hashed names and Subresource Integrity
 *
 * Names carry a hash of their content (`assets/app-5KQ3XH2M.js`), so the
 * distribution can cache them for a year; index.html is the one file that
 * changes name-free. No config.json: the stack (or `npm run dev`) writes it.
 */
import { createHash } from 'node:crypto';
import { watch } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { REPO_ROOT, WEB_DIST_DIR } from '../../infra/paths';

export const WEB_DIR = path.join(REPO_ROOT, 'web');
/** The entry, the icon and the page template of a front end's folder (`web/` unless a test gives a copy). */
const sourcesOf = (dir: string) => ({ entry: path.join(dir, 'src', 'main.ts'), icon: path.join(dir, 'src', 'favicon.svg'), template: path.join(dir, 'index.html') });
const ASSETS_MARKER = /^\s*<!-- assets:.*-->\n/m;

/** Browsers the bundle is written for: the last two years' evergreen versions (ES2022, ES modules, CSS nesting not used). */
const TARGETS = ['es2022', 'chrome111', 'firefox111', 'safari16.4', 'edge111'];

export interface WebBuild {
  /** Every file of the site by its path (`index.html`, `assets/app-5KQ3XH2M.js`). */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** What index.html loads first, and the whole site: bytes and gzipped bytes. */
  readonly sizes: { readonly initial: Size; readonly total: Size };
  readonly durationMs: number;
}

export interface Size {
  readonly bytes: number;
  readonly gzip: number;
}

export interface BuildOptions {
  /** Source maps next to the bundles (`npm run dev`). @default false */
  readonly sourcemap?: boolean;
  /** The front end's folder (tests build a copy inside the repository, so packages resolve). @default WEB_DIR */
  readonly webDir?: string;
}

const sizeOf = (files: Iterable<Uint8Array>): Size => {
  let bytes = 0;
  let gzip = 0;
  for (const f of files) {
    bytes += f.byteLength;
    gzip += gzipSync(f).byteLength;
  }
  return { bytes, gzip };
};

const shortHash = (data: Uint8Array) => createHash('sha256').update(data).digest('base64url').replace(/[-_]/g, '').slice(0, 8).toUpperCase();
const integrity = (data: Uint8Array) => `sha384-${createHash('sha384').update(data).digest('base64')}`;
const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

function esbuildOptions(options: BuildOptions): esbuild.BuildOptions & { metafile: true; write: false } {
  return {
    entryPoints: { app: sourcesOf(options.webDir ?? WEB_DIR).entry },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: TARGETS,
    minify: true,
    sourcemap: options.sourcemap ? 'linked' : false,
    outdir: path.join(options.webDir ?? WEB_DIR, '.out'), // never written (write: false); names are relative to it
    entryNames: 'assets/[name]-[hash]',
    chunkNames: 'assets/[name]-[hash]',
    assetNames: 'assets/[name]-[hash]',
    // amazon-cognito-identity-js's Buffer polyfill reads `global`.
    define: { global: 'globalThis' },
    legalComments: 'eof',
    metafile: true,
    write: false,
    logLevel: 'silent',
  };
}

/** Turns esbuild's result into the site: its outputs, the icon, and index.html pointing at them. */
async function assemble(result: esbuild.BuildResult<{ metafile: true; write: false }>, outdir: string, t0: number, webDir: string): Promise<WebBuild> {
  const { icon: ICON, template: TEMPLATE } = sourcesOf(webDir);
  const files = new Map<string, Uint8Array>();
  for (const out of result.outputFiles) files.set(path.relative(outdir, out.path).split(path.sep).join('/'), out.contents);
  const [entryName, entry] = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint !== undefined)!;
  const rel = (p: string) => path.relative(outdir, path.resolve(REPO_ROOT, p)).split(path.sep).join('/');
  const script = rel(entryName);
  const css = entry.cssBundle ? rel(entry.cssBundle) : undefined;
  const preload = entry.imports.filter((i) => i.kind === 'import-statement' && !i.external).map((i) => rel(i.path));

  const icon = await fs.readFile(ICON);
  const iconName = `assets/favicon-${shortHash(icon)}.svg`;
  files.set(iconName, icon);

  const tags = [
    `<link rel="icon" href="/${iconName}" type="image/svg+xml">`,
    ...(css ? [`<link rel="stylesheet" href="/${css}" integrity="${escapeAttr(integrity(files.get(css)!))}">`] : []),
    ...preload.map((p) => `<link rel="modulepreload" href="/${p}" integrity="${escapeAttr(integrity(files.get(p)!))}">`),
    `<script type="module" src="/${script}" integrity="${escapeAttr(integrity(files.get(script)!))}"></script>`,
  ];
  const template = await fs.readFile(TEMPLATE, 'utf8');
  if (!ASSETS_MARKER.test(template)) throw new Error(`${TEMPLATE}: the <!-- assets: … --> line is missing; the build puts the icon, stylesheet and script there`);
  const html = template.replace(ASSETS_MARKER, (line) => {
    const indent = /^\s*/.exec(line)![0];
    return tags.map((t) => `${indent}${t}\n`).join('');
  });
  files.set('index.html', new TextEncoder().encode(html));

  const initial = [script, ...(css ? [css] : []), ...preload, 'index.html'].map((k) => files.get(k)!);
  const shipped = [...files].filter(([k]) => !k.endsWith('.map')).map(([, v]) => v);
  return { files, sizes: { initial: sizeOf(initial), total: sizeOf(shipped) }, durationMs: Math.round(performance.now() - t0) };
}

/** Builds the site in memory. */
export async function buildWeb(options: BuildOptions = {}): Promise<WebBuild> {
  const t0 = performance.now();
  const o = esbuildOptions(options);
  return assemble(await esbuild.build(o), o.outdir!, t0, options.webDir ?? WEB_DIR);
}

/**
 * Writes a build to `dir`, replacing what was there: into a fresh folder
 * first, then swapped in, so a reader never sees half a site.
 */
export async function writeWeb(build: WebBuild, dir: string = WEB_DIST_DIR): Promise<void> {
  const staging = `${dir}.tmp-${process.pid}`;
  await fs.rm(staging, { recursive: true, force: true });
  for (const [name, data] of build.files) {
    const file = path.join(staging, ...name.split('/'));
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, data);
  }
  await fs.rm(dir, { recursive: true, force: true });
  await fs.rename(staging, dir);
}

export interface WebWatcher {
  /** The latest successful build. */
  current(): WebBuild;
  close(): Promise<void>;
}

/**
 * Builds, then rebuilds (incrementally) whenever a file under web/ changes
 * (the built output excepted). A failed rebuild is reported and the last good
 * build stays served.
 */
export async function watchWeb(options: BuildOptions & { onBuild?: (b: WebBuild) => void; onError?: (message: string) => void } = {}): Promise<WebWatcher> {
  const o = esbuildOptions(options);
  const ctx = await esbuild.context(o);
  const rebuild = async () => {
    const t0 = performance.now();
    return assemble(await ctx.rebuild(), o.outdir!, t0, options.webDir ?? WEB_DIR);
  };
  let build: WebBuild;
  try {
    build = await rebuild();
  } catch (err) {
    await ctx.dispose();
    throw err;
  }
  let timer: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  const watcher = watch(options.webDir ?? WEB_DIR, { recursive: true }, (_event, file) => {
    if (!file || /^(dist|\.out|node_modules)([\\/]|$)/.test(file) || file.endsWith('README.md')) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = running.then(async () => {
        try {
          build = await rebuild();
          options.onBuild?.(build);
        } catch (err) {
          options.onError?.(formatBuildError(err));
        }
      });
    }, 50);
  });
  watcher.on('error', () => undefined);
  return {
    current: () => build,
    async close() {
      clearTimeout(timer);
      watcher.close();
      await running;
      await ctx.dispose();
    },
  };
}

/** esbuild's errors as `file:line:col: message` lines. */
export function formatBuildError(err: unknown): string {
  const errors = (err as { errors?: esbuild.Message[] }).errors;
  if (!errors?.length) return (err as Error).message ?? String(err);
  return errors.map((e) => `${e.location ? `${path.relative(REPO_ROOT, e.location.file)}:${e.location.line}:${e.location.column}: ` : ''}${e.text}`).join('\n');
}
