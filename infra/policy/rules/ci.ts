/**
 * CI identity rules: the roles GitHub Actions assume (OIDC) cannot raise their
 * own rights, cannot cross from one environment into another, and cannot
 * create a role without the environment's permissions boundary; and every
 * role an environment stack creates carries it.
 */
import { list, type StackModel, type TfResource } from '../model';
import { parsePolicy, type Statement } from '../iam-documents';
import type { CheckResult, Rule } from '../types';
import { fail, pass } from './util';

const GITHUB_OIDC = 'token.actions.githubusercontent.com';

/** IAM actions that change a role or a managed policy, or hand a role to a service (PassRole). */
const IAM_WRITES = [
  'iam:CreateRole', 'iam:DeleteRole', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy',
  'iam:UpdateAssumeRolePolicy', 'iam:PutRolePermissionsBoundary', 'iam:DeleteRolePermissionsBoundary', 'iam:UpdateRole', 'iam:TagRole',
  'iam:UntagRole', 'iam:PassRole', 'iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:DeletePolicy', 'iam:DeletePolicyVersion',
];
const ROLE_CREATION = ['iam:CreateRole', 'iam:PutRolePolicy', 'iam:AttachRolePolicy', 'iam:PutRolePermissionsBoundary'];

/** IAM-style wildcard match (`*` any run, `?` one character), case-insensitive for actions. */
function globMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, ignoreCase ? 'i' : '');
  return re.test(value);
}
const actionMatches = (statement: Statement, action: string) => statement.actions.some((a) => globMatch(a, action, true));
const resourceMatches = (statement: Statement, arn: string) => statement.resources.some((r) => globMatch(r, arn));

interface CiRole {
  readonly role: TfResource;
  readonly name: string;
  /** GitHub OIDC subjects it trusts. */
  readonly subjects: string[];
  /** Allow and Deny statements of its identity policies. */
  readonly statements: Statement[];
  /** Environment named by `<project>-ci-<env>-(plan|apply)`, when it follows that pattern. */
  readonly project?: string;
  readonly environment?: string;
}

function ciRoles(model: StackModel): CiRole[] {
  const out: CiRole[] = [];
  for (const role of model.ofType('aws_iam_role')) {
    const trust = parsePolicy(model, role.values.assume_role_policy);
    if (!trust.ok) continue;
    const federated = trust.statements.filter((s) => (s.principals.Federated ?? []).some((p) => p.includes(GITHUB_OIDC) || model.targets(p, 'aws_iam_openid_connect_provider').length > 0));
    if (federated.length === 0) continue;
    const subjects = federated.flatMap((s) => Object.values(s.conditions).flatMap((byKey) => list(byKey[`${GITHUB_OIDC}:sub`]).map(String)));
    const statements: Statement[] = [];
    for (const p of model.referrers(role, 'aws_iam_role_policy', 'role')) {
      const doc = parsePolicy(model, p.values.policy);
      if (doc.ok) statements.push(...doc.statements);
    }
    const name = String(model.resolveString(role.values.name) ?? role.address);
    const m = /^(.+)-ci-(.+)-(plan|apply)$/.exec(name);
    out.push({ role, name, subjects, statements, project: m?.[1], environment: m?.[2] });
  }
  return out;
}

/** Whether `role` may run `action` on `arn`: an Allow covers it and no Deny does (conditions ignored: an Allow's may hold). */
function mayDo(role: CiRole, action: string, arn: string): Statement | undefined {
  const denied = role.statements.some((s) => s.effect === 'Deny' && actionMatches(s, action) && resourceMatches(s, arn) && Object.keys(s.conditions).length === 0);
  if (denied) return undefined;
  return role.statements.find((s) => s.effect === 'Allow' && actionMatches(s, action) && resourceMatches(s, arn));
}

const roleArn = (name: string) => `arn:aws:iam::123456789012:role/${name}`;

