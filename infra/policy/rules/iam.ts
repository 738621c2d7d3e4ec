/** IAM rules, on every identity policy of the stack. */
import { blocks, list, type StackModel, type TfResource } from '../model';
import { parsePolicy, type ParsedDocument } from '../iam-documents';
import type { CheckResult, Rule } from '../types';
import { fail, pass, show } from './util';

const POLICY_HOLDERS = ['aws_iam_policy', 'aws_iam_role_policy', 'aws_iam_role', 'aws_iam_user_policy', 'aws_iam_group_policy'];

/**
 * Actions that do not support resource-level permissions (AWS requires
 * `"Resource": "*"`), plus read-only discovery (`Describe*`, `List*`).
 * The Lambda VPC ENI actions are listed because AWS documents them with `*`
 * (AWSLambdaVPCAccessExecutionRole): Lambda creates the ENIs on the
 * function's behalf in subnets chosen at run time.
 */
export const STAR_RESOURCE_ACTIONS = new Set(
  [
    'ec2:CreateNetworkInterface',
    'ec2:DeleteNetworkInterface',
    'ec2:AssignPrivateIpAddresses',
    'ec2:UnassignPrivateIpAddresses',
    'xray:PutTraceSegments',
    'xray:PutTelemetryRecords',
    'xray:GetSamplingRules',
    'xray:GetSamplingTargets',
    'cloudwatch:PutMetricData',
    'sts:GetCallerIdentity',
    'kms:CreateKey',
    // A new user pool has no ARN yet: CreateUserPool takes no resource type (Service Authorization Reference, cognito-idp).
    'cognito-idp:CreateUserPool',
    // CloudWatch Logs vended log delivery (API Gateway access logs) and account-level resource policies.
    'logs:CreateLogDelivery',
    'logs:GetLogDelivery',
    'logs:UpdateLogDelivery',
    'logs:DeleteLogDelivery',
    'logs:PutResourcePolicy',
    'logs:DeleteResourcePolicy',
    'secretsmanager:GetRandomPassword',
    'iam:GetAccountSummary',
    'tag:GetResources',
    // No resource type in the service authorization reference; scoped with lambda:FunctionArn instead.
    'lambda:CreateEventSourceMapping',
  ].map((a) => a.toLowerCase()),
);

export function actionAllowsStarResource(action: string): boolean {
  const a = action.toLowerCase();
  if (STAR_RESOURCE_ACTIONS.has(a)) return true;
  const [, verb = ''] = a.split(':');
  return /^(describe|list)[a-z0-9*]*$/.test(verb);
}

interface Doc {
  readonly holder: TfResource;
  readonly where: string;
  readonly doc: ParsedDocument;
}

/** Every identity-policy document of the stack with the resource that holds it. */
export function identityDocuments(model: StackModel): Doc[] {
  const out: Doc[] = [];
  for (const type of POLICY_HOLDERS) {
    for (const r of model.ofType(type)) {
      if (type === 'aws_iam_role') {
        blocks(r.values.inline_policy).forEach((p, i) => {
          if (p.policy !== undefined) out.push({ holder: r, where: `inline_policy[${i}]`, doc: parsePolicy(model, p.policy) });
        });
      } else {
        out.push({ holder: r, where: 'policy', doc: parsePolicy(model, r.values.policy) });
      }
    }
  }
  return out;
}

function perDocument(model: StackModel, judge: (d: Doc & { doc: { ok: true } }) => string | undefined, okMessage: string): CheckResult[] {
  return identityDocuments(model).flatMap((d) => {
    if (!d.doc.ok) return [];
    const problem = judge(d as Doc & { doc: { ok: true } });
    return [problem ? fail(d.holder, `${d.where}: ${problem}`) : pass(d.holder, `${d.where}: ${okMessage}`)];
  });
}

const isAwsManagedPolicyArn = (arn: unknown) => typeof arn === 'string' && /^arn:(aws[a-z-]*|\$\{[^}]+\}):iam::aws:policy\//.test(arn);

