/**
 * ServiceFunction alone (stand-in zip, stand-in subnets): Node.js 22 on arm64,
 * its own log group created first, an execution role with the ENI actions,
 * its own logs and the grants it is given.
 */
import { Testing } from 'cdktf';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { VPC_ENI_ACTIONS, type ServiceFunctionProps } from '../../../infra/constructs/function';
import { addressOf, FakeArchives, onlyResource, permissionsBoundaryTests, refTo, rolePolicyStatements, synthScope, testFunction, trustOf } from '../helpers';

Testing.setupJest();

let archives: FakeArchives;
beforeAll(() => {
  archives = new FakeArchives();
});

function synthFunction(props: Partial<ServiceFunctionProps> = {}) {
  return synthScope((scope) => testFunction(scope, archives, 'fn', props));
}

function lambdaOf(props: Partial<ServiceFunctionProps> = {}): Record<string, any> {
  return onlyResource(synthFunction(props).json, 'aws_lambda_function');
}

describe('ServiceFunction', () => {
  test('runs on nodejs22.x by default', () => {
    expect(synthFunction().synth).toHaveResourceWithProperties(LambdaFunction, { runtime: 'nodejs22.x' });
  });

  test('GIVEN runtime nodejs24.x WHEN synthesized THEN the function runs on it', () => {
    expect(synthFunction({ runtime: 'nodejs24.x' }).synth).toHaveResourceWithProperties(LambdaFunction, { runtime: 'nodejs24.x' });
  });

  test('runs on arm64 by default', () => {
    expect(synthFunction().synth).toHaveResourceWithProperties(LambdaFunction, { architectures: ['arm64'] });
  });

  test('GIVEN architecture x86_64 WHEN synthesized THEN the function runs on x86_64', () => {
    expect(synthFunction({ architecture: 'x86_64' }).synth).toHaveResourceWithProperties(LambdaFunction, { architectures: ['x86_64'] });
  });

  test('has the given name, memory and timeout', () => {
    expect(synthFunction({ memoryMb: 512, timeoutSeconds: 15 }).synth).toHaveResourceWithProperties(LambdaFunction, {
      function_name: 'test-fn',
      memory_size: 512,
      timeout: 15,
    });
  });

  test('describes itself as "Runs <name>" by default', () => {
    expect(synthFunction().synth).toHaveResourceWithProperties(LambdaFunction, { description: 'Runs test-fn' });
  });

  test('GIVEN a description WHEN synthesized THEN the function carries it', () => {
    expect(synthFunction({ description: 'GET /posts' }).synth).toHaveResourceWithProperties(LambdaFunction, { description: 'GET /posts' });
  });

  test('runs the hashed zip asset: source_code_hash is the zip SHA-256, the asset path the zip hash', () => {
    const code = archives.archive('code');
    const f = lambdaOf({ code });
    expect(f.handler).toBe('code.handler');
    expect(f.source_code_hash).toBe(code.sha256Base64);
    expect(f.filename).toMatch(new RegExp(`^assets/fn_code_[A-F0-9]+/${code.sha256Hex.slice(0, 32).toUpperCase()}/code\\.zip$`));
  });

  test('creates its log group first: the function depends on the log group and on its role policy', () => {
    const { json } = synthFunction();
    expect(onlyResource(json, 'aws_lambda_function').depends_on).toEqual([
      addressOf(json, 'aws_iam_role_policy'),
      addressOf(json, 'aws_cloudwatch_log_group'),
    ]);
  });

  test('logs JSON to its own log group, kept for the given days', () => {
    const { synth, json } = synthFunction({ logRetentionDays: 30 });
    expect(synth).toHaveResourceWithProperties(CloudwatchLogGroup, { name: '/aws/lambda/test-fn', retention_in_days: 30 });
    expect(synth).toHaveResourceWithProperties(LambdaFunction, {
      logging_config: { log_format: 'JSON', log_group: refTo(json, 'aws_cloudwatch_log_group', 'name') },
    });
  });

  test('its role may manage the network interfaces AWS documents for VPC functions, on "*" as AWS requires', () => {
    expect(rolePolicyStatements(synthFunction().json, 'fn_')[0]).toEqual(
      expect.objectContaining({ sid: 'VpcNetworkInterfaces', actions: [...VPC_ENI_ACTIONS], resources: ['*'] }),
    );
  });

  test('its role writes to its own log group only', () => {
    const { json } = synthFunction();
    expect(rolePolicyStatements(json, 'fn_')[1]).toEqual(
      expect.objectContaining({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [`${refTo(json, 'aws_cloudwatch_log_group', 'arn')}:*`],
      }),
    );
  });

  test('has only the ENI and log statements by default', () => {
    expect(rolePolicyStatements(synthFunction().json, 'fn_').map((s) => s.sid)).toEqual(['VpcNetworkInterfaces', 'WriteOwnLogs']);
  });

  test('GIVEN grants WHEN synthesized THEN its role policy carries them after its own statements', () => {
    const grant = { sid: 'ReadTablePosts', actions: ['dynamodb:GetItem'], resources: ['arn:aws:dynamodb:eu-west-1:111122223333:table/posts'] };
    expect(rolePolicyStatements(synthFunction({ grants: [grant] }).json, 'fn_')[2]).toEqual(expect.objectContaining(grant));
  });

  test('its role can be assumed by Lambda only', () => {
    expect(trustOf(synthFunction().json).principals).toEqual([{ type: 'Service', identifiers: ['lambda.amazonaws.com'] }]);
  });

  permissionsBoundaryTests('its role', synthFunction);

  test('runs in the given subnets with the given security groups', () => {
    expect(synthFunction().synth).toHaveResourceWithProperties(LambdaFunction, {
      vpc_config: { subnet_ids: ['subnet-a', 'subnet-b'], security_group_ids: ['sg-functions'] },
    });
  });

  test('swaps its security groups on destroy, for the VPC default group by default', () => {
    const f = lambdaOf();
    expect(f.replace_security_groups_on_destroy).toBe(true);
    expect(f.replacement_security_group_ids).toBeUndefined();
  });

  test('GIVEN replacementSecurityGroupIds WHEN synthesized THEN those groups replace its own on destroy', () => {
    expect(lambdaOf({ replacementSecurityGroupIds: ['sg-default'] }).replacement_security_group_ids).toEqual(['sg-default']);
  });

  test('reserves no concurrency by default', () => {
    expect(lambdaOf().reserved_concurrent_executions).toBeUndefined();
  });

  test('GIVEN reservedConcurrency 50 WHEN synthesized THEN 50 executions are reserved', () => {
    expect(lambdaOf({ reservedConcurrency: 50 }).reserved_concurrent_executions).toBe(50);
  });

  test('has exactly the given environment when the bundle ships no source maps', () => {
    expect(lambdaOf({ environment: { APP_ENV: 'test' } }).environment).toEqual({ variables: { APP_ENV: 'test' } });
  });

  test('GIVEN a bundle with source maps WHEN synthesized THEN Node enables them', () => {
    const f = lambdaOf({ code: archives.archive('mapped', { mapBytes: 100 }), environment: { APP_ENV: 'test' } });
    expect(f.environment.variables).toEqual({ NODE_OPTIONS: '--enable-source-maps', APP_ENV: 'test' });
  });
});
