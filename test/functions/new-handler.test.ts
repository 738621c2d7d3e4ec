/**
 * `npm run new:handler` on a temporary copy of the repository, extended as an
 * app developer would (tables of its own, a SQL migration): it scaffolds
 * handlers that use the data their registry line declares, tests that pass as
 * written (run here with jest in the copy, on the local stand-ins), and keeps
 * the generated files current; it refuses bad input, changing nothing. The
 * scaffolded names are the test's own, so a checkout that already ran the
 * README's example (or has any routes, tables and environments) passes too.
 * The real checkout is never touched, and every temporary folder is removed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jest } from '@jest/globals';
import { parseArgs, scaffoldHandler, type ScaffoldInput } from '../../scripts/new-handler';

const ROOT = process.cwd();
/** Not copied: dependencies (linked instead), git, and build, synth and local-runtime outputs. */
const NOT_COPIED = new Set(['node_modules', '.git', 'cdktf.out', '.build', '.local', 'reports', 'coverage']);
const PUBLIC = 'Scaffold test route, public by design; abuse bounded by stage throttling';

let tmp: string;
/** TMPDIR of every process the test starts in the copy: removed with it. */
let tmpdir: string;
const inCopy = (...rel: string[]) => path.join(tmp, ...rel);
const read = (...rel: string[]) => readFileSync(inCopy(...rel), 'utf8');
const registry = () => read('functions', 'registry.ts');
/**
 * Scaffolds in the copy; `public` defaults to a valid reason unless the input
 * names it (even as undefined). Jest keeps the files a test file has read:
 * forget them, so each scaffold reads the copy's registry as it is now (as
 * each `npm run new:handler` process does).
 */
const scaffold = (input: Omit<ScaffoldInput, 'root'>) => {
  jest.resetModules();
  return scaffoldHandler({ ...('public' in input || 'auth' in input ? {} : { public: PUBLIC }), ...input, root: tmp });
};
/** Every file under functions/ and test/ of the copy. */
const files = () => ['functions', 'test'].flatMap((dir) => readdirSync(inCopy(dir), { recursive: true, encoding: 'utf8' }).map((f) => path.join(dir, f))).sort();
/** Folders the local stand-ins or a synth left in the copy's TMPDIR. */
const leftovers = () => readdirSync(tmpdir).filter((f) => f.startsWith('sps-'));

