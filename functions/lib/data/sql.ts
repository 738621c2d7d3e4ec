/**
 * One typed SQL interface with two adapters (functions/lib/data/proxy.ts: pg
 * through RDS Proxy; functions/lib/data/data-api.ts: the RDS Data API). The
 * registry entry's `data.sql` says which one a function uses, and the stack
 * gives the function that adapter's environment only.
 *
 * SQL text is the same for both: named parameters `:name` (Data API style),
 * translated to `$1..$n` for pg. Rows come back with the same JS types from
 * both adapters:
 *   int2/int4/int8 -> number, float -> number, numeric -> string (exact),
 *   bool -> boolean, text/varchar/uuid -> string, json/jsonb -> parsed value,
 *   timestamptz/timestamp -> ISO-8601 string (UTC, ms precision),
 *   date -> "YYYY-MM-DD", bytea -> Buffer, NULL -> null.
 */
import type { SqlAccess } from '../../registry-types';
import { DataConfigError } from './errors';

/** A parameter value with an explicit type (sent as a Data API type hint). */
export interface TypedParam {
  readonly [TYPED]: true;
  readonly type: 'uuid' | 'json' | 'decimal' | 'date' | 'timestamp';
  readonly value: string;
}
const TYPED = Symbol.for('sps.sqlTyped');

export type SqlValue = string | number | boolean | null | undefined | bigint | Date | Uint8Array | TypedParam;
export type SqlParams = Readonly<Record<string, SqlValue>>;

export interface QueryResult<Row> {
  readonly rows: Row[];
  /** Rows inserted, updated or deleted (or returned, for a SELECT). */
  readonly rowCount: number;
}

/**
 * Client-side time limits of the adapters, so a hung database answers 503
 * fast instead of at the function's deadline: a read (one statement that
 * starts with SELECT, WITH, SHOW, VALUES or TABLE, outside a transaction)
 * fails within ~5 s with the connect time; every other statement gets the
 * write limit, the application role's statement_timeout (app-role.ts), which
 * fits the shortest route budget (10 s by default; the handler answers 503 at
 * its deadline in any case).
 */
export const SQL_TIMEOUTS = { connectMs: 2000, readMs: 2500, writeMs: 8000 } as const;

/** Whether a statement only reads (gets the read time limit when run alone). */
export const isReadStatement = (sql: string): boolean => /^\s*(select|with|show|values|table)\b/i.test(sql);

export interface Queryable {
  /** Runs one parameterised statement: `query('SELECT * FROM t WHERE id = :id', { id })`. */
  query<Row = Record<string, unknown>>(sql: string, params?: SqlParams): Promise<QueryResult<Row>>;
}

export interface Database extends Queryable {
  readonly adapter: SqlAccess;
  /** Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Releases connections (tests, the local runtime). Lambda functions never call it. */
  close(): Promise<void>;
}

const typed = (type: TypedParam['type']) => (value: string) => ({ [TYPED]: true, type, value }) as TypedParam;

/** Type-hinted parameters: `sqlParam.uuid(id)`, `sqlParam.json(obj)`, `sqlParam.decimal('12.50')`. */
export const sqlParam = {
  uuid: typed('uuid'),
  decimal: (value: string | number) => typed('decimal')(String(value)),
  date: (value: string | Date) => typed('date')(value instanceof Date ? value.toISOString().slice(0, 10) : value),
  timestamp: (value: string | Date) => typed('timestamp')(value instanceof Date ? value.toISOString() : new Date(value).toISOString()),
  json: (value: unknown) => typed('json')(JSON.stringify(value)),
};

export function isTypedParam(value: unknown): value is TypedParam {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TYPED] === true;
}

export interface PositionalSql {
  /** SQL with `$1..$n`. */
  readonly text: string;
  /** Parameter names in `$n` order (a name used twice keeps one number). */
  readonly names: readonly string[];
}

const cache = new Map<string, PositionalSql>();

/**
 * Translates `:name` placeholders to `$n`, leaving `::casts`, string literals,
 * quoted identifiers, dollar-quoted bodies and comments untouched. Cached per
 * statement text.
 */
export function toPositional(sql: string): PositionalSql {
  const hit = cache.get(sql);
  if (hit) return hit;
  const result = rewritePlaceholders(sql);
  if (cache.size < 500) cache.set(sql, result);
  return result;
}

/**
 * The one `:name` -> `$n` rewriter (the pg adapter, and the local Data API
 * endpoint, which also appends a cast per parameter: `castFor(name)` ->
 * `$n::uuid`). Skips 'literals' (E'...' with backslash escapes too), "quoted
 * identifiers", -- and nested /* *\/ comments, $tag$ bodies and `::` casts.
 */
export function rewritePlaceholders(sql: string, castFor?: (name: string) => string | undefined): PositionalSql {
  const names: string[] = [];
  let out = '';
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    let end = i + 1;
    if (c === "'" || c === '"') {
      const backslashes = c === "'" && i > 0 && /[eE]/.test(sql[i - 1]!) && !/[A-Za-z0-9_]/.test(sql[i - 2] ?? '');
      end = skipQuoted(sql, i, c, backslashes);
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      end = nl === -1 ? n : nl;
    } else if (c === '/' && sql[i + 1] === '*') {
      end = skipBlockComment(sql, i);
    } else if (c === '$' && (i === 0 || !/[A-Za-z0-9_]/.test(sql[i - 1]!))) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        end = close === -1 ? n : close + tag[0].length;
      }
    } else if (c === ':' && sql[i + 1] === ':') {
      end = i + 2;
    } else if (c === ':' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_]/.test(sql[j]!)) j++;
      const name = sql.slice(i + 1, j);
      let index = names.indexOf(name);
      if (index === -1) index = names.push(name) - 1;
      const cast = castFor?.(name);
      out += cast ? `$${index + 1}::${cast}` : `$${index + 1}`;
      i = j;
      continue;
    }
    out += sql.slice(i, end);
    i = end;
  }
  return { text: out, names };
}

function skipQuoted(sql: string, start: number, quote: string, backslashes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    if (backslashes && sql[i] === '\\') i += 2;
    else if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return sql.length;
}

/** End of a block comment starting at `start`; Postgres block comments nest. */
function skipBlockComment(sql: string, start: number): number {
  let depth = 1;
  let i = start + 2;
  while (i < sql.length && depth > 0) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth++;
      i += 2;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth--;
      i += 2;
    } else i++;
  }
  return i;
}

/** Checks that params and placeholders match exactly (a typo fails loudly, in both adapters). */
export function checkParams(sql: string, names: readonly string[], params: SqlParams): void {
  for (const name of names) {
    if (!Object.hasOwn(params, name)) throw new TypeError(`SQL parameter :${name} has no value`);
  }
  for (const key of Object.keys(params)) {
    if (!names.includes(key)) throw new TypeError(`SQL parameter "${key}" is not used by the statement`);
  }
  void sql;
}

/** Timestamps as ISO-8601 UTC: Postgres text "2026-01-02 03:04:05.678+00" or Data API "2026-01-02 03:04:05.678". */
export function timestampToIso(text: string, assumeUtc: boolean): string {
  let s = text.replace(' ', 'T');
  if (assumeUtc && !/(Z|[+-]\d\d(:?\d\d)?)$/.test(s)) s += 'Z';
  else s = s.replace(/([+-]\d\d)$/, '$1:00');
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? text : d.toISOString();
}

export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new DataConfigError(`environment variable ${name} is not set`);
  return value;
}
