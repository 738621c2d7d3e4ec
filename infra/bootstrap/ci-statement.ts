/**
 * The pieces every CI permission module builds its statements from: the
 * statement shape (rendered by infra/bootstrap/ci-bootstrap.ts as an
 * aws_iam_policy_document), the environment a role serves, and the two
 * conditions that tell an environment's resources apart (docs/ci-cd.md,
 * "How the apply role tells its environment's resources from the others'").
 */
export interface PolicyStatementJson {
  readonly sid: string;
  readonly effect: 'Allow' | 'Deny';
  readonly actions: string[];
  readonly resources: string[];
  readonly condition?: { readonly test: string; readonly variable: string; readonly values: string[] }[];
}

export interface EnvironmentScope {
  readonly project: string;
  readonly environment: string;
  readonly region: string;
  /** `arn:<partition>:…` @default "aws" */
  readonly partition?: string;
}

export const allow = (sid: string, actions: string[], resources: string[], condition?: PolicyStatementJson['condition']): PolicyStatementJson => ({
  sid,
  effect: 'Allow',
  actions,
  resources,
  ...(condition ? { condition } : {}),
});

/** `aws:RequestTag/environment` (a create must carry the tag) or `aws:ResourceTag/environment` (the resource carries it). */
export const tagIs = (kind: 'ResourceTag' | 'RequestTag', env: string) => [{ test: 'StringEquals', variable: `aws:${kind}/environment`, values: [env] }];
