/**
 * Scaffolds an HTTP route: its handler, a test that passes as written, and its
 * registry line with its data needs; then brings the generated files up to
 * date, so `npm test` stays green.
 *
 *   npm run new:handler -- <name> <METHOD> <path> --public "<reason>" [--table <table>:read|read-write]... [--sql proxy|data-api]
 *   npm run new:handler -- comments-create POST /posts/{id}/comments --public "Public comments, rate limited"
 *   npm run new:handler -- notes-get GET /notes/{id} --public "Public notes" --table notes:read
 *
 * - <name>: unique kebab-case function name (the Lambda is <project>-<env>-<name>).
 *   The handler file is derived from it: `comments-create` -> functions/comments/create.ts,
 *   `status` -> functions/status.ts; the test goes to test/functions/comments/create.test.ts.
 * - <METHOD>: GET, POST, PUT, PATCH or DELETE. POST, PUT and PATCH take a JSON body `{ message }`.
 * - <path>: API path with `{param}` segments, e.g. /posts/{id}/comments.
 * - --public "<reason>": why the route needs no authorization (at least 10
 *   characters). Required: the registry has no authorizer yet, and the policy
 *   pack fails a route without one or a reason.
 * - --table <table>:read|read-write (repeatable): a table of functions/tables.ts
 *   and the access the route gets (IAM grants on the table and its indexes,
 *   TABLE_<NAME> in its environment). The handler reads or writes an item of
 *   the first table by key: the path parameters fill the key in order
 *   (partition key, then sort key); GET reads (an item, a partition, or the
 *   first items), POST creates, PUT/PATCH update, DELETE deletes.
 * - --sql proxy|data-api: SQL as the application role through the RDS Proxy
 *   (pg, IAM token, TLS) or the Data API; the handler runs one parameterised
 *   statement. Not with --table: the scaffold shows one kind of data.
 *
 * Refuses (changing nothing) invalid input, a name or METHOD+path already
 * registered and existing files; every message names the option, the value
 * and the fix. Then regenerates functions/migrations/bundle.ts when a .sql
 * file changed and docs/architecture.svg (`npm run diagram`).
 * `--root <dir>` works on another checkout (tests).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderBundle } from '../functions/migrations/generate';
import type { RouteDefinition } from '../functions/registry-types';
import { REPO_ROOT } from '../infra/paths';
import { handlerSource } from './new-handler/handler-source';
import { planScaffold, ScaffoldError, type ScaffoldInput } from './new-handler/plan';
import { testSource } from './new-handler/test-source';

export { ScaffoldError, type ScaffoldInput } from './new-handler/plan';

export interface ScaffoldResult {
  readonly handlerFile: string;
  readonly testFile: string;
  readonly registryLine: string;
}

/** Where scaffolded tests go, relative to the repository root. */
export const SCAFFOLD_TEST_DIR = join('test', 'functions');
const ROUTES_END = '] as const satisfies readonly RouteDefinition[];';

/** A single-quoted TypeScript string literal, as the rest of the code base writes them. */
const tsString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;

/** The registry line of an entry, in the order the registry writes its fields. */
function registryLineOf(entry: RouteDefinition): string {
  const fields = [`name: '${entry.name}'`, `method: '${entry.method}'`, `path: '${entry.path}'`, `handler: '${entry.handler}'`];
  const data: string[] = [];
  const tables = Object.entries(entry.data?.tables ?? {});
  if (tables.length > 0) data.push(`tables: { ${tables.map(([t, a]) => `${/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(t) ? t : tsString(t)}: '${a}'`).join(', ')} }`);
  if (entry.data?.sql) data.push(`sql: '${entry.data.sql}'`);
  if (data.length > 0) fields.push(`data: { ${data.join(', ')} }`);
  if (entry.auth !== undefined) fields.push(entry.auth.groups?.length ? `auth: { groups: [${entry.auth.groups.map(tsString).join(', ')}] }` : 'auth: {}');
  if (entry.public !== undefined) fields.push(`public: ${tsString(entry.public)}`);
  return `  { ${fields.join(', ')} },`;
}

/** `./x` or `../x`, without the .ts extension: an import specifier from one file to another. */
function importPath(from: string, to: string): string {
  const r = relative(dirname(from), to).replace(/\.ts$/, '');
  return r.startsWith('.') ? r : `./${r}`;
}

/** Writes the handler, its test and the registry line; the registry is the last file written. */
export async function scaffoldHandler(input: ScaffoldInput): Promise<ScaffoldResult> {
  const root = resolve(input.root ?? REPO_ROOT);
  const plan = await planScaffold(input, root);
  const registryFile = join(root, 'functions', 'registry.ts');
  const registry = readFileSync(registryFile, 'utf8');
  const end = registry.indexOf(ROUTES_END);
  if (end === -1) throw new ScaffoldError(`functions/registry.ts: cannot find the end of \`routes\` ("${ROUTES_END}"); keep that line as it is`);

  const handlerFile = join(root, 'functions', plan.handlerRel);
  const testFile = join(root, SCAFFOLD_TEST_DIR, plan.handlerRel.replace(/\.ts$/, '.test.ts'));
  for (const f of [handlerFile, testFile]) {
    if (existsSync(f)) throw new ScaffoldError(`${relative(root, f)} already exists; choose another name or remove the file`);
  }

  const registryLine = registryLineOf(plan.entry);
  const libDir = importPath(handlerFile, join(root, 'functions', 'lib', 'x.ts')).replace(/\/x$/, '');
  mkdirSync(dirname(handlerFile), { recursive: true });
  mkdirSync(dirname(testFile), { recursive: true });
  writeFileSync(handlerFile, handlerSource(plan, libDir));
  writeFileSync(
    testFile,
    testSource(plan, { testing: importPath(testFile, join(root, 'functions', 'testing.ts')), log: importPath(testFile, join(root, 'functions', 'lib', 'log.ts')) }),
  );
  writeFileSync(registryFile, `${registry.slice(0, end)}${registryLine}\n${registry.slice(end)}`);
  return { handlerFile, testFile, registryLine };
}

