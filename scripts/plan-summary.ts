/**
 * `npx tsx scripts/plan-summary.ts <plan.json> [--title <text>]`: turns
 * `terraform show -json <planfile>` output into a readable Markdown summary
 * (counts per action, destructive changes first, then every change), for
 * `$GITHUB_STEP_SUMMARY` and pull-request reviewers.
 */
import { readFileSync } from 'node:fs';

interface ResourceChange {
  address: string;
  type: string;
  change: { actions: string[]; replace_paths?: unknown[] };
}

export type PlanAction = 'create' | 'update' | 'replace' | 'delete' | 'no-op' | 'read';

export function actionOf(actions: readonly string[]): PlanAction {
  if (actions.includes('delete') && actions.includes('create')) return 'replace';
  if (actions.includes('delete')) return 'delete';
  if (actions.includes('create')) return 'create';
  if (actions.includes('update')) return 'update';
  if (actions.includes('read')) return 'read';
  return 'no-op';
}

const ICON: Record<PlanAction, string> = { create: '+', update: '~', replace: '-/+', delete: '-', 'no-op': ' ', read: '<=' };

/** Markdown summary of a plan JSON document. */
export function summarizePlan(plan: { resource_changes?: ResourceChange[]; format_version?: string }, title = 'Terraform plan'): string {
  const changes = (plan.resource_changes ?? []).map((c) => ({ address: c.address, type: c.type, action: actionOf(c.change.actions) }));
  const counts: Record<PlanAction, number> = { create: 0, update: 0, replace: 0, delete: 0, 'no-op': 0, read: 0 };
  for (const c of changes) counts[c.action]++;
  const lines = [`### ${title}`, ''];
  const changed = changes.filter((c) => c.action !== 'no-op' && c.action !== 'read');
  if (changed.length === 0) {
    lines.push('No changes. The infrastructure matches the configuration.');
    return `${lines.join('\n')}\n`;
  }
  lines.push(`**${counts.create} to add, ${counts.update} to change, ${counts.replace} to replace, ${counts.delete} to destroy.**`, '');
  const destructive = changed.filter((c) => c.action === 'delete' || c.action === 'replace');
  if (destructive.length > 0) {
    lines.push(`> [!WARNING]`, `> ${destructive.length} resource(s) will be destroyed or replaced:`);
    for (const c of destructive) lines.push(`> - \`${ICON[c.action]}\` \`${c.address}\` (${c.action})`);
    lines.push('');
  }
  const byType = new Map<string, Record<string, number>>();
  for (const c of changed) {
    const row = byType.get(c.type) ?? {};
    row[c.action] = (row[c.action] ?? 0) + 1;
    byType.set(c.type, row);
  }
  lines.push('| resource type | create | update | replace | destroy |', '| --- | ---: | ---: | ---: | ---: |');
  for (const [type, row] of [...byType.entries()].sort()) {
    lines.push(`| \`${type}\` | ${row.create ?? ''} | ${row.update ?? ''} | ${row.replace ?? ''} | ${row.delete ?? ''} |`);
  }
  lines.push('', '<details><summary>Every change</summary>', '', '```diff');
  for (const c of changed) lines.push(`${c.action === 'delete' || c.action === 'replace' ? '-' : c.action === 'create' ? '+' : '!'} ${ICON[c.action].padEnd(3)} ${c.address}`);
  lines.push('```', '', '</details>');
  return `${lines.join('\n')}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const titleAt = args.indexOf('--title');
  const file = args.find((a, i) => !a.startsWith('--') && (titleAt < 0 || i !== titleAt + 1));
  if (!file) {
    console.error('usage: tsx scripts/plan-summary.ts <plan.json> [--title <text>]');
    process.exit(2);
  }
  const title = titleAt >= 0 ? args[titleAt + 1] : undefined;
  process.stdout.write(summarizePlan(JSON.parse(readFileSync(file, 'utf8')), title));
}
