/**
 * A small IAM evaluator for the CI roles' statements, enough to ask "may this
 * role make this call on this ARN with these condition keys?": an explicit
 * Deny wins, else some Allow must match action, resource and every condition
 * (IAM policy evaluation logic, IAM User Guide). Wildcards `*` and `?` in
 * actions (case-insensitive) and resources; the condition operators the CI
 * statements use. Not a replacement for IAM's policy simulator: no
 * NotAction/NotResource, no policy variables, no SCPs or boundaries.
 */
import { matchesIamPattern } from '../iam-pattern';
import type { PolicyStatementJson } from './ci-statement';

function conditionHolds(c: NonNullable<PolicyStatementJson['condition']>[number], context: Readonly<Record<string, string>>): boolean {
  const value = context[c.variable];
  switch (c.test) {
    case 'StringEquals':
    case 'ArnEquals':
    case 'Bool':
      return value !== undefined && c.values.includes(value);
    case 'StringLike':
    case 'ArnLike':
      return value !== undefined && c.values.some((v) => matchesIamPattern(v, value));
    // Negated operators hold when the key is absent (IAM User Guide, "Condition operators").
    case 'StringNotEquals':
      return value === undefined || !c.values.includes(value);
    case 'Null':
      return (value === undefined) === (c.values[0] === 'true');
    default:
      throw new Error(`policy-simulator: condition operator ${c.test} is not supported`);
  }
}

function matches(s: PolicyStatementJson, action: string, resource: string, context: Readonly<Record<string, string>>): boolean {
  return (
    s.actions.some((a) => matchesIamPattern(a, action, 'action')) &&
    s.resources.some((r) => matchesIamPattern(r, resource)) &&
    (s.condition ?? []).every((c) => conditionHolds(c, context))
  );
}

/** Whether `statements` allow `action` on `resource` with the request's condition keys `context`. */
export function isAllowed(statements: readonly PolicyStatementJson[], action: string, resource: string, context: Readonly<Record<string, string>> = {}): boolean {
  if (statements.some((s) => s.effect === 'Deny' && matches(s, action, resource, context))) return false;
  return statements.some((s) => s.effect === 'Allow' && matches(s, action, resource, context));
}
