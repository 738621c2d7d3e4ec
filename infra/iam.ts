/**
 * IAM policy helpers. Policies are typed statements rendered by Terraform's
 * `aws_iam_policy_document` data source (computed locally by the provider, no
 * AWS call), never JSON string soup.
 */
import { Fn } from 'cdktf';
import type { Construct } from 'constructs';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';

export interface PolicyCondition {
  /** e.g. `StringEquals`. */
  readonly test: string;
  /** e.g. `kms:ViaService`. */
  readonly variable: string;
  readonly values: string[];
}

export interface PolicyStatement {
  /** Human-readable statement id (letters and digits). */
  readonly sid?: string;
  /** Exact actions: no `*` wildcards (checked by `assertNoWildcardActions`). */
  readonly actions: string[];
  readonly resources: string[];
  readonly conditions?: PolicyCondition[];
}

/** Renders statements as an `aws_iam_policy_document`; use `.json`. */
export function policyDocument(scope: Construct, id: string, statements: readonly PolicyStatement[]): DataAwsIamPolicyDocument {
  assertNoWildcardActions(id, statements);
  return new DataAwsIamPolicyDocument(scope, id, {
    statement: statements.map((s) => ({
      sid: s.sid,
      effect: 'Allow',
      actions: s.actions,
      resources: s.resources,
      condition: s.conditions?.map((c) => ({ test: c.test, variable: c.variable, values: c.values })),
    })),
  });
}

/** Trust policy letting one AWS service assume a role. */
export function assumeRolePolicy(
  scope: Construct,
  id: string,
  service: string,
  conditions: readonly PolicyCondition[] = [],
): DataAwsIamPolicyDocument {
  return new DataAwsIamPolicyDocument(scope, id, {
    statement: [
      {
        effect: 'Allow',
        actions: ['sts:AssumeRole'],
        principals: [{ type: 'Service', identifiers: [service] }],
        condition: conditions.map((c) => ({ test: c.test, variable: c.variable, values: [...c.values] })),
      },
    ],
  });
}

/** Our rule: no `*` in actions, ever. */
export function assertNoWildcardActions(where: string, statements: readonly PolicyStatement[]): void {
  for (const s of statements) {
    for (const a of s.actions) {
      if (a.includes('*')) {
        throw new Error(`${where}: IAM action "${a}" contains a wildcard; list the exact actions the principal needs`);
      }
    }
  }
}

/**
 * One part of an ARN known only at apply time (`arn:<partition>:<service>:<region>:<account>:<resource>`).
 * Lets us build ARNs from resource attributes instead of `aws_caller_identity`,
 * which calls AWS and so cannot be planned offline.
 */
export function arnPart(arn: string, part: 'partition' | 'service' | 'region' | 'account' | 'resource'): string {
  const index = { partition: 1, service: 2, region: 3, account: 4, resource: 5 }[part];
  return Fn.element(Fn.split(':', arn), index);
}
