/**
 * Results as the service shapes them: rows of Field unions (or
 * `formattedRecords` JSON), `numberOfRecordsUpdated`, and `columnMetadata`
 * on request. Postgres returns raw text (`rawTypes`) that is mapped here.
 */
import pg from 'pg';
import type { SqlParameter } from './parameters';

type Field =
  | { isNull: true }
  | { booleanValue: boolean }
  | { longValue: number }
  | { doubleValue: number }
  | { stringValue: string }
  | { blobValue: string }
  | { arrayValue: ArrayValue };

type ArrayValue =
  | { booleanValues: boolean[] }
  | { longValues: number[] }
  | { doubleValues: number[] }
  | { stringValues: string[] }
  | { arrayValues: ArrayValue[] };

interface ResultSetOptions {
  decimalReturnType?: 'STRING' | 'DOUBLE_OR_LONG';
  longReturnType?: 'STRING' | 'LONG';
}

interface ColumnMetadata {
  name: string;
  label: string;
  typeName: string;
  type: number;
  nullable: number;
  precision: number;
  scale: number;
  schemaName: string;
  tableName: string;
  isAutoIncrement: boolean;
  isCaseSensitive: boolean;
  isCurrency: boolean;
  isSigned: boolean;
  arrayBaseColumnType: number;
}

/** The ExecuteStatement fields that shape its result. */
export interface ExecuteInput {
  sql?: string;
  parameters?: SqlParameter[];
  includeResultMetadata?: boolean;
  formatRecordsAs?: 'NONE' | 'JSON';
  resultSetOptions?: ResultSetOptions;
}

/** Postgres type OIDs we map (pg_type.oid). */
const OID = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  oid: 26,
  float4: 700,
  float8: 701,
  numeric: 1700,
  timestamptz: 1184,
  boolArray: 1000,
  int2Array: 1005,
  int4Array: 1007,
  int8Array: 1016,
  float4Array: 1021,
  float8Array: 1022,
  textArray: 1009,
  varcharArray: 1015,
  numericArray: 1231,
  uuidArray: 2951,
} as const;

const TYPE_NAMES: Record<number, [string, number]> = {
  16: ['bool', -7],
  17: ['bytea', -2],
  20: ['int8', -5],
  21: ['int2', 5],
  23: ['int4', 4],
  25: ['text', 12],
  114: ['json', 1111],
  700: ['float4', 7],
  701: ['float8', 8],
  1043: ['varchar', 12],
  1042: ['bpchar', 1],
  1082: ['date', 91],
  1083: ['time', 92],
  1114: ['timestamp', 93],
  1184: ['timestamptz', 93],
  1700: ['numeric', 2],
  2950: ['uuid', 1111],
  3802: ['jsonb', 1111],
};

const ARRAY_ELEMENT: Record<number, 'bool' | 'long' | 'double' | 'string' | 'numeric'> = {
  [OID.boolArray]: 'bool',
  [OID.int2Array]: 'long',
  [OID.int4Array]: 'long',
  [OID.int8Array]: 'long',
  [OID.float4Array]: 'double',
  [OID.float8Array]: 'double',
  [OID.numericArray]: 'numeric',
  [OID.textArray]: 'string',
  [OID.varcharArray]: 'string',
  [OID.uuidArray]: 'string',
};

/** Raw text for scalars (we map them ourselves); pg's parser for 1-D arrays. */
export const rawTypes = {
  getTypeParser(oid: number, format?: string) {
    if (oid in ARRAY_ELEMENT) return pg.types.getTypeParser(OID.textArray as never, format as 'text');
    return (value: string) => value;
  },
};

function timestampText(value: string, oid: number): string {
  // The service returns timestamps without an offset (the session is UTC).
  return oid === OID.timestamptz ? value.replace(/\+00(:00)?$/, '') : value;
}

