/**
 * Reads IAM policy documents in the three shapes cdktf synthesizes:
 * a JSON string literal, `${data.aws_iam_policy_document.x.json}` (statements
 * as HCL blocks), and `${jsonencode({...})}` (an HCL object expression, parsed
 * here by a small recursive-descent parser).
 */
import { blocks, expressionsIn, isSingleExpression, list, type StackModel } from './model';

export interface Statement {
  readonly effect: 'Allow' | 'Deny';
  readonly actions: string[];
  readonly notActions: string[];
  readonly resources: string[];
  readonly notResources: string[];
  /** Condition operators and keys present, e.g. `{ StringEquals: { 'kms:ViaService': [...] } }`. */
  readonly conditions: Record<string, Record<string, unknown>>;
  /** Principals (trust and resource policies), e.g. `{ Federated: [...] }`. */
  readonly principals: Record<string, string[]>;
}

export type ParsedDocument = { ok: true; statements: Statement[] } | { ok: false; reason: string };

const strings = (v: unknown): string[] => list(v).map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));

/** Statements of a JSON-shaped policy (`{ Statement: [...] }`). */
export function statementsFromJson(doc: unknown): Statement[] {
  const d = (doc ?? {}) as { Statement?: unknown };
  return list(d.Statement).map((raw) => {
    const s = (raw ?? {}) as Record<string, unknown>;
    const principals: Record<string, string[]> = {};
    if (s.Principal === '*') principals.AWS = ['*'];
    else if (s.Principal && typeof s.Principal === 'object') {
      for (const [k, v] of Object.entries(s.Principal)) principals[k] = strings(v);
    }
    return {
      effect: s.Effect === 'Deny' ? 'Deny' : 'Allow',
      actions: strings(s.Action),
      notActions: strings(s.NotAction),
      resources: strings(s.Resource),
      notResources: strings(s.NotResource),
      conditions: (s.Condition ?? {}) as Record<string, Record<string, unknown>>,
      principals,
    };
  });
}

/** Statements of a `data.aws_iam_policy_document` block (recursing into source documents). */
export function statementsFromDataDocument(model: StackModel, values: Record<string, unknown>, depth = 0): ParsedDocument {
  const out: Statement[] = [];
  for (const src of [...list(values.source_policy_documents), ...list(values.override_policy_documents)]) {
    const parsed = parsePolicy(model, src, depth + 1);
    if (!parsed.ok) return parsed;
    out.push(...parsed.statements);
  }
  for (const s of blocks(values.statement)) {
    const conditions: Record<string, Record<string, unknown>> = {};
    for (const c of blocks(s.condition)) {
      const test = String(c.test);
      conditions[test] = { ...(conditions[test] ?? {}), [String(c.variable)]: c.values };
    }
    const principals: Record<string, string[]> = {};
    for (const p of blocks(s.principals)) principals[String(p.type)] = strings(p.identifiers);
    out.push({
      effect: s.effect === 'Deny' ? 'Deny' : 'Allow',
      actions: strings(s.actions),
      notActions: strings(s.not_actions),
      resources: strings(s.resources),
      notResources: strings(s.not_resources),
      conditions,
      principals,
    });
  }
  return { ok: true, statements: out };
}

/**
 * Parses a policy attribute value (`policy`, `assume_role_policy`, ...).
 * Returns `ok: false` with a reason when the shape cannot be read statically;
 * rules treat that as a violation (we cannot prove it is safe).
 */
export function parsePolicy(model: StackModel, value: unknown, depth = 0): ParsedDocument {
  const parsed = parsePolicyShape(model, value, depth);
  if (!parsed.ok) return parsed;
  const computed = parsed.statements.flatMap((s) => [...s.actions, ...s.notActions]).find((a) => a.includes('${'));
  if (computed) return { ok: false, reason: `action ${computed} is computed by an expression, so it cannot be checked` };
  return parsed;
}

function isPolicyObject(v: unknown): boolean {
  return !!v && typeof v === 'object' && !Array.isArray(v) && 'Statement' in v;
}

function parsePolicyShape(model: StackModel, value: unknown, depth: number): ParsedDocument {
  if (depth > 5) return { ok: false, reason: 'policy documents nest too deeply' };
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    if (!isPolicyObject(value)) return { ok: false, reason: 'policy object has no Statement' };
    return { ok: true, statements: statementsFromJson(value) };
  }
  if (typeof value !== 'string') return { ok: false, reason: `policy is not a string (${typeof value})` };
  const text = value.trim();
  if (!text.includes('${')) {
    try {
      const doc = JSON.parse(text);
      if (!isPolicyObject(doc)) return { ok: false, reason: 'policy JSON has no Statement' };
      return { ok: true, statements: statementsFromJson(doc) };
    } catch (e) {
      return { ok: false, reason: `policy is not valid JSON: ${(e as Error).message}` };
    }
  }
  if (isSingleExpression(text)) {
    const expr = expressionsIn(text)[0].trim();
    const ref = model.singleRef(text);
    if (ref) {
      if (ref.resource?.type === 'aws_iam_policy_document' && ref.resource.mode === 'data' && ref.attr === 'json') {
        return statementsFromDataDocument(model, ref.resource.values, depth);
      }
      if (ref.resource && ref.resource.type === 'aws_iam_policy' && ref.attr === 'policy') {
        return parsePolicy(model, ref.resource.values.policy, depth + 1);
      }
      return { ok: false, reason: `policy comes from ${ref.address}.${ref.attr}, which cannot be read statically` };
    }
    const m = /^jsonencode\(([\s\S]*)\)$/.exec(expr);
    if (m) {
      try {
        const doc = parseHcl(m[1]);
        if (!isPolicyObject(doc)) return { ok: false, reason: 'jsonencode(...) does not build a policy object literally (computed by a function), so it cannot be read statically' };
        return { ok: true, statements: statementsFromJson(doc) };
      } catch (e) {
        return { ok: false, reason: `cannot parse jsonencode(...) policy: ${(e as Error).message}` };
      }
    }
  }
  // JSON text with interpolated references: parse it with the references masked.
  try {
    const doc = JSON.parse(text);
    if (isPolicyObject(doc)) return { ok: true, statements: statementsFromJson(doc) };
  } catch {
    // fall through
  }
  return { ok: false, reason: 'policy mixes text and expressions in a way that cannot be read statically' };
}

