#!/usr/bin/env node
/**
 * Runs a cdktf app entry written in TypeScript, the fast way: esbuild bundles
 * the entry and our own modules (infra/, functions/ registry and tables) into
 * one ES module, every package in node_modules left external, and plain
 * `node` imports it. This is the app command in cdktf.json:
 *
 *   node scripts/app.mjs [entry]        (default entry: infra/main.ts)
 *
 * Why not `tsx` or Node's type stripping: a synth takes about twice as long
 * under tsx, and Node cannot strip these sources (extensionless imports,
 * parameter properties); figures in docs/benchmarks.md#synth. Plain JavaScript,
 * so it finds the repository itself instead of importing infra/paths.ts.
 *
 * cdktf.json and infra/policy/synth.ts run it as `node --disable-warning=DEP0044
 * scripts/app.mjs`: cdktf 0.21's TerraformOutput calls `util.isArray`
 * (node_modules/cdktf/lib/terraform-output.js), which Node 22 reports as
 * deprecated (DEP0044) on every synth; the flag (Node >= 20.11) hides that
 * one warning and no other.
 *
 * An error the user fixes in the configuration (ConfigError, BundlingError,
 * CredentialsError) is printed once, as its message alone: its stack frames
 * point into .build/app and help nobody. Run directly, the message goes to
 * stderr (exit 1). Under the cdktf CLI, which prints an app's stderr twice
 * (streamed, then again in its failure report: @cdktf/commons src/util.ts
 * `exec`, @cdktf/cli-core src/lib/synth-stack.ts), it becomes an error
 * annotation instead, which the CLI prints once and then fails on
 * (cli-core src/lib/synth.ts `printAnnotations`); the CLI tells the app so by
 * setting CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS ("we want to display the
 * errors ourselves"). Sources: the CLI's source map,
 * node_modules/cdktf-cli/bundle/bin/cmds/handlers.js.map.
 *
 * Behaviour is the source's: `import.meta.url` / `import.meta.dirname` keep
 * the value they have in the source file (the code finds the repository by
 * them), dynamic `import()` stays lazy (code splitting), and stack traces point
 * at the .ts sources (linked source maps, enabled below).
 *
 * The build is cached by content, like tsx's transform cache: .build/app/
 * <entry>.json lists every file the last build read with its SHA-256, and the
 * build itself sits in .build/app/<entry>-<key>/. When every listed file is
 * unchanged, that build is imported as it is. Otherwise a new one is built
 * into a per-process folder and renamed into place (atomic), so concurrent
 * synths never read each other's half-written files.
 */
import { build, transform, version as esbuildVersion } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { hashInputs, isRunning } from '../infra/build-support.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entry = resolve(process.argv[2] ?? join(ROOT, 'infra', 'main.ts'));
if (!existsSync(entry)) {
  console.error(`scripts/app.mjs: app entry ${relative(process.cwd(), entry) || entry} does not exist; pass a path such as infra/main.ts`);
  process.exit(2);
}

const APP_DIR = join(ROOT, '.build', 'app');

const slug = relative(ROOT, entry)
  .replace(/\.ts$/, '')
  .replace(/[^\w.-]+/g, '_');
const indexFile = join(APP_DIR, `${slug}.json`);

/** SHA-256 over the build settings and every input's path and content; undefined if one is gone. */
function contentKey(inputs) {
  return hashInputs(ROOT, inputs, `${esbuildVersion}\0${process.version}\0${FORMAT}\0`)?.slice(0, 16);
}

/** The cached build's folder, if nothing it was built from has changed. */
function cachedBuild() {
  try {
    const index = JSON.parse(readFileSync(indexFile, 'utf8'));
    const dir = join(APP_DIR, `${slug}-${index.key}`);
    if (index.key !== contentKey(index.inputs) || !existsSync(join(dir, 'main.mjs'))) return undefined;
    const now = new Date();
    utimesSync(dir, now, now); // in use: `prune` keeps builds used in the last ten minutes
    return dir;
  } catch {
    return undefined;
  }
}

/** Removes per-process folders of runs that died, and builds of this entry not used for ten minutes. */
function prune(keep) {
  for (const name of readdirSync(APP_DIR)) {
    const path = join(APP_DIR, name);
    const pid = Number(name.split('-')[0]);
    if (/^\d+-tmp$/.test(name) && pid !== process.pid && !isRunning(pid)) rmSync(path, { recursive: true, force: true });
    else if (name.startsWith(`${slug}-`) && path !== keep) {
      try {
        if (Date.now() - statSync(path).mtimeMs > 10 * 60 * 1000) rmSync(path, { recursive: true, force: true });
      } catch {
        // removed concurrently
      }
    }
  }
}

