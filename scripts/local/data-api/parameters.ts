/**
 * Named `:param` parameters: each SqlParameter becomes a driver value, and its
 * placeholder is rewritten to `$n` (by the pg adapter's rewritePlaceholders)
 * with a cast to the type the service binds it as.
 */
import { rewritePlaceholders } from '../../../functions/lib/data/sql';
import { badRequest } from './errors';

export interface SqlParameter {
  name?: string;
  value?: Record<string, unknown>;
  typeHint?: string;
}

const TYPE_HINT_CASTS: Record<string, string> = {
  JSON: 'json',
  UUID: 'uuid',
  TIMESTAMP: 'timestamp',
  DATE: 'date',
  TIME: 'time',
  DECIMAL: 'numeric',
};

const HINT_FORMATS: Record<string, RegExp> = {
  TIMESTAMP: /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,9})?$/,
  DATE: /^\d{4}-\d{2}-\d{2}$/,
  TIME: /^\d{2}:\d{2}:\d{2}(\.\d{1,9})?$/,
};

interface BoundValue {
  value: unknown;
  /** Postgres type the placeholder is cast to, as the service types its parameters. */
  cast?: string;
}

/**
 * Converts one SqlParameter value to a driver value plus the type the service
 * would bind it as: strings are varchar unless a typeHint says otherwise,
 * longs int8, doubles float8, booleans bool, blobs bytea, nulls untyped.
 */
function bindParameter(p: SqlParameter): BoundValue {
  const v = p.value;
  if (!v || typeof v !== 'object') throw badRequest(`Parameter ${p.name ?? ''} has no value`);
  const hint = p.typeHint;
  if (hint !== undefined && !(hint in TYPE_HINT_CASTS)) {
    throw badRequest(`Invalid typeHint ${hint} for parameter ${p.name}; use one of ${Object.keys(TYPE_HINT_CASTS).join(', ')}`);
  }
  if (v.isNull === true) return { value: null, cast: hint ? TYPE_HINT_CASTS[hint] : undefined };
  if ('stringValue' in v) {
    const s = String(v.stringValue);
    if (hint && HINT_FORMATS[hint] && !HINT_FORMATS[hint]!.test(s)) {
      throw badRequest(`Invalid ${hint} value for parameter ${p.name}: "${s}". Expected format ${
        hint === 'TIMESTAMP' ? 'YYYY-MM-DD HH:MM:SS[.FFF]' : hint === 'DATE' ? 'YYYY-MM-DD' : 'HH:MM:SS[.FFF]'
      }`);
    }
    return { value: s, cast: hint ? TYPE_HINT_CASTS[hint] : 'varchar' };
  }
  if (hint && hint !== 'DECIMAL') {
    throw badRequest(`typeHint ${hint} of parameter ${p.name} requires a stringValue`);
  }
  if ('longValue' in v) return { value: String(v.longValue), cast: hint === 'DECIMAL' ? 'numeric' : 'int8' };
  if ('doubleValue' in v) return { value: String(v.doubleValue), cast: hint === 'DECIMAL' ? 'numeric' : 'float8' };
  if ('booleanValue' in v) return { value: Boolean(v.booleanValue), cast: 'bool' };
  if ('blobValue' in v) return { value: Buffer.from(String(v.blobValue), 'base64'), cast: 'bytea' };
  if ('arrayValue' in v) throw badRequest('Array parameters are not supported.');
  throw badRequest(`Unsupported value for parameter ${p.name}: ${Object.keys(v).join(', ')}`);
}

/** The statement with `$n` placeholders and their values, in order. */
export function bindStatement(sql: string, parameters: SqlParameter[] | undefined): { text: string; values: unknown[] } {
  const bound = new Map<string, BoundValue>();
  for (const p of parameters ?? []) {
    if (!p || typeof p.name !== 'string' || p.name === '') throw badRequest('Every parameter needs a name');
    bound.set(p.name, bindParameter(p));
  }
  // Each placeholder is typed the way the service binds it.
  const { text, names } = rewritePlaceholders(sql, (name) => bound.get(name)?.cast);
  const values = names.map((name) => {
    const b = bound.get(name);
    if (!b) throw badRequest(`No value specified for parameter: ${name}`);
    return b.value;
  });
  return { text, values };
}
