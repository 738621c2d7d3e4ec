/** Lambda rules. */
import { reservedConcurrencyOf } from '../../config';
import { blocks, list, num } from '../model';
import { policiesOfRole } from '../iam-documents';
import type { Rule } from '../types';
import { fail, pass, privateSubnetProblem, registryEntryOf, show } from './util';

const LAMBDA = ['aws_lambda_function'];

/**
 * Runtimes AWS still supports for creating and updating functions, with the
 * date AWS deprecates them (lambda-runtimes page). A runtime past its date
 * fails the rule.
 */
export const SUPPORTED_RUNTIMES: Record<string, string> = {
  'nodejs24.x': '2028-04-30',
  'nodejs22.x': '2027-04-30',
  'python3.14': '2029-06-30',
  'python3.13': '2029-06-30',
  'python3.12': '2028-10-31',
  'python3.11': '2027-06-30',
  'java25': '2029-06-30',
  'java21': '2029-06-30',
  'dotnet10': '2028-11-14',
  'dotnet8': '2026-11-10',
  'ruby3.4': '2028-03-31',
  'provided.al2023': '2029-06-30',
};

const SECRET_NAME = /(secret|passw(or)?d|pwd|token|api_?key|private_?key|credential|access_?key)/i;
const SECRET_VALUE: [RegExp, string][] = [
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, 'an AWS access key id'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key'],
  [/\b[a-z][a-z0-9+.-]*:\/\/[^:/\s]+:[^@/\s]+@/i, 'a URL with an embedded password'],
  [/\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/, 'a JSON Web Token'],
  [/\b(password|passwd|pwd)\s*=/i, 'a password assignment'],
];