/** Runs `fn` with a statement appended to the copy's infra/config/environments.ts, then restores it. */
async function withEnvironments(statement: string, fn: () => Promise<void>): Promise<void> {
  const file = inCopy('infra', 'config', 'environments.ts');
  const original = readFileSync(file, 'utf8');
  writeFileSync(file, `${original}\n${statement}\n`);
  try {
    await fn();
  } finally {
    writeFileSync(file, original);
  }
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-new-handler-test-'));
  // As root, the local Postgres runs as "postgres", which must enter the copy to reach its data.
  chmodSync(tmp, 0o755);
  cpSync(ROOT, tmp, { recursive: true, filter: (src) => !NOT_COPIED.has(path.relative(ROOT, src).split(path.sep)[0]!) });
  symlinkSync(path.join(ROOT, 'node_modules'), inCopy('node_modules'), 'dir');
  tmpdir = inCopy('.tmp');
  mkdirSync(tmpdir);
  // The app developer's additions: tables with string, composite (string + number) and binary keys.
  const tables = read('functions', 'tables.ts');
  const end = '} as const satisfies Record<string, TableDefinition>;';
  expect(tables).toContain(end);
  writeFileSync(
    inCopy('functions', 'tables.ts'),
    tables.replace(
      end,
      [
        "  scaffoldnotes: { partitionKey: { name: 'id', type: 'S' } },",
        "  scaffoldentries: { partitionKey: { name: 'streamId', type: 'S' }, sortKey: { name: 'seq', type: 'N' } },",
        "  scaffoldblobs: { partitionKey: { name: 'digest', type: 'B' } },",
        end,
      ].join('\n'),
    ),
  );
  // Room for the scaffolded routes' reserved concurrency in every environment, whatever the app's route count.
  writeFileSync(
    inCopy('infra', 'config', 'environments.ts'),
    `${read('infra', 'config', 'environments.ts')}\nfor (const env of Object.values(environments) as unknown as { accountConcurrencyLimit?: number }[]) env.accountConcurrencyLimit = 1_000_000;\n`,
  );
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Scaffolds whose generated tests run in the copy (one per kind of data and operation with its own risks). */
const RUN = ['scaffold-notes-create', 'scaffold-entries-update', 'scaffold-sql-get', 'scaffold-sql-create', 'scaffold-comments-create'];
const scaffolded: { name: string; handlerFile: string; testFile: string }[] = [];

describe('scaffolding', () => {
  test.each<[string, Omit<ScaffoldInput, 'root'>, string]>([
    [
      'POST creating an item with a new key',
      { name: 'scaffold-notes-create', method: 'POST', path: '/scaffold-notes', tables: [['scaffoldnotes', 'read-write']], auth: {} },
      "{ name: 'scaffold-notes-create', method: 'POST', path: '/scaffold-notes', handler: 'scaffold/notes-create.ts', data: { tables: { scaffoldnotes: 'read-write' } }, auth: {} },",
    ],
    [
      'PUT updating an item by a string and a number key',
      { name: 'scaffold-entries-update', method: 'put', path: '/scaffold-streams/{streamId}/entries/{seq}', tables: [['scaffoldentries', 'read-write']] },
      `{ name: 'scaffold-entries-update', method: 'PUT', path: '/scaffold-streams/{streamId}/entries/{seq}', handler: 'scaffold/entries-update.ts', data: { tables: { scaffoldentries: 'read-write' } }, public: '${PUBLIC}' },`,
    ],
    [
      'GET with SQL through the RDS Proxy, for a group',
      { name: 'scaffold-sql-get', method: 'GET', path: '/scaffold-sql/{id}', sql: 'proxy', auth: { groups: ['organizers'] } },
      "{ name: 'scaffold-sql-get', method: 'GET', path: '/scaffold-sql/{id}', handler: 'scaffold/sql-get.ts', data: { sql: 'proxy' }, auth: { groups: ['organizers'] } },",
    ],
    [
      'POST with SQL through the Data API',
      { name: 'scaffold-sql-create', method: 'POST', path: '/scaffold-sql', sql: 'data-api' },
      `{ name: 'scaffold-sql-create', method: 'POST', path: '/scaffold-sql', handler: 'scaffold/sql-create.ts', data: { sql: 'data-api' }, public: '${PUBLIC}' },`,
    ],
    [
      'GET reading an item by key',
      { name: 'scaffold-notes-get', method: 'GET', path: '/scaffold-notes/{id}', tables: [['scaffoldnotes', 'read']] },
      `{ name: 'scaffold-notes-get', method: 'GET', path: '/scaffold-notes/{id}', handler: 'scaffold/notes-get.ts', data: { tables: { scaffoldnotes: 'read' } }, public: '${PUBLIC}' },`,
    ],
    [
      'GET listing the first items',
      { name: 'scaffold-notes-list', method: 'GET', path: '/scaffold-notes', tables: [['scaffoldnotes', 'read']] },
      `{ name: 'scaffold-notes-list', method: 'GET', path: '/scaffold-notes', handler: 'scaffold/notes-list.ts', data: { tables: { scaffoldnotes: 'read' } }, public: '${PUBLIC}' },`,
    ],
    [
      'DELETE deleting an item by key',
      { name: 'scaffold-notes-delete', method: 'DELETE', path: '/scaffold-notes/{id}', tables: [['scaffoldnotes', 'read-write']] },
      `{ name: 'scaffold-notes-delete', method: 'DELETE', path: '/scaffold-notes/{id}', handler: 'scaffold/notes-delete.ts', data: { tables: { scaffoldnotes: 'read-write' } }, public: '${PUBLIC}' },`,
    ],
    [
      'GET querying a partition, with a second table granted',
      { name: 'scaffold-entries-list', method: 'GET', path: '/scaffold-streams/{streamId}/entries', tables: [['scaffoldentries', 'read'], ['scaffoldnotes', 'read']] },
      `{ name: 'scaffold-entries-list', method: 'GET', path: '/scaffold-streams/{streamId}/entries', handler: 'scaffold/entries-list.ts', data: { tables: { scaffoldentries: 'read', scaffoldnotes: 'read' } }, public: '${PUBLIC}' },`,
    ],
    [
      'POST creating an item in a partition the path names',
      { name: 'scaffold-entries-create', method: 'POST', path: '/scaffold-streams/{streamId}/entries', tables: [['scaffoldentries', 'read-write']] },
      `{ name: 'scaffold-entries-create', method: 'POST', path: '/scaffold-streams/{streamId}/entries', handler: 'scaffold/entries-create.ts', data: { tables: { scaffoldentries: 'read-write' } }, public: '${PUBLIC}' },`,
    ],
    [
      'POST with read access only',
      { name: 'scaffold-notes-search', method: 'POST', path: '/scaffold-notes/search', tables: [['scaffoldnotes', 'read']] },
      `{ name: 'scaffold-notes-search', method: 'POST', path: '/scaffold-notes/search', handler: 'scaffold/notes-search.ts', data: { tables: { scaffoldnotes: 'read' } }, public: '${PUBLIC}' },`,
    ],
    [
      'DELETE with SQL',
      { name: 'scaffold-sql-delete', method: 'DELETE', path: '/scaffold-sql/{id}', sql: 'proxy' },
      `{ name: 'scaffold-sql-delete', method: 'DELETE', path: '/scaffold-sql/{id}', handler: 'scaffold/sql-delete.ts', data: { sql: 'proxy' }, public: '${PUBLIC}' },`,
    ],
    [
      'GET without data or parameters, with a quote in its reason',
      { name: 'scaffold-status', method: 'GET', path: '/scaffold-status', public: "Liveness probe; it's public by design" },
      "{ name: 'scaffold-status', method: 'GET', path: '/scaffold-status', handler: 'scaffold/status.ts', public: 'Liveness probe; it\\'s public by design' },",
    ],
  ])('GIVEN %s WHEN scaffolded THEN it writes the handler, its test and one registry line', async (_label, input, line) => {
    const result = await scaffold(input);
    expect(result.registryLine).toBe(`  ${line}`);
    expect(registry()).toContain(`\n  ${line}\n`);
    expect(registry().indexOf(line)).toBeLessThan(registry().indexOf('] as const satisfies readonly RouteDefinition[];'));
    expect(path.relative(tmp, result.handlerFile)).toBe(path.join('functions', 'scaffold', `${input.name.slice('scaffold-'.length)}.ts`));
    expect(path.relative(tmp, result.testFile)).toBe(path.join('test', 'functions', 'scaffold', `${input.name.slice('scaffold-'.length)}.test.ts`));
    scaffolded.push({ name: input.name, ...result });
  });

  test('GIVEN a new SQL migration WHEN the README example runs as `npm run new:handler` THEN it scaffolds, regenerates the migrations bundle and the diagram, and leaves no temporary folder', () => {
    const migrations = readdirSync(inCopy('functions', 'migrations')).filter((f) => f.endsWith('.sql'));
    const next = String(Math.max(0, ...migrations.map((f) => Number(f.slice(0, 4)))) + 1).padStart(4, '0');
    writeFileSync(inCopy('functions', 'migrations', `${next}_scaffold_notes.sql`), 'CREATE TABLE scaffold_notes (id uuid PRIMARY KEY, message text NOT NULL);\n');
    const out = execFileSync(
      process.execPath,
      [path.join('node_modules', 'tsx', 'dist', 'cli.mjs'), path.join('scripts', 'new-handler.ts'), 'scaffold-comments-create', 'POST', '/scaffold-posts/{id}/comments', '--public', 'Public comments, rate limited'],
      { cwd: tmp, encoding: 'utf8', env: { ...process.env, TMPDIR: tmpdir } },
    );
    expect(out).toContain('created functions/scaffold/comments-create.ts\ncreated test/functions/scaffold/comments-create.test.ts\n');
    expect(out).toContain("  { name: 'scaffold-comments-create', method: 'POST', path: '/scaffold-posts/{id}/comments', handler: 'scaffold/comments-create.ts', public: 'Public comments, rate limited' },\n");
    expect(out).toContain('regenerated functions/migrations/bundle.ts\nregenerated docs/architecture.svg\n');
    expect(read('functions', 'migrations', 'bundle.ts')).toContain(`${next}_scaffold_notes.sql`);
    scaffolded.push({ name: 'scaffold-comments-create', handlerFile: inCopy('functions', 'scaffold', 'comments-create.ts'), testFile: inCopy('test', 'functions', 'scaffold', 'comments-create.test.ts') });
    // The diagram draws every function of the registry, the new ones included.
    const svg = read('docs', 'architecture.svg').replace(/&#45;/g, '-');
    for (const { name } of scaffolded) expect([name, svg.includes(`λ ${name}`)]).toEqual([name, true]);
    expect(leftovers()).toEqual([]);
  });

  test('THEN every scaffolded handler and test type-checks', () => {
    writeFileSync(inCopy('tsconfig.scaffold.json'), JSON.stringify({ extends: './tsconfig.json', include: scaffolded.flatMap((s) => [s.handlerFile, s.testFile]) }));
    const tsc = spawnSync(process.execPath, [path.join('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.scaffold.json'], { cwd: tmp, encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  }, 120_000);

  test('THEN the scaffolded tests pass as written, on the local stand-ins, and the registry checks pass in the copy', () => {
    const tests = [...scaffolded.filter((s) => RUN.includes(s.name)).map((s) => s.testFile), inCopy('test', 'functions', 'registry.test.ts')];
    expect(tests).toHaveLength(RUN.length + 1);
    const results = path.join(tmpdir, 'results.json');
    const jest = spawnSync(process.execPath, ['--experimental-vm-modules', path.join('node_modules', 'jest', 'bin', 'jest.js'), '--ci', '--json', `--outputFile=${results}`, '--runTestsByPath', ...tests], {
      cwd: tmp,
      encoding: 'utf8',
      env: { ...process.env, TMPDIR: tmpdir },
    });
    const report = JSON.parse(readFileSync(results, 'utf8')) as { numFailedTests: number; numPassedTests: number; testResults: { name: string; status: string; message: string }[] };
    rmSync(results);
    const byName = (a: string[], b: string[]) => a[0]!.localeCompare(b[0]!);
    expect(report.testResults.map((r) => [path.relative(tmp, r.name), r.status, r.message]).sort(byName)).toEqual(tests.map((f) => [path.relative(tmp, f), 'passed', '']).sort(byName));
    expect(report.numFailedTests).toBe(0);
    expect(jest.status).toBe(0);
    // The local stand-ins removed their data.
    expect(leftovers()).toEqual([]);
  }, 600_000);
});

describe('refusals change nothing', () => {
  const refused = async (input: Omit<ScaffoldInput, 'root'>, message: RegExp) => {
    const [before, filesBefore] = [registry(), files()];
    await expect(scaffold(input)).rejects.toThrow(message);
    expect(registry()).toBe(before);
    expect(files()).toEqual(filesBefore);
  };

  test.each<[Omit<ScaffoldInput, 'root'>, RegExp]>([
    [{ name: 'Bad_Name', method: 'GET', path: '/x' }, /routes\["Bad_Name"\]\.name: use kebab-case/],
    [{ name: 'scaffold-x', method: 'FETCH', path: '/x' }, /routes\["scaffold-x"\]\.method: use one of GET, POST, PUT, PATCH, DELETE \(received "FETCH"\)/],
    [{ name: 'scaffold-x', method: 'GET', path: 'x' }, /\.path: start with "\/"/],
    [{ name: 'scaffold-x', method: 'GET', path: '/x/' }, /\.path: start with "\/" and do not end with "\/"/],
    [{ name: 'scaffold-x', method: 'GET', path: '/a/{id}/b/{id}' }, /use each \{param\} name once/],
    [{ name: 'lib-x', method: 'GET', path: '/x' }, /functions\/lib\/, which holds no handlers/],
    [{ name: 'x'.repeat(60), method: 'GET', path: '/x' }, /over AWS's 64/],
    [{ name: 'scaffold-notes-create', method: 'GET', path: '/elsewhere' }, /^scaffold-notes-create: the name is already registered in functions\/registry\.ts; choose another name$/],
    [{ name: 'scaffold-again', method: 'POST', path: '/scaffold-notes' }, /^POST \/scaffold-notes: the route is already registered in functions\/registry\.ts; choose another method or path$/],
    [{ name: 'scaffold-x', method: 'GET', path: '/x', public: undefined }, /^--auth or --public: missing\. Every route says who may call it/],
    [{ name: 'scaffold-x', method: 'GET', path: '/x', auth: {}, public: PUBLIC }, /^--auth with --public: a route needs sign-in or is public, not both/],
    [{ name: 'scaffold-x', method: 'GET', path: '/x', public: 'because' }, /routes\["scaffold-x"\]\.public: give the reason the route needs no sign-in in at least 10 characters/],
    [{ name: 'scaffold-x', method: 'GET', path: '/x', tables: [['nosuch', 'read']] }, /routes\["scaffold-x"\]\.data\.tables: unknown table "nosuch"; use one of .*"scaffoldnotes".* or define it in functions\/tables\.ts/],
    [{ name: 'scaffold-x', method: 'GET', path: '/x', tables: [['scaffoldnotes', 'write']] }, /routes\["scaffold-x"\]\.data\.tables\.scaffoldnotes: use "read" or "read-write" \(received "write"\)/],
    [{ name: 'scaffold-x', method: 'GET', path: '/x', tables: [['scaffoldnotes', 'read'], ['scaffoldnotes', 'read-write']] }, /^--table scaffoldnotes: given twice \(read, read-write\); give each table once/],
    [{ name: 'scaffold-x', method: 'GET', path: '/x', sql: 'mysql' }, /routes\["scaffold-x"\]\.data\.sql: use "proxy" or "data-api" \(received "mysql"\)/],
    [
      { name: 'scaffold-x', method: 'GET', path: '/x', tables: [['scaffoldnotes', 'read']], sql: 'proxy' },
      /^--table scaffoldnotes:read with --sql proxy: the scaffold writes example code for one kind of data; .*data: \{ tables: \{ scaffoldnotes: 'read' \}, sql: 'proxy' \}/,
    ],
    [
      { name: 'scaffold-x', method: 'PUT', path: '/scaffold-notes', tables: [['scaffoldnotes', 'read-write']] },
      /^--table scaffoldnotes:read-write: PUT \/scaffold-notes gives 0 path parameter\(s\) but the key of table "scaffoldnotes" has 1 \(id\); .*e\.g\. \/scaffold-notes\/\{id\}/,
    ],
    [
      { name: 'scaffold-x', method: 'DELETE', path: '/scaffold-streams/{streamId}', tables: [['scaffoldentries', 'read-write']] },
      /^--table scaffoldentries:read-write: DELETE \/scaffold-streams\/\{streamId\} gives 1 path parameter\(s\) but the key of table "scaffoldentries" has 2 \(streamId, seq\)/,
    ],
    [{ name: 'scaffold-x', method: 'GET', path: '/x/{digest}', tables: [['scaffoldblobs', 'read']] }, /^--table scaffoldblobs:read: key attribute "digest" of table "scaffoldblobs" is binary \(B\)/],
  ])('fails on %o', async (input, message) => {
    await refused(input, message);
  });

  test('fails when an environment has the SQL adapter off, naming the environment and the field', async () => {
    await withEnvironments(
      'for (const env of Object.values(environments) as unknown as { dataApi: { enabled: boolean } }[]) env.dataApi = { enabled: false };',
      () =>
        refused(
          { name: 'scaffold-x', method: 'GET', path: '/x', sql: 'data-api' },
          /^environment ".+" \(infra\/config\/environments\.ts\): dataApi\.enabled: function "scaffold-x" uses SQL through the Data API but it is off \(received false\); set dataApi\.enabled to true or change the function's data\.sql to "proxy"$/m,
        ),
    );
  });

  test("fails when the new route's reserved concurrency no longer fits an environment's account", async () => {
    await withEnvironments(
      'for (const env of Object.values(environments) as unknown as { reservedConcurrency?: number; accountConcurrencyLimit?: number }[]) Object.assign(env, { reservedConcurrency: 1, accountConcurrencyLimit: 101 });',
      () => refused({ name: 'scaffold-x', method: 'GET', path: '/x' }, /^environment ".+" \(infra\/config\/environments\.ts\): reservedConcurrency: the functions reserve \d+ concurrent executions \(.*scaffold-x 1\), but an account limit of 101/),
    );
  });

  test('refuses to overwrite an existing file', async () => {
    cpSync(inCopy('functions', 'scaffold', 'status.ts'), inCopy('functions', 'scaffold', 'orphan.ts'));
    await refused({ name: 'scaffold-orphan', method: 'GET', path: '/scaffold-orphan' }, /^functions\/scaffold\/orphan\.ts already exists; choose another name or remove the file$/);
  });

  test('`npm run new:handler` exits 1 with the message, changing nothing', () => {
    const before = registry();
    const run = spawnSync(process.execPath, [path.join('node_modules', 'tsx', 'dist', 'cli.mjs'), path.join('scripts', 'new-handler.ts'), 'scaffold-y', 'GET', '/scaffold-y'], { cwd: tmp, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^new:handler: --auth or --public: missing\./);
    expect(registry()).toBe(before);
  });
});

describe('the command line', () => {
  test('reads the name, METHOD and path in any order with the options; --table repeats', () => {
    expect(parseArgs(['--table', 'notes:read', 'notes-get', '--public', 'Public notes app', 'GET', '/notes/{id}', '--table', 'tags:read-write'])).toEqual({
      name: 'notes-get',
      method: 'GET',
      path: '/notes/{id}',
      public: 'Public notes app',
      tables: [
        ['notes', 'read'],
        ['tags', 'read-write'],
      ],
    });
    expect(parseArgs(['a', 'POST', '/a', '--sql', 'data-api', '--root', '/x'])).toEqual({ name: 'a', method: 'POST', path: '/a', tables: [], sql: 'data-api', root: '/x' });
  });

  test.each([
    [['a', 'GET', '/a', '--table', 'notes'], /^--table notes: give the access after a colon, "notes:read" or "notes:read-write"$/],
    [['a', 'GET', '/a', '--sql', 'proxy', '--sql', 'data-api'], /^--sql data-api: given twice \(proxy, data-api\)/],
    [['a', 'GET', '/a', '--tables', 'notes:read'], /^--tables: unknown option; use --auth, --groups, --public, --table or --sql/],
    [['a', 'GET', '/a', '--public'], /^--public: needs a value/],
    [['a', 'GET'], /^expected <name> <METHOD> <path>, received 2 argument\(s\) \(a GET\)/],
  ])('fails on %j', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(message);
  });
});
