/**
 * What pins a client session to one database connection in RDS Proxy
 * (PostgreSQL), so the proxy can no longer share that connection. From AWS's
 * "Avoiding pinning an RDS Proxy", conditions for Aurora PostgreSQL
 * (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-proxy-pinning.html):
 * "Using SET commands", "Using PREPARE, DISCARD, DEALLOCATE, or EXECUTE
 * commands", "Creating temporary sequences, tables, or views", "Declaring
 * cursors", "Discarding the session state", "Listening on a notification
 * channel", "Loading a library module such as auto_explain", "Manipulating
 * sequences using functions such as nextval and setval", "Interacting with
 * locks using functions such as pg_advisory_lock and pg_try_advisory_lock"
 * (not the transaction-level `_xact_` ones), "using SET and set_config", and
 * for every engine "Any statement with a text size greater than 16 KB".
 * Named prepared statements of the extended protocol were listed until 2023
 * and are reported here too. `SET LOCAL` is reported: the PostgreSQL list has
 * no exception for it. Stored procedures and functions never pin.
 */

export const PINNING_STATEMENT_BYTES = 16 * 1024;

/**
 * The statements of a SQL text with string literals, dollar-quoted bodies and
 * comments blanked out (so a word inside them never counts), split at `;`.
 */
export function statementsOf(sql: string): string[] {
  let out = '';
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === "'") {
      const backslashes = i > 0 && /[eE]/.test(sql[i - 1]!);
      let j = i + 1;
      while (j < n) {
        if (backslashes && sql[j] === '\\') j += 2;
        else if (sql[j] === "'" && sql[j + 1] === "'") j += 2;
        else if (sql[j] === "'") break;
        else j++;
      }
      out += "''";
      i = j + 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl === -1 ? n : nl;
      out += ' ';
    } else if (c === '/' && sql[i + 1] === '*') {
      let depth = 1;
      let j = i + 2;
      while (j < n && depth > 0) {
        if (sql[j] === '/' && sql[j + 1] === '*') (depth++, (j += 2));
        else if (sql[j] === '*' && sql[j + 1] === '/') (depth--, (j += 2));
        else j++;
      }
      out += ' ';
      i = j;
    } else if (c === '$' && (i === 0 || !/[A-Za-z0-9_]/.test(sql[i - 1]!))) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
      if (!tag) {
        out += c;
        i++;
        continue;
      }
      const close = sql.indexOf(tag[0], i + tag[0].length);
      out += "''";
      i = close === -1 ? n : close + tag[0].length;
    } else {
      out += c;
      i++;
    }
  }
  return out
    .split(';')
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter(Boolean);
}

const STATEMENT_RULES: readonly [RegExp, string][] = [
  [/^SET LOCAL\b/i, 'SET LOCAL'],
  [/^SET\b/i, 'SET'],
  [/^RESET\b/i, 'RESET'],
  [/^DISCARD\b/i, 'DISCARD'],
  [/^(PREPARE|EXECUTE|DEALLOCATE)\b/i, 'PREPARE/EXECUTE/DEALLOCATE'],
  [/^CREATE (OR REPLACE )?((GLOBAL|LOCAL) )?(TEMP|TEMPORARY) (TABLE|SEQUENCE|VIEW|RECURSIVE VIEW)\b/i, 'temporary table, sequence or view'],
  [/^CREATE (TABLE|SEQUENCE|VIEW) (IF NOT EXISTS )?pg_temp\./i, 'temporary table, sequence or view'],
  [/^DECLARE\b/i, 'DECLARE cursor'],
  [/^LISTEN\b/i, 'LISTEN'],
  [/^LOAD\b/i, 'LOAD'],
];

const CALL_RULES: readonly [RegExp, string][] = [
  [/\bset_config\s*\(/i, 'set_config()'],
  [/\b(nextval|setval)\s*\(/i, 'nextval()/setval()'],
  [/\bpg_(try_)?advisory_lock(_shared)?\s*\(/i, 'session-level advisory lock'],
];

/** The pinning causes of a simple-protocol query or a Parse message's SQL. */
export function pinningCauses(sql: string): string[] {
  const causes = new Set<string>();
  if (Buffer.byteLength(sql) > PINNING_STATEMENT_BYTES) causes.add('statement larger than 16 KB');
  for (const statement of statementsOf(sql)) {
    const rule = STATEMENT_RULES.find(([re]) => re.test(statement));
    if (rule) causes.add(rule[1]);
    for (const [re, cause] of CALL_RULES) if (re.test(statement)) causes.add(cause);
  }
  return [...causes];
}

/** Extended protocol: a Parse with a statement name keeps a prepared statement in the session. */
export const NAMED_PREPARED_STATEMENT = 'named prepared statement (extended protocol)';