export const lambdaRules: Rule[] = [
  {
    id: 'SPS-LAMBDA-1',
    title: 'Lambda functions run in the VPC, in private subnets, with a security group',
    mapsTo: ['CKV_AWS_117', 'NIST.800.53.R5-LambdaInsideVPC'],
    rationale: 'Functions reach the database and endpoints privately and have no path to or from the internet.',
    fix: 'Set vpc_config with the private subnet ids (no route to an internet gateway) and the function security group.',
    resourceTypes: LAMBDA,
    check: ({ model }) =>
      model.ofType('aws_lambda_function').map((fn) => {
        const vpc = blocks(fn.values.vpc_config)[0];
        if (!vpc) return fail(fn, 'no vpc_config: the function runs outside the VPC');
        const problem = privateSubnetProblem(model, vpc.subnet_ids);
        if (problem) return fail(fn, problem);
        if (list(vpc.security_group_ids).length === 0) return fail(fn, 'vpc_config has no security group');
        return pass(fn, `in ${list(vpc.subnet_ids).length} private subnet(s)`);
      }),
  },
  {
    id: 'SPS-LAMBDA-2',
    title: 'Lambda functions set memory and timeout explicitly',
    mapsTo: ['Serverless-LambdaDefaultMemorySize', 'Serverless-LambdaDefaultTimeout'],
    rationale: "The defaults (128 MB, 3 s) are rarely right; explicit values make cost and failure modes a decision.",
    fix: 'Set memory_size and timeout (memoryMb / timeoutSeconds in functions/registry.ts).',
    resourceTypes: LAMBDA,
    check: ({ model }) =>
      model.ofType('aws_lambda_function').map((fn) => {
        const memory = num(fn.values.memory_size);
        const timeout = num(fn.values.timeout);
        if (memory === undefined || timeout === undefined) {
          return fail(fn, `memory_size=${show(fn.values.memory_size)}, timeout=${show(fn.values.timeout)}: both must be set`);
        }
        return pass(fn, `memory_size=${memory} MB, timeout=${timeout} s`);
      }),
  },
  {
    id: 'SPS-LAMBDA-3',
    title: 'Lambda functions use a supported runtime',
    mapsTo: ['AwsSolutions-L1', 'CKV_AWS_363', 'Serverless-LambdaLatestVersion'],
    rationale: 'Deprecated runtimes stop getting security patches and eventually cannot be updated.',
    fix: `Use a supported runtime (nodejs22.x for this stack); supported: ${Object.keys(SUPPORTED_RUNTIMES).join(', ')}.`,
    resourceTypes: LAMBDA,
    check: ({ model }) =>
      model.ofType('aws_lambda_function').map((fn) => {
        const runtime = fn.values.runtime;
        if (fn.values.package_type === 'Image') return pass(fn, 'container image: runtime comes with the image');
        const until = typeof runtime === 'string' ? SUPPORTED_RUNTIMES[runtime] : undefined;
        if (!until) return fail(fn, `runtime ${show(runtime)} is deprecated or unknown`);
        if (new Date(`${until}T00:00:00Z`).getTime() < Date.now()) return fail(fn, `runtime ${runtime} was deprecated on ${until}`);
        return pass(fn, `runtime ${runtime} (supported until ${until})`);
      }),
  },
  {
    id: 'SPS-LAMBDA-4',
    title: 'No secret-looking values in Lambda environment variables',
    mapsTo: ['CKV_AWS_45', 'CKV_AWS_173'],
    rationale: 'Environment variables are readable by anyone with lambda:GetFunctionConfiguration and end up in Terraform state.',
    fix: 'Pass a secret ARN (e.g. DB_SECRET_ARN) or use IAM auth; read the secret at run time from Secrets Manager.',
    resourceTypes: LAMBDA,
    check: ({ model }) =>
      model.ofType('aws_lambda_function').map((fn) => {
        const vars = (blocks(fn.values.environment)[0]?.variables ?? {}) as Record<string, unknown>;
        for (const [key, raw] of Object.entries(vars)) {
          const value = typeof raw === 'string' ? raw : JSON.stringify(raw);
          for (const [re, what] of SECRET_VALUE) {
            if (re.test(value)) return fail(fn, `${key} holds what looks like ${what}`);
          }
          const isReference = value.includes('${') || value.startsWith('arn:');
          if (SECRET_NAME.test(key) && !/_ARN$|_NAME$|_ID$/.test(key) && !isReference && value !== '') {
            return fail(fn, `${key} has a secret-looking name and a literal value`);
          }
        }
        return pass(fn, `${Object.keys(vars).length} variable(s), none secret-looking`);
      }),
  },
  {
    id: 'SPS-LAMBDA-5',
    title: 'Each Lambda function has its own log group with a retention period',
    mapsTo: ['Serverless-CloudWatchLogGroupRetentionPeriod', 'CKV_AWS_66'],
    rationale: 'Without a managed log group Lambda creates one that keeps logs forever (cost, data retention).',
    fix: 'Create an aws_cloudwatch_log_group (retention_in_days set) and point logging_config.log_group at it, or name it /aws/lambda/<function>.',
    resourceTypes: LAMBDA,
    check: ({ model }) =>
      model.ofType('aws_lambda_function').map((fn) => {
        const groups = model.ofType('aws_cloudwatch_log_group');
        const configured = blocks(fn.values.logging_config)[0]?.log_group;
        let group = configured !== undefined ? model.targets(configured, 'aws_cloudwatch_log_group')[0] : undefined;
        const wanted = configured !== undefined ? model.resolveString(configured) : `/aws/lambda/${model.resolveString(fn.values.function_name) ?? '?'}`;
        group ??= groups.find((g) => model.resolveString(g.values.name) === wanted);
        if (!group) return fail(fn, `no aws_cloudwatch_log_group named ${show(wanted)} in the stack`);
        const days = num(group.values.retention_in_days);
        if (!days) return fail(fn, `log group ${group.address} has no retention (retention_in_days=${show(group.values.retention_in_days)})`);
        return pass(fn, `log group ${group.address}, ${days} days`);
      }),
  },
  {
    id: 'SPS-LAMBDA-6',
    title: 'Reserved concurrency is set where the config asks for it',
    mapsTo: ['CKV_AWS_115', 'NIST.800.53.R5-LambdaConcurrency'],
    rationale: 'Reserved concurrency caps what one function can take from the account and protects the database from connection storms.',
    fix: 'Set reserved_concurrent_executions to the registry entry reservedConcurrency, else (routes) the environment reservedConcurrency; tasks reserve none.',
    resourceTypes: LAMBDA,
    check: (ctx) =>
      ctx.model.ofType('aws_lambda_function').flatMap((fn) => {
        if (!ctx.config) return [];
        const entry = registryEntryOf(ctx, fn);
        const actual = num(fn.values.reserved_concurrent_executions);
        const expected = entry ? reservedConcurrencyOf(entry, ctx.config) : ctx.config.reservedConcurrency;
        if (expected === undefined) return [pass(fn, `no reserved concurrency asked (actual ${show(actual)})`)];
        if (!entry && actual !== undefined) return [pass(fn, `not in the registry; reserved ${actual}`)];
        if (actual !== expected) {
          return [fail(fn, `reserved_concurrent_executions=${show(fn.values.reserved_concurrent_executions)}, config asks ${expected}`)];
        }
        return [pass(fn, `reserved ${actual} as configured`)];
      }),
  },
  {
    id: 'SPS-LAMBDA-7',
    title: "A Lambda function's role grants no wildcard actions",
    mapsTo: ['Serverless-LambdaStarPermissions', 'AwsSolutions-IAM5'],
    rationale: 'A wildcard action grants today and tomorrow every matching API; functions get the exact actions they use.',
    fix: 'List exact actions (e.g. dynamodb:GetItem) in the function role policies; no "*" anywhere in an action.',
    resourceTypes: LAMBDA,
    check: ({ model }) =>
      model.ofType('aws_lambda_function').map((fn) => {
        const role = model.targets(fn.values.role, 'aws_iam_role')[0];
        if (!role) return fail(fn, `role ${show(fn.values.role)} is not an aws_iam_role of this stack, so it cannot be verified`);
        const policies = policiesOfRole(model, role);
        for (const p of policies) {
          if (!p.document.ok) return fail(fn, `${p.source}: ${p.document.reason}`);
          for (const s of p.document.statements) {
            if (s.effect !== 'Allow') continue;
            if (s.notActions.length > 0) return fail(fn, `${p.source} allows NotAction ${show(s.notActions)}`);
            const star = s.actions.find((a) => a.includes('*'));
            if (star) return fail(fn, `${p.source} allows wildcard action "${star}"`);
          }
        }
        return pass(fn, `${role.address}: ${policies.length} policy document(s), exact actions only`);
      }),
  },
];
