/** Human-readable table and JSON for a policy report. */
import type { PackReport, ResultRow } from './types';

function pad(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n);
}

/**
 * The readable table: every violation and every suppression with its reason,
 * then per-rule counts of passing resources. `verbose` lists passes too.
 */
export function formatTable(report: PackReport, options: { verbose?: boolean } = {}): string {
  const lines: string[] = [];
  const shown = report.results.filter((r) => options.verbose || r.verdict !== 'pass');
  const width = { rule: 14, stack: 9, resource: 58, verdict: 10 };
  const header = `${pad('RULE', width.rule)} ${pad('STACK', width.stack)} ${pad('RESOURCE', width.resource)} ${pad('VERDICT', width.verdict)} DETAIL / HINT`;
  lines.push(header, '-'.repeat(header.length + 30));
  const order: Record<string, number> = { fail: 0, suppressed: 1, pass: 2 };
  const sorted = [...shown].sort((a, b) => order[a.verdict] - order[b.verdict] || a.rule.localeCompare(b.rule, 'en', { numeric: true }));
  for (const r of sorted) {
    const verdict = r.verdict === 'fail' ? 'FAIL' : r.verdict === 'suppressed' ? 'SUPPRESSED' : 'pass';
    const detail =
      r.verdict === 'fail'
        ? `${r.message} -> fix: ${r.hint}`
        : r.verdict === 'suppressed'
          ? `${r.message} -> suppressed (${r.suppression!.source}): ${r.suppression!.reason}`
          : r.message;
    lines.push(`${pad(r.rule, width.rule)} ${pad(r.stack, width.stack)} ${pad(r.path, width.resource)} ${pad(verdict, width.verdict)} ${detail}`);
  }
  lines.push('');
  lines.push('Per rule (pass / fail / suppressed):');
  for (const rule of report.rules) {
    const rows = report.results.filter((r) => r.rule === rule.id);
    const c = (v: ResultRow['verdict']) => rows.filter((r) => r.verdict === v).length;
    const status = rows.length === 0 ? 'not applicable' : `${c('pass')} / ${c('fail')} / ${c('suppressed')}`;
    lines.push(`  ${pad(rule.id, width.rule)} ${pad(status, 18)} ${rule.title} [${rule.mapsTo.join(', ')}]`);
  }
  for (const e of report.errors) lines.push(`ERROR: ${e}`);
  for (const w of report.warnings) lines.push(`WARNING: ${w}`);
  const { pass, fail, suppressed } = report.summary;
  lines.push('');
  lines.push(
    `Policy pack on ${report.stacks.join(', ')}: ${pass} passed, ${fail} violation(s), ${suppressed} suppressed, ${report.errors.length} error(s), ${report.warnings.length} warning(s)`,
  );
  return lines.join('\n');
}

export function formatJson(report: PackReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