/**
 * Brings the generated files a new route affects up to date: the migrations
 * bundle when a .sql file changed since it was generated (the local services
 * migrate from it), and the architecture diagram (`npm run diagram`, which
 * draws every function). Returns what it regenerated; throws when the diagram fails.
 */
export function updateGeneratedFiles(root: string = REPO_ROOT): string[] {
  const updated: string[] = [];
  const migrationsDir = join(root, 'functions', 'migrations');
  const bundleFile = join(migrationsDir, 'bundle.ts');
  const bundle = renderBundle(migrationsDir);
  if (readFileSync(bundleFile, 'utf8') !== bundle) {
    writeFileSync(bundleFile, bundle);
    updated.push(relative(root, bundleFile));
  }
  // The synth behind the diagram writes to the temporary folder: give it one that is removed afterwards.
  const scratch = mkdtempSync(join(tmpdir(), 'sps-new-handler-'));
  let diagram: ReturnType<typeof spawnSync>;
  try {
    diagram = spawnSync('npm', ['run', '--silent', 'diagram'], { cwd: root, encoding: 'utf8', env: { ...process.env, TMPDIR: scratch } });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (diagram.status !== 0) {
    throw new ScaffoldError(
      `npm run diagram failed (exit ${diagram.status ?? diagram.signal}), so docs/architecture.svg lacks the new route; the route is scaffolded: fix the error below, then run npm run diagram\n${String(diagram.stderr || diagram.stdout).trim()}`,
    );
  }
  updated.push(join('docs', 'architecture.svg'));
  return updated;
}

const USAGE = `usage: npm run new:handler -- <name> <METHOD> <path> (--auth [--groups <group>,...] | --public "<why anyone may call it>") [--table <table>:read|read-write]... [--sql proxy|data-api]
  e.g. npm run new:handler -- comments-create POST /posts/{id}/comments --auth --table comments:read-write
       npm run new:handler -- notes-get GET /notes/{id} --public "Public notes, bounded by stage throttling" --table notes:read
  guide: docs/handlers.md`;

/** The command line as a ScaffoldInput; throws ScaffoldError on an unknown or incomplete option. */
export function parseArgs(argv: readonly string[]): ScaffoldInput {
  const positional: string[] = [];
  const tables: [string, string][] = [];
  let publicReason: string | undefined;
  let auth: { groups?: string[] } | undefined;
  let sql: string | undefined;
  let root: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    if (arg === '--auth') {
      auth ??= {};
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--')) throw new ScaffoldError(`${arg}: needs a value; ${USAGE}`);
    i++;
    if (arg === '--public') publicReason = value;
    else if (arg === '--groups') auth = { groups: value.split(',').map((g) => g.trim()).filter(Boolean) };
    else if (arg === '--root') root = value;
    else if (arg === '--sql') {
      if (sql !== undefined) throw new ScaffoldError(`--sql ${value}: given twice (${sql}, ${value}); a route uses one SQL adapter, "proxy" or "data-api"`);
      sql = value;
    } else if (arg === '--table') {
      const at = value.lastIndexOf(':');
      if (at <= 0) throw new ScaffoldError(`--table ${value}: give the access after a colon, "${value}:read" or "${value}:read-write"`);
      tables.push([value.slice(0, at), value.slice(at + 1)]);
    } else throw new ScaffoldError(`${arg}: unknown option; use --auth, --groups, --public, --table or --sql\n${USAGE}`);
  }
  if (positional.length !== 3) throw new ScaffoldError(`expected <name> <METHOD> <path>, received ${positional.length} argument(s)${positional.length > 0 ? ` (${positional.join(' ')})` : ''}\n${USAGE}`);
  const [name, method, path] = positional as [string, string, string];
  return {
    name,
    method,
    path,
    tables,
    ...(publicReason !== undefined ? { public: publicReason } : {}),
    ...(auth !== undefined ? { auth } : {}),
    ...(sql !== undefined ? { sql } : {}),
    ...(root !== undefined ? { root } : {}),
  };
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  try {
    const input = parseArgs(argv);
    const root = resolve(input.root ?? REPO_ROOT);
    const result = await scaffoldHandler(input);
    console.log(`created ${relative(root, result.handlerFile)}`);
    console.log(`created ${relative(root, result.testFile)}`);
    console.log(`registered in functions/registry.ts:\n${result.registryLine}`);
    for (const file of updateGeneratedFiles(root)) console.log(`regenerated ${file}`);
    console.log(`next: npm test -- ${relative(root, result.testFile)}; then make the handler and its test yours (docs/handlers.md). npm run dev serves it.`);
    return 0;
  } catch (err) {
    if (err instanceof ScaffoldError) {
      console.error(`new:handler: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
