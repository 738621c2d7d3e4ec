/**
 * The README's route table is the example app's front door: each row is a
 * route of the registry, and its access says what the registry declares
 * (public, any signed-in user, or the groups), so the table cannot drift from
 * functions/registry.ts. A route a team adds (npm run new:handler) needs no
 * README row for the suite to stay green.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { routes } from '../../functions/registry';
import type { RouteDefinition } from '../../functions/registry-types';
import { REPO_ROOT } from '../../infra/paths';

/** `METHOD /path` (query string dropped) → the Access column, from the rows of README's route table. */
function readmeRows(): Map<string, string> {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const rows = new Map<string, string>();
  for (const m of readme.matchAll(/^\| `(GET|POST|PUT|PATCH|DELETE) ([^`?]+)(?:\?[^`]*)?` \| ([^|]+) \|/gm)) rows.set(`${m[1]} ${m[2]}`, m[3]!.trim());
  return rows;
}

const keyOf = (r: RouteDefinition) => `${r.method} ${r.path}`;

const documented = (routes as readonly RouteDefinition[]).filter((r) => readmeRows().has(keyOf(r)));

test('every README row is a registry route', () => {
  expect([...readmeRows().keys()].filter((k) => !documented.some((r) => keyOf(r) === k))).toEqual([]);
  expect(documented.length).toBeGreaterThan(0); // the table parses; how many rows is the app's business
});

test.each(documented.map((r) => [keyOf(r), r] as const))('%s: the README says the access the registry declares', (_key, route) => {
  const access = readmeRows().get(keyOf(route))!;
  if (route.public !== undefined) expect(access).toBe('public');
  else if (route.auth?.groups?.length) expect(access).toBe(route.auth.groups.join(', '));
  else expect(access).toMatch(/^(signed in|its author|its attendee)/);
});