function toArrayValue(values: unknown[], kind: string, opts: ResultSetOptions): ArrayValue {
  if (values.some(Array.isArray)) return { arrayValues: values.map((v) => toArrayValue(v as unknown[], kind, opts)) };
  const items = values as (string | null)[];
  switch (kind) {
    case 'bool':
      return { booleanValues: items.map((v) => v === 't' || v === 'true') };
    case 'long':
      return opts.longReturnType === 'STRING' ? { stringValues: items.map(String) } : { longValues: items.map(Number) };
    case 'double':
      return { doubleValues: items.map(Number) };
    case 'numeric':
      return opts.decimalReturnType === 'DOUBLE_OR_LONG' ? { doubleValues: items.map(Number) } : { stringValues: items.map(String) };
    default:
      return { stringValues: items.map(String) };
  }
}

function toField(value: unknown, oid: number, opts: ResultSetOptions): Field {
  if (value === null || value === undefined) return { isNull: true };
  if (Array.isArray(value)) return { arrayValue: toArrayValue(value, ARRAY_ELEMENT[oid] ?? 'string', opts) };
  const text = String(value);
  switch (oid) {
    case OID.bool:
      return { booleanValue: text === 't' };
    case OID.int2:
    case OID.int4:
    case OID.oid:
      return { longValue: Number(text) };
    case OID.int8:
      return opts.longReturnType === 'STRING' ? { stringValue: text } : { longValue: Number(text) };
    case OID.float4:
    case OID.float8:
      return { doubleValue: Number(text) };
    case OID.numeric:
      if (opts.decimalReturnType === 'DOUBLE_OR_LONG') {
        return /^-?\d+$/.test(text) ? { longValue: Number(text) } : { doubleValue: Number(text) };
      }
      return { stringValue: text };
    case OID.bytea:
      return { blobValue: Buffer.from(text.replace(/^\\x/, ''), 'hex').toString('base64') };
    default:
      return { stringValue: timestampText(text, oid) };
  }
}

/** The plain JSON value of a field, for `formatRecordsAs: "JSON"`. */
function fieldJson(field: Field): unknown {
  if ('isNull' in field) return null;
  if ('booleanValue' in field) return field.booleanValue;
  if ('longValue' in field) return field.longValue;
  if ('doubleValue' in field) return field.doubleValue;
  if ('stringValue' in field) return field.stringValue;
  if ('blobValue' in field) return field.blobValue;
  const unwrap = (a: ArrayValue): unknown[] => ('arrayValues' in a ? a.arrayValues.map(unwrap) : (Object.values(a)[0] as unknown[]));
  return unwrap(field.arrayValue);
}

function columnMetadata(fields: pg.FieldDef[]): ColumnMetadata[] {
  return fields.map((f) => {
    const [typeName, jdbc] = TYPE_NAMES[f.dataTypeID] ?? (f.dataTypeID in ARRAY_ELEMENT ? ['_array', 2003] : ['unknown', 1111]);
    return {
      name: f.name,
      label: f.name,
      typeName,
      type: jdbc,
      nullable: 2, // columnNullableUnknown: the wire protocol does not say
      precision: f.dataTypeSize > 0 ? f.dataTypeSize : 0,
      scale: 0,
      schemaName: '',
      tableName: '',
      isAutoIncrement: false,
      isCaseSensitive: typeName === 'text' || typeName === 'varchar' || typeName === 'bpchar',
      isCurrency: false,
      isSigned: [20, 21, 23, 700, 701, 1700].includes(f.dataTypeID),
      arrayBaseColumnType: 0,
    };
  });
}

/** The ExecuteStatement response for one query result. */
export function shapeResult(result: pg.QueryResult, input: ExecuteInput): Record<string, unknown> {
  const opts = input.resultSetOptions ?? {};
  const returnsRows = result.fields.length > 0;
  const out: Record<string, unknown> = {
    numberOfRecordsUpdated: result.command === 'SELECT' ? 0 : (result.rowCount ?? 0),
  };
  if (!returnsRows) {
    out.generatedFields = [];
    return out;
  }
  const records = (result.rows as unknown[][]).map((row) => row.map((value, i) => toField(value, result.fields[i]!.dataTypeID, opts)));
  if (input.formatRecordsAs === 'JSON') {
    out.formattedRecords = JSON.stringify(
      records.map((row) => Object.fromEntries(row.map((field, i) => [result.fields[i]!.name, fieldJson(field)]))),
    );
  } else {
    out.records = records;
  }
  if (input.includeResultMetadata) out.columnMetadata = columnMetadata(result.fields);
  return out;
}