/**
 * Parses the subset of HCL expressions cdktf emits inside `jsonencode(...)`:
 * objects `{"k" = v, k2 = v}`, tuples `[a, b]`, quoted strings (with `${}`
 * templates kept verbatim), numbers, booleans, null, and bare traversals or
 * function calls (kept as `${...}` strings so references still resolve).
 */
export function parseHcl(src: string): unknown {
  let i = 0;
  const skip = () => {
    while (i < src.length && /\s/.test(src[i])) i++;
  };
  const fail = (what: string): never => {
    throw new Error(`${what} at offset ${i} near ${JSON.stringify(src.slice(i, i + 20))}`);
  };
  const parseString = (): string => {
    // src[i] === '"'
    i++;
    let out = '';
    while (i < src.length) {
      const c = src[i];
      if (c === '\\') {
        const n = src[i + 1];
        const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };
        if (n === 'u') {
          out += String.fromCharCode(parseInt(src.slice(i + 2, i + 6), 16));
          i += 6;
        } else {
          out += map[n] ?? n;
          i += 2;
        }
        continue;
      }
      if (c === '$' && src[i + 1] === '{') {
        // keep the template verbatim, balanced
        const start = i;
        let depth = 0;
        for (; i < src.length; i++) {
          if (src[i] === '{') depth++;
          else if (src[i] === '}') {
            depth--;
            if (depth === 0) break;
          } else if (src[i] === '"') {
            i++;
            while (i < src.length && src[i] !== '"') i += src[i] === '\\' ? 2 : 1;
          }
        }
        i++;
        out += src.slice(start, i);
        continue;
      }
      if (c === '"') {
        i++;
        return out;
      }
      out += c;
      i++;
    }
    return fail('unterminated string');
  };
  const parseBare = (): unknown => {
    const start = i;
    let depth = 0;
    while (i < src.length) {
      const c = src[i];
      if (c === '(' || c === '[' || c === '{') depth++;
      else if (c === ')' || c === ']' || c === '}') {
        if (depth === 0) break;
        depth--;
      } else if (c === '"') {
        parseString();
        continue;
      } else if (depth === 0 && (c === ',' || /\s/.test(c) || c === '=')) break;
      i++;
    }
    const word = src.slice(start, i).trim();
    if (word === '') fail('unexpected token');
    if (word === 'true') return true;
    if (word === 'false') return false;
    if (word === 'null') return null;
    if (/^-?\d+(\.\d+)?$/.test(word)) return Number(word);
    return `\${${word}}`;
  };
  const parseValue = (): unknown => {
    skip();
    const c = src[i];
    if (c === '"') return parseString();
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      for (;;) {
        skip();
        if (src[i] === ',') {
          i++;
          continue;
        }
        if (src[i] === '}') {
          i++;
          return obj;
        }
        let key: string;
        if (src[i] === '"') key = parseString();
        else {
          const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(src.slice(i));
          if (!m) return fail('expected an object key');
          key = m[0];
          i += key.length;
        }
        skip();
        if (src[i] !== '=' && src[i] !== ':') fail('expected "=" after object key');
        i++;
        obj[key] = parseValue();
      }
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      for (;;) {
        skip();
        if (src[i] === ',') {
          i++;
          continue;
        }
        if (src[i] === ']') {
          i++;
          return arr;
        }
        arr.push(parseValue());
      }
    }
    return parseBare();
  };
  const v = parseValue();
  skip();
  if (i < src.length) fail('trailing input');
  return v;
}

/** Every identity policy attached to a role: inline, `aws_iam_role_policy`, attachments. */
export interface AttachedPolicy {
  /** Where the document lives (resource address, or `arn:...` for managed policies). */
  readonly source: string;
  readonly document: ParsedDocument;
  /** AWS-managed policy ARN when attached by ARN. */
  readonly managedArn?: string;
}

export function policiesOfRole(model: StackModel, role: { address: string; values: Record<string, unknown> }): AttachedPolicy[] {
  const out: AttachedPolicy[] = [];
  for (const inline of blocks(role.values.inline_policy)) {
    if (inline.policy !== undefined) out.push({ source: `${role.address}.inline_policy`, document: parsePolicy(model, inline.policy) });
  }
  const pointsAtRole = (v: unknown) => model.refs(v).some((r) => r.address === role.address);
  for (const rp of model.ofType('aws_iam_role_policy')) {
    if (pointsAtRole(rp.values.role)) out.push({ source: rp.address, document: parsePolicy(model, rp.values.policy) });
  }
  const managedArns = [...list(role.values.managed_policy_arns)];
  for (const att of model.ofType('aws_iam_role_policy_attachment')) {
    if (pointsAtRole(att.values.role)) managedArns.push(att.values.policy_arn);
  }
  for (const arn of managedArns) {
    const target = model.targets(arn, 'aws_iam_policy')[0];
    if (target) out.push({ source: target.address, document: parsePolicy(model, target.values.policy) });
    else if (typeof arn === 'string') {
      out.push({
        source: arn,
        managedArn: arn,
        document: { ok: false, reason: `managed policy ${arn} is not defined in this stack` },
      });
    }
  }
  return out;
}
