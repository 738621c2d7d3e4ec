/**
 * A read-only model of one synthesized Terraform JSON stack (`cdk.tf.json`),
 * with a small resolver for the `${aws_x.y.attr}` references cdktf writes, so
 * rules can follow a function to its subnets, a role to its policies, a
 * cluster to its key.
 */

/** A managed resource or a data source of the stack. */
export interface TfResource {
  /** `resource` or `data`. */
  readonly mode: 'managed' | 'data';
  /** Terraform type, e.g. `aws_lambda_function`. */
  readonly type: string;
  /** Logical name in the JSON, e.g. `api_fn-health_ABC123`. */
  readonly name: string;
  /** Terraform address: `aws_lambda_function.x` or `data.aws_iam_policy_document.x`. */
  readonly address: string;
  /** cdktf construct path (`dev/api/fn-health`) when the JSON carries metadata; else the address. */
  readonly path: string;
  /** The block's arguments, `//` metadata removed. */
  readonly values: Record<string, unknown>;
  /** Suppressions declared on the construct (see `suppressPolicy`), raw. */
  readonly inlineSuppressions: unknown[];
}

/** A module of `terraform show -json` planned values. */
export interface PlanModule {
  readonly resources?: readonly { address: string; mode?: string; values?: Record<string, unknown> }[];
  readonly child_modules?: readonly PlanModule[];
}

/** A reference found in a string: `aws_subnet.a.id`, `data.aws_iam_policy_document.d.json`. */
export interface TfRef {
  /** Address of the referenced block. */
  readonly address: string;
  /** Attribute path after the address (`id`, `arn`, `json`, ...), possibly empty. */
  readonly attr: string;
  /** The referenced block, when it exists in this stack. */
  readonly resource?: TfResource;
}

const REF_RE = /\b(data\.)?(aws_[a-z0-9_]+)\.([A-Za-z_][A-Za-z0-9_-]*)((?:\[\d+\]|\.[A-Za-z_][A-Za-z0-9_]*)*)/g;

/** Splits a string into its `${ ... }` expressions (balanced braces, quotes respected). */
export function expressionsIn(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf('${', i);
    if (start < 0) break;
    let depth = 0;
    let j = start + 1;
    let inString = false;
    for (; j < text.length; j++) {
      const c = text[j];
      if (inString) {
        if (c === '\\') j++;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '{') depth++;
      else if (c === '}') {
        depth--;
        if (depth === 0) break;
      }
    }
    out.push(text.slice(start + 2, j));
    i = j + 1;
  }
  return out;
}

/** True when the whole string is one `${...}` expression. */
export function isSingleExpression(text: string): boolean {
  const exprs = expressionsIn(text);
  return exprs.length === 1 && text === `\${${exprs[0]}}`;
}

export class StackModel {
  readonly resources: TfResource[] = [];
  private readonly byAddress = new Map<string, TfResource>();

  /**
   * @param name stack name (usually the environment)
   * @param json the parsed `cdk.tf.json`
   */
  constructor(
    readonly name: string,
    readonly json: Record<string, unknown>,
  ) {
    this.load('managed', (json.resource ?? {}) as Record<string, Record<string, Record<string, unknown>>>);
    this.load('data', (json.data ?? {}) as Record<string, Record<string, Record<string, unknown>>>);
  }

  private load(mode: 'managed' | 'data', blocks: Record<string, Record<string, Record<string, unknown>>>): void {
    for (const [type, byName] of Object.entries(blocks)) {
      for (const [name, raw] of Object.entries(byName ?? {})) {
        const { ['//']: meta, ...values } = raw ?? {};
        const m = (meta ?? {}) as { metadata?: { path?: string }; sps_suppressions?: unknown[] };
        const address = mode === 'data' ? `data.${type}.${name}` : `${type}.${name}`;
        const resource: TfResource = {
          mode,
          type,
          name,
          address,
          path: m.metadata?.path ?? address,
          values,
          inlineSuppressions: Array.isArray(m.sps_suppressions) ? m.sps_suppressions : [],
        };
        this.resources.push(resource);
        this.byAddress.set(address, resource);
      }
    }
  }

  /**
   * Enriches the model with a `terraform show -json` plan of the same stack:
   * attributes written as expressions other than a plain reference (e.g.
   * `${jsonencode(merge(...))}`, `${cidrsubnet(...)}`) take the value Terraform
   * computed, when the plan knows it. Plain references are kept so rules can
   * still follow them, and unset attributes stay unset (provider defaults never
   * count as "explicitly set"). Returns the number of attributes enriched.
   */
  enrichWithPlan(plan: { planned_values?: { root_module?: PlanModule } }): number {
    const planned = new Map<string, Record<string, unknown>>();
    const walk = (m: PlanModule | undefined): void => {
      for (const r of m?.resources ?? []) if (r.mode !== 'data') planned.set(r.address, r.values ?? {});
      for (const child of m?.child_modules ?? []) walk(child);
    };
    walk(plan.planned_values?.root_module);
    let count = 0;
    for (const resource of this.resources) {
      const values = planned.get(resource.address);
      if (!values) continue;
      for (const [key, configValue] of Object.entries(resource.values)) {
        if (typeof configValue !== 'string' || !configValue.includes('${') || this.singleRef(configValue)) continue;
        const known = values[key];
        if (known === undefined || known === null) continue;
        (resource.values as Record<string, unknown>)[key] = known;
        count++;
      }
    }
    return count;
  }