/**
 * Our TypeScript sources keep their own `import.meta` values. esbuild's
 * `define` replaces the expressions in the syntax tree, never text inside a
 * string (infra/bundling/banner.ts writes `import.meta.url` into the functions'
 * banner, which must stay as it is); the inline source map keeps stack traces
 * pointing at the .ts lines.
 */
const sourceImportMeta = {
  name: 'source-import-meta',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta')) return { contents: source, loader: 'ts' };
      const { code } = await transform(source, {
        loader: 'ts',
        format: 'esm',
        target: 'node20',
        sourcemap: 'inline',
        sourcefile: args.path,
        define: {
          'import.meta.url': JSON.stringify(pathToFileURL(args.path).href),
          'import.meta.dirname': JSON.stringify(dirname(args.path)),
          'import.meta.filename': JSON.stringify(args.path),
        },
      });
      return { contents: code, loader: 'js' };
    });
    // The provider's deep imports are folders (`lib/vpc`), which Node's ES
    // module resolver refuses; name their index file.
    b.onResolve({ filter: /^@cdktf\/provider-aws\/lib\/[^/]+$/ }, (args) => ({
      path: `${args.path}/index.js`,
      external: true,
    }));
  },
};

/** Settings that change the output (part of the cache key). */
const FORMAT = 'esm-node20-split-external-v2';

let outdir = cachedBuild();
if (!outdir) {
  mkdirSync(APP_DIR, { recursive: true });
  const tmp = join(APP_DIR, `${process.pid}-tmp`);
  rmSync(tmp, { recursive: true, force: true });
  const result = await buildApp(tmp);
  const inputs = Object.keys(result.metafile.inputs)
    .filter((input) => !input.includes(':'))
    .sort();
  const key = contentKey(inputs);
  outdir = tmp;
  if (key) {
    const dir = join(APP_DIR, `${slug}-${key}`);
    try {
      if (!existsSync(dir)) renameSync(tmp, dir);
      outdir = dir;
      const tmpIndex = `${indexFile}.${process.pid}.tmp`;
      writeFileSync(tmpIndex, JSON.stringify({ key, inputs }));
      renameSync(tmpIndex, indexFile);
    } catch {
      // another run stored the same build meanwhile: use ours
    }
  }
  if (outdir === tmp) process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
  else rmSync(tmp, { recursive: true, force: true });
  prune(outdir);
}

async function buildApp(dir) {
  try {
    return await build({
      entryPoints: { main: entry },
      bundle: true,
      splitting: true, // `await import()` in the entry stays lazy (main.ts bundles before loading cdktf)
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      outdir: dir,
      metafile: true,
      outExtension: { '.js': '.mjs' },
      sourcemap: 'linked',
      sourcesContent: false,
      plugins: [sourceImportMeta],
      logLevel: 'silent',
      absWorkingDir: ROOT,
    });
  } catch (err) {
    const errors = err.errors ?? [];
    console.error(
      `scripts/app.mjs: could not build ${relative(ROOT, entry)}:\n  ` +
        (errors.length
          ? errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text)).join('\n  ')
          : String(err))
    );
    process.exit(1);
  }
}

/** Errors whose message says what to change (see the header). */
const USER_ERRORS = new Set(['ConfigError', 'BundlingError', 'CredentialsError']);

async function reportUserError(err) {
  if (process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS !== 'true') {
    console.error(err.message);
    process.exitCode = 1;
    return;
  }
  // On a stack of its own, named for the kind of error (config, credentials,
  // bundling), so that no environment's synthesized stack is overwritten.
  const { Annotations, App, TerraformStack } = await import('cdktf');
  const app = new App({ stackTraces: false });
  Annotations.of(new TerraformStack(app, err.name.replace(/Error$/, '').toLowerCase())).addError(err.message);
  app.synth();
}

process.setSourceMapsEnabled(true);
try {
  await import(pathToFileURL(join(outdir, 'main.mjs')).href);
} catch (err) {
  if (!USER_ERRORS.has(err?.name)) throw err;
  await reportUserError(err);
}
