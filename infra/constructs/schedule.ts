/**
 * A function run on a schedule: an EventBridge rule, its target, and the
 * function's resource policy letting exactly that rule invoke it (no role
 * needed: EventBridge invokes Lambda through the function's policy).
 */
import { Construct } from 'constructs';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import type { ServiceFunction } from './function';

export interface ScheduleProps {
  /** Rule name, e.g. `sps-dev-outbox-sweep`. */
  readonly name: string;
  /** `rate(1 minute)` or `cron(...)` (checked by functions/registry-schema.ts). */
  readonly expression: string;
  readonly fn: ServiceFunction;
}

export class Schedule extends Construct {
  readonly rule: CloudwatchEventRule;
  readonly target: CloudwatchEventTarget;
  readonly permission: LambdaPermission;

  constructor(scope: Construct, id: string, props: ScheduleProps) {
    super(scope, id);
    this.rule = new CloudwatchEventRule(this, 'rule', {
      name: props.name,
      description: `Runs ${props.fn.functionName} on ${props.expression}`,
      scheduleExpression: props.expression,
      state: 'ENABLED',
    });
    this.permission = new LambdaPermission(this, 'permission', {
      statementId: 'AllowScheduleRule',
      action: 'lambda:InvokeFunction',
      functionName: props.fn.functionName,
      principal: 'events.amazonaws.com',
      sourceArn: this.rule.arn,
    });
    this.target = new CloudwatchEventTarget(this, 'target', {
      rule: this.rule.name,
      arn: props.fn.lambda.arn,
      dependsOn: [this.permission],
    });
  }
}
