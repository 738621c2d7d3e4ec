/**
 * The registry is the single source of truth: every handler file is
 * registered, every entry's file exists and exports `handler`, each SQL
 * function uses the adapter its entry names, and the embedded migrations match
 * the .sql files.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { routes, tasks } from '../../functions/registry';
import { FUNCTIONS_DIR } from '../../infra/paths';
import { BUNDLE_FILE, MIGRATIONS_DIR, renderBundle } from '../../functions/migrations/generate';

const NOT_HANDLERS = new Set(['registry.ts', 'registry-types.ts', 'registry-schema.ts', 'tables.ts', 'testing.ts', 'groups.ts', 'messaging.ts']);

function handlerFiles(dir = FUNCTIONS_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = join(dir, d.name);
    const rel = relative(FUNCTIONS_DIR, full);
    if (d.isDirectory()) return rel === 'lib' || rel === 'migrations' ? [] : handlerFiles(full);
    return d.name.endsWith('.ts') && !d.name.endsWith('.d.ts') && !NOT_HANDLERS.has(rel) ? [rel] : [];
  });
}

const all = [...routes, ...tasks] as readonly { name: string; handler: string; data?: { sql?: string } }[];

describe('route registry', () => {
  test('every handler file under functions/ is registered', () => {
    const registered = new Set(all.map((f) => f.handler));
    const unregistered = handlerFiles().filter((f) => !registered.has(f));
    expect(unregistered).toEqual([]);
  });

  test.each(all.map((f) => [f.name, f] as const))('%s: its handler file exists and exports a handler', async (_name, fn) => {
    const mod = (await import(join(FUNCTIONS_DIR, fn.handler))) as { handler?: unknown };
    expect(typeof mod.handler).toBe('function');
  });

  test.each(all.filter((f) => f.data?.sql).map((f) => [f.name, f] as const))('%s: imports the SQL adapter its entry names', (_name, fn) => {
    // The adapter factories also check this at init against the registry.
    const source = readFileSync(join(FUNCTIONS_DIR, fn.handler), 'utf8');
    const [expected, other] = fn.data!.sql === 'proxy' ? ['proxyDatabase(', 'dataApiDatabase('] : ['dataApiDatabase(', 'proxyDatabase('];
    expect(source).toContain(expected);
    expect(source).not.toContain(other);
  });
});

describe('embedded migrations', () => {
  test('functions/migrations/bundle.ts matches the .sql files (run `npx tsx functions/migrations/generate.ts`)', () => {
    expect(readFileSync(BUNDLE_FILE, 'utf8')).toBe(renderBundle(MIGRATIONS_DIR));
  });
});