export const ciRules: Rule[] = [
  {
    id: 'SPS-CI-1',
    title: 'No CI role can change a CI role (its own included) or a permissions boundary',
    mapsTo: ['AwsSolutions-IAM5', '(privilege escalation: iam:PutRolePolicy on self)'],
    rationale: 'A pipeline that can rewrite its own policy, or a boundary, can grant itself anything: one compromised workflow owns the account.',
    fix: 'Scope IAM writes to the environment\'s workload roles and add an explicit Deny of iam:* on role/<project>-ci-* and policy/<project>-*-boundary.',
    resourceTypes: ['aws_iam_role', 'aws_iam_role_policy'],
    check: ({ model }) => {
      const roles = ciRoles(model);
      const boundaries = model.ofType('aws_iam_policy').map((p) => String(model.resolveString(p.values.name) ?? '')).filter((n) => n.endsWith('-boundary'));
      return roles.map((r): CheckResult => {
        for (const target of roles) {
          for (const action of IAM_WRITES.filter((a) => a !== 'iam:CreatePolicyVersion' && a !== 'iam:SetDefaultPolicyVersion' && a !== 'iam:DeletePolicy' && a !== 'iam:DeletePolicyVersion')) {
            if (mayDo(r, action, roleArn(target.name))) return fail(r.role, `may ${action} on CI role ${target.name}${target === r ? ' (itself)' : ''}: an escalation path`);
          }
        }
        for (const boundary of boundaries) {
          for (const action of ['iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:DeletePolicy', 'iam:DeletePolicyVersion']) {
            if (mayDo(r, action, `arn:aws:iam::123456789012:policy/${boundary}`)) return fail(r.role, `may ${action} on the permissions boundary ${boundary}`);
          }
        }
        const removal = r.statements
          .filter((st) => st.effect === 'Allow' && actionMatches(st, 'iam:DeleteRolePermissionsBoundary'))
          .flatMap((st) => st.resources)
          .find((pattern) => mayDo(r, 'iam:DeleteRolePermissionsBoundary', pattern.replace(/\*/g, 'x')));
        if (removal) return fail(r.role, `may remove the permissions boundary of ${removal} (iam:DeleteRolePermissionsBoundary)`);
        return pass(r.role, 'no IAM write reaches a CI role or a boundary');
      });
    },
  },
  {
    id: 'SPS-CI-2',
    title: 'Each CI role serves one environment: one GitHub environment, its own state, its own resources',
    mapsTo: ['CKV_AWS_358', '(environment isolation)'],
    rationale: 'A dev pipeline that can apply prod, read prod state or change prod resources makes every dev change a prod risk.',
    fix: 'One plan and one apply role per environment (<project>-ci-<env>-plan, -apply): trust environment:<env> only, state key <prefix>/<env>.tfstate only, resources <project>-<env>-* or tagged environment=<env>.',
    resourceTypes: ['aws_iam_role', 'aws_iam_role_policy'],
    check: ({ model }) => {
      const roles = ciRoles(model);
      const environments = [...new Set(roles.map((r) => r.environment).filter((e): e is string => !!e))];
      return roles.map((r): CheckResult => {
        const githubEnvironments = r.subjects.filter((s) => s.includes(':environment:'));
        if (githubEnvironments.length > 1) return fail(r.role, `trusted by ${githubEnvironments.length} GitHub environments (${githubEnvironments.join(', ')}): one role may then apply several environments`);
        if (!r.environment || !r.project) return fail(r.role, `"${r.name}" is not a per-environment CI role (<project>-ci-<env>-plan|apply)`);
        const stateWrites = r.statements.filter((s) => s.effect === 'Allow' && (actionMatches(s, 's3:GetObject') || actionMatches(s, 's3:PutObject')));
        const sharedState = stateWrites.flatMap((s) => s.resources).find((res) => /\/[^/]*\*[^/]*$/.test(res) && !/\.tfstate(\.tflock)?$/.test(res));
        if (sharedState) return fail(r.role, `reaches every state object under ${sharedState}, not only ${r.environment}'s`);
        for (const other of environments.filter((e) => e !== r.environment)) {
          const p = `${r.project}-${other}`;
          const samples: [string, string][] = [
            ['iam:PutRolePolicy', roleArn(`${p}-fn`)],
            ['lambda:UpdateFunctionCode', `arn:aws:lambda:eu-west-1:123456789012:function:${p}-fn`],
            ['dynamodb:DeleteTable', `arn:aws:dynamodb:eu-west-1:123456789012:table/${p}-table`],
            ['s3:GetObject', `arn:aws:s3:::state/${r.project}/${other}.tfstate`],
          ];
          for (const [action, arn] of samples) {
            if (mayDo(r, action, arn)) return fail(r.role, `may ${action} on ${arn}, a resource of environment ${other}`);
          }
        }
        return pass(r.role, `serves ${r.environment} only`);
      });
    },
  },
  {
    id: 'SPS-CI-3',
    title: 'Roles are created only with the permissions boundary, and every stack role carries it',
    mapsTo: ['AwsSolutions-IAM5', '(permissions boundary delegation, IAM User Guide)'],
    rationale: 'Without a boundary, a pipeline allowed to create roles can create one more powerful than itself and pass it to a function.',
    fix: 'Allow iam:CreateRole/PutRolePolicy/AttachRolePolicy only with Condition StringEquals iam:PermissionsBoundary = <project>-<env>-boundary; set permissions_boundary on every aws_iam_role of the environment stacks.',
    resourceTypes: ['aws_iam_role', 'aws_iam_role_policy'],
    check: ({ model, config }) => {
      const out: CheckResult[] = [];
      const roles = ciRoles(model);
      for (const r of roles) {
        const unbounded = r.statements.find((s) => s.effect === 'Allow' && ROLE_CREATION.some((a) => actionMatches(s, a)) && !Object.values(s.conditions).some((byKey) => 'iam:PermissionsBoundary' in byKey));
        out.push(unbounded ? fail(r.role, `may ${ROLE_CREATION.filter((a) => actionMatches(unbounded, a)).join('/')} on ${unbounded.resources.join(', ')} without requiring a permissions boundary`) : pass(r.role, 'creates roles only under the boundary'));
      }
      if (config) {
        const ci = new Set(roles.map((r) => r.role));
        for (const role of model.ofType('aws_iam_role').filter((x) => !ci.has(x))) {
          out.push(role.values.permissions_boundary ? pass(role, 'carries the permissions boundary') : fail(role, 'no permissions_boundary: the CI apply role cannot create it, and nothing caps it'));
        }
      }
      return out;
    },
  },
];
