/** docs/policy.md documents every rule with its mapping, rationale and fix. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { allRules } from '../../infra/policy/rules';

const doc = readFileSync(join(resolve(import.meta.dirname, '..', '..'), 'docs', 'policy.md'), 'utf8');

test.each(allRules.map((r) => [r.id, r] as const))('%s is documented with its mapping, rationale and fix', (id, rule) => {
  const row = doc.split('\n').find((l) => l.startsWith(`| \`${id}\` |`));
  expect(row).toBeDefined();
  for (const m of rule.mapsTo) expect(row).toContain(m);
  expect(row).toContain(rule.rationale);
  expect(row).toContain(rule.fix);
});
