/**
 * `npx tsx scripts/plan-summary.ts <plan.json> [--title <text>]`: turns
 * `terraform show -json <planfile>` output into a readable Markdown summary
 * (Terraform's own add/change/destroy counts, data sources apart,
 * destructive changes first, then every change), for
 * `$GITHUB_STEP_SUMMARY` and pull-request reviewers.
 */
import { readFileSync } from 'node:fs';

interface ResourceChange {
  address: string;
  /** `data` for data sources (read, never created or destroyed). */
  mode?: 'managed' | 'data';
  type: string;
  change: { actions: string[]; replace_paths?: unknown[] };
}

type PlanJson = { resource_changes?: ResourceChange[]; format_version?: string };

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

/**
 * The counts of Terraform's own "Plan: N to add, N to change, N to destroy."
 * line: managed resources only, a replacement counted as one add and one
 * destroy (terraform internal/command/jsonformat/plan.go); data sources are
 * counted apart, as `dataSources`.
 */
export function planCounts(plan: PlanJson): { add: number; change: number; destroy: number; replace: number; dataSources: number } {
  const counts = { add: 0, change: 0, destroy: 0, replace: 0, dataSources: 0 };
  for (const c of plan.resource_changes ?? []) {
    if (c.mode === 'data') {
      counts.dataSources++;
      continue;
    }
    const action = actionOf(c.change.actions);
    if (action === 'create' || action === 'replace') counts.add++;
    if (action === 'delete' || action === 'replace') counts.destroy++;
    if (action === 'update') counts.change++;
    if (action === 'replace') counts.replace++;
  }
  return counts;
}

/** "Plan: 2 to add, 1 to change, 2 to destroy (1 replaced; 15 data sources read, not counted)." */
export function planLine(plan: PlanJson): string {
  const c = planCounts(plan);
  const notes = [
    ...(c.replace ? [`${c.replace} replaced`] : []),
    ...(c.dataSources ? [`${c.dataSources} data source${c.dataSources === 1 ? '' : 's'} read, not counted`] : []),
  ];
  return `Plan: ${c.add} to add, ${c.change} to change, ${c.destroy} to destroy${notes.length ? ` (${notes.join('; ')})` : ''}.`;
}

/** Markdown summary of a plan JSON document. */
export function summarizePlan(plan: PlanJson, title = 'Terraform plan'): string {
  const changes = (plan.resource_changes ?? [])
    .filter((c) => c.mode !== 'data')
    .map((c) => ({ address: c.address, type: c.type, action: actionOf(c.change.actions) }));
  const lines = [`### ${title}`, ''];
  const changed = changes.filter((c) => c.action !== 'no-op' && c.action !== 'read');
  if (changed.length === 0) {
    lines.push('No changes. The infrastructure matches the configuration.');
    return `${lines.join('\n')}\n`;
  }
  lines.push(`**${planLine(plan)}**`, '');
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