export const iamRules: Rule[] = [
  {
    id: 'SPS-IAM-1',
    title: 'No IAM statement allows the action "*" (or NotAction)',
    mapsTo: ['CKV_AWS_49', 'CKV_AWS_63', 'AwsSolutions-IAM5'],
    rationale: '"Action": "*" is every API of every service: one leaked credential becomes full account access.',
    fix: 'List the exact actions the principal needs; Allow + NotAction is a wildcard too.',
    resourceTypes: POLICY_HOLDERS,
    check: ({ model }) =>
      identityDocuments(model).map((d) => {
        if (!d.doc.ok) return fail(d.holder, `${d.where}: ${d.doc.reason}`);
        for (const s of d.doc.statements.filter((x) => x.effect === 'Allow')) {
          if (s.actions.includes('*')) return fail(d.holder, `${d.where}: a statement allows action "*"`);
          if (s.notActions.length > 0) return fail(d.holder, `${d.where}: a statement allows NotAction ${show(s.notActions)}`);
        }
        return pass(d.holder, `${d.where}: no "*" action`);
      }),
  },
  {
    id: 'SPS-IAM-2',
    title: 'No IAM statement allows "*:*" or a whole service ("s3:*")',
    mapsTo: ['CKV_AWS_1', 'CKV_AWS_62', 'AwsSolutions-IAM5'],
    rationale: 'Service-wide wildcards include administrative and destructive actions nobody meant to grant.',
    fix: 'Replace "service:*" with the exact actions used.',
    resourceTypes: POLICY_HOLDERS,
    check: ({ model }) =>
      perDocument(
        model,
        ({ doc }) => {
          for (const s of doc.statements.filter((x) => x.effect === 'Allow')) {
            const bad = s.actions.find((a) => a === '*:*' || /^[a-z0-9-]+:\*$/i.test(a));
            if (bad) return `a statement allows "${bad}"`;
          }
          return undefined;
        },
        'no service-wide wildcard',
      ),
  },
  {
    id: 'SPS-IAM-3',
    title: 'Resource "*" only for actions that require it',
    mapsTo: ['CKV_AWS_355', 'CKV_AWS_111', 'AwsSolutions-IAM5'],
    rationale: 'A scoped ARN limits what a grant reaches; "*" is only for APIs without resource-level permissions.',
    fix: 'Use the resource ARNs (table, index, key, secret, dbuser) or move star-only actions into their own statement.',
    resourceTypes: POLICY_HOLDERS,
    check: ({ model }) =>
      perDocument(
        model,
        ({ doc }) => {
          for (const s of doc.statements.filter((x) => x.effect === 'Allow')) {
            if (s.notResources.length > 0) return `a statement uses NotResource ${show(s.notResources)}`;
            if (!s.resources.includes('*')) continue;
            const scoped = s.actions.filter((a) => !actionAllowsStarResource(a));
            if (scoped.length > 0) return `Resource "*" with actions that support resource-level permissions: ${scoped.join(', ')}`;
          }
          return undefined;
        },
        '"*" resource only with star-only actions',
      ),
  },
  {
    id: 'SPS-IAM-4',
    title: 'No AWS-managed policies attached (unless suppressed with a reason)',
    mapsTo: ['AwsSolutions-IAM4'],
    rationale: 'AWS-managed policies are broad, change without notice, and are not reviewed with the code.',
    fix: 'Attach a customer policy with the exact actions, or suppress with the reason the managed policy is the right one.',
    resourceTypes: ['aws_iam_role', 'aws_iam_role_policy_attachment', 'aws_iam_policy_attachment', 'aws_iam_user_policy_attachment', 'aws_iam_group_policy_attachment'],
    check: ({ model }) => {
      const out: CheckResult[] = [];
      for (const type of ['aws_iam_role_policy_attachment', 'aws_iam_policy_attachment', 'aws_iam_user_policy_attachment', 'aws_iam_group_policy_attachment']) {
        for (const a of model.ofType(type)) {
          const arn = model.resolveString(a.values.policy_arn);
          out.push(isAwsManagedPolicyArn(arn) ? fail(a, `attaches AWS-managed ${arn}`) : pass(a, 'attaches a customer policy'));
        }
      }
      for (const role of model.ofType('aws_iam_role')) {
        const managed = list(role.values.managed_policy_arns).map((v) => model.resolveString(v)).filter(isAwsManagedPolicyArn);
        out.push(managed.length > 0 ? fail(role, `managed_policy_arns has AWS-managed ${managed.join(', ')}`) : pass(role, 'no AWS-managed policy'));
      }
      return out;
    },
  },
];