  /** Managed resources of one type. */
  ofType(type: string): TfResource[] {
    return this.resources.filter((r) => r.mode === 'managed' && r.type === type);
  }

  /** Data sources of one type. */
  dataOfType(type: string): TfResource[] {
    return this.resources.filter((r) => r.mode === 'data' && r.type === type);
  }

  get(address: string): TfResource | undefined {
    return this.byAddress.get(address);
  }

  /** Every reference inside `value` (strings, arrays and objects, deeply). */
  refs(value: unknown): TfRef[] {
    const out: TfRef[] = [];
    const visit = (v: unknown): void => {
      if (typeof v === 'string') {
        for (const expr of expressionsIn(v)) {
          for (const m of expr.matchAll(REF_RE)) {
            const address = `${m[1] ?? ''}${m[2]}.${m[3]}`;
            const attr = (m[4] ?? '').replace(/^\./, '');
            out.push({ address, attr, resource: this.byAddress.get(address) });
          }
        }
      } else if (Array.isArray(v)) v.forEach(visit);
      else if (v && typeof v === 'object') Object.values(v).forEach(visit);
    };
    visit(value);
    return out;
  }

  /** Resources referenced by `value`, optionally of one type. */
  targets(value: unknown, type?: string): TfResource[] {
    const seen = new Set<string>();
    const out: TfResource[] = [];
    for (const ref of this.refs(value)) {
      if (!ref.resource || seen.has(ref.address)) continue;
      if (type && ref.resource.type !== type) continue;
      seen.add(ref.address);
      out.push(ref.resource);
    }
    return out;
  }

  /** When `value` is exactly one reference `${type.name.attr}`, that reference. */
  singleRef(value: unknown): TfRef | undefined {
    if (typeof value !== 'string' || !isSingleExpression(value)) return undefined;
    const expr = expressionsIn(value)[0].trim();
    const m = /^(data\.)?(aws_[a-z0-9_]+)\.([A-Za-z_][A-Za-z0-9_-]*)((?:\[\d+\]|\.[A-Za-z_][A-Za-z0-9_]*)*)$/.exec(expr);
    if (!m) return undefined;
    const address = `${m[1] ?? ''}${m[2]}.${m[3]}`;
    return { address, attr: (m[4] ?? '').replace(/^\./, ''), resource: this.byAddress.get(address) };
  }

  /**
   * Resolves a value as far as the config allows: `${aws_x.y.name}` becomes the
   * literal `name` of `aws_x.y` when it is set in the config (recursively);
   * computed attributes (`id`, `arn`) stay as references. Strings mixing text
   * and references have each resolvable reference substituted.
   */
  resolve(value: unknown, depth = 0): unknown {
    if (depth > 10) return value;
    if (typeof value === 'string') {
      const single = this.singleRef(value);
      if (single?.resource && single.attr && !single.attr.includes('[')) {
        const literal = getPath(single.resource.values, single.attr.split('.'));
        if (literal !== undefined) return this.resolve(literal, depth + 1);
        return value;
      }
      if (!value.includes('${')) return value;
      let out = value;
      for (const expr of expressionsIn(value)) {
        const r = this.resolve(`\${${expr}}`, depth + 1);
        if (typeof r === 'string' && !r.includes('${')) out = out.replace(`\${${expr}}`, r);
      }
      return out;
    }
    if (Array.isArray(value)) return value.map((v) => this.resolve(v, depth + 1));
    return value;
  }

  /** `resolve`, then a string when the result is one. */
  resolveString(value: unknown): string | undefined {
    const r = this.resolve(value);
    return typeof r === 'string' ? r : undefined;
  }

  /**
   * Resources that reference `target` from the attribute `attr` (top level or
   * nested), e.g. every `aws_route_table_association` whose `subnet_id` points
   * at a subnet.
   */
  referrers(target: TfResource, type?: string, attr?: string): TfResource[] {
    return this.resources.filter((r) => {
      if (type && r.type !== type) return false;
      const scope = attr ? r.values[attr] : r.values;
      return this.refs(scope).some((ref) => ref.address === target.address);
    });
  }
}

/** Reads a nested value by path (arrays of one block are stepped into). */
export function getPath(value: unknown, path: readonly string[]): unknown {
  let v: unknown = value;
  for (const key of path) {
    if (Array.isArray(v) && v.length === 1 && !/^\d+$/.test(key)) v = v[0];
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** Terraform blocks are lists in JSON; objects are accepted too. */
export function blocks(value: unknown): Record<string, unknown>[] {
  if (Array.isArray(value)) return value.filter((b): b is Record<string, unknown> => !!b && typeof b === 'object');
  if (value && typeof value === 'object') return [value as Record<string, unknown>];
  return [];
}

/** A list attribute (a single string is a list of one). */
export function list(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** true / "true" / false / "false" / undefined. */
export function bool(value: unknown): boolean | undefined {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return undefined;
}

/** A number or numeric string, else undefined. */
export function num(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return undefined;
}
