/**
 * Built to be extended: a copy of the project, extended the way the guide
 * (docs/handlers.md) says a team extends it, keeps the platform green. In the
 * copy: a new DynamoDB table with a route pair made by `new:handler`, a SQL
 * route with its own migration, and a `staging` environment; then the
 * platform's fast lane (`npm run test:unit`), the policy pack over every stack
 * (`npm run check`) and a real offline Terraform plan of `staging`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { environments } from '../infra/config/environments';
import { REPO_ROOT } from '../infra/paths';
import { tempDir } from './support/temp';

/** What a checkout does not carry (or what each run makes anew). */
const NOT_COPIED = new Set(['node_modules', '.git', '.build', '.local', 'cdktf.out', 'reports', 'coverage']);

let copy: string;
let env: NodeJS.ProcessEnv;
const inCopy = (...parts: string[]) => path.join(copy, ...parts);

/** Runs an npm script in the copy; returns its output, or fails the test with it. */
function npm(args: string[], timeoutMs = 240_000): string {
  const r = spawnSync('npm', ['run', '--silent', ...args], { cwd: copy, env, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0) throw new Error(`npm run ${args.join(' ')} exited ${r.status ?? r.signal} in the extended copy:\n${out.slice(-6000)}`);
  return out;
}

/** Inserts `text` right before `marker` in a file of the copy (the marker must be there). */
function insertBefore(file: string, marker: string, text: string): void {
  const source = readFileSync(inCopy(file), 'utf8');
  const at = source.indexOf(marker);
  if (at === -1) throw new Error(`${file}: "${marker}" not found; the extension test follows the file's layout`);
  writeFileSync(inCopy(file), `${source.slice(0, at)}${text}${source.slice(at)}`);
}

beforeAll(() => {
  copy = tempDir('extension');
  mkdirSync(inCopy('tmp'));
  cpSync(REPO_ROOT, copy, { recursive: true, filter: (src) => !NOT_COPIED.has(path.relative(REPO_ROOT, src).split(path.sep)[0]!) });
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), inCopy('node_modules'), 'dir');
  env = { ...process.env, TMPDIR: inCopy('tmp'), CHECKPOINT_DISABLE: '1', CI: '' };
  delete env.JEST_WORKER_ID;

  // A table (functions/tables.ts), as the guide shows.
  insertBefore(
    'functions/tables.ts',
    '} as const satisfies Record<string, TableDefinition>;',
    `  /** Comments on posts. */\n  comments: { partitionKey: { name: 'postId', type: 'S' }, sortKey: { name: 'id', type: 'S' } },\n`,
  );
  // An environment (infra/config/environments.ts): dev's settings on a network of its own.
  insertBefore(
    'infra/config/environments.ts',
    '} satisfies Record<string, EnvironmentConfigInput>;',
    `  staging: ${JSON.stringify({ ...environments.dev, name: 'staging', vpcCidr: '10.40.0.0/16' })},\n`,
  );
  // A SQL migration with the next free number.
  const migrations = readdirSync(inCopy('functions/migrations')).filter((f) => /^\d{4}_.*\.sql$/.test(f)).sort();
  const next = String(Number(migrations[migrations.length - 1]!.slice(0, 4)) + 1).padStart(4, '0');
  writeFileSync(inCopy('functions/migrations', `${next}_feedback.sql`), 'CREATE TABLE feedback (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), message text NOT NULL);\n');
  execFileSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['functions/migrations/generate.ts'], { cwd: copy, env });

  // Routes, with the scaffolder.
  const reason = 'Comments and feedback are public in this extension test; bounded by stage throttling and reserved concurrency';
  npm(['new:handler', '--', 'comments-create', 'POST', '/posts/{postId}/comments', '--public', reason, '--table', 'comments:read-write']);
  npm(['new:handler', '--', 'comments-list', 'GET', '/posts/{postId}/comments', '--public', reason, '--table', 'comments:read']);
  npm(['new:handler', '--', 'feedback-create', 'POST', '/feedback', '--public', reason, '--sql', 'proxy']);
}, 300_000);

test('the extended registry has the new routes, and the migrations bundle carries the new migration', () => {
  const registry = readFileSync(inCopy('functions/registry.ts'), 'utf8');
  for (const name of ['comments-create', 'comments-list', 'feedback-create']) expect(registry).toContain(`name: '${name}'`);
  expect(readFileSync(inCopy('functions/migrations/bundle.ts'), 'utf8')).toContain('_feedback.sql');
});

test('the platform fast lane passes in the extended copy', () => {
  const out = npm(['test:unit'], 300_000);
  expect(out).toMatch(/Tests:\s+\d+ passed, \d+ total/);
}, 320_000);

test('the policy pack passes on every stack of the extended copy, staging included', () => {
  const out = npm(['check'], 300_000);
  expect(out).toMatch(/staging/);
}, 320_000);

test('a real offline Terraform plan of staging includes the new table and functions', () => {
  const out = npm(['plan:offline', '--', 'staging'], 300_000);
  expect(out).toMatch(/staging: Plan: \d+ to add, 0 to change, 0 to destroy/);
  const plan = readFileSync(inCopy('.build', 'plan-offline', 'staging.plan.json'), 'utf8');
  for (const name of ['sps-staging-comments', 'sps-staging-comments-create', 'sps-staging-comments-list', 'sps-staging-feedback-create']) expect(plan).toContain(`"${name}"`);
}, 320_000);
