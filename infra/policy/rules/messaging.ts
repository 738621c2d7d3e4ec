/** SNS, SQS and Lambda event source mapping rules. */
import { parseHcl, parsePolicy, type Statement } from '../iam-documents';
import { expressionsIn, isSingleExpression, list, num, type StackModel, type TfResource } from '../model';
import type { CheckResult, Rule } from '../types';
import { fail, isCustomerManagedKey, pass, show } from './util';

/** The statements of a resource policy held inline (`policy`) or by a separate policy resource pointing at `target`. */
function resourcePolicies(model: StackModel, target: TfResource, holderType: string, attr: string): { ok: boolean; statements: Statement[]; reason?: string }[] {
  const values = [target.values.policy, ...model.referrers(target, holderType, attr).map((p) => p.values.policy)].filter((v) => v !== undefined);
  return values.map((v) => {
    const parsed = parsePolicy(model, v);
    return parsed.ok ? { ok: true, statements: parsed.statements } : { ok: false, statements: [], reason: parsed.reason };
  });
}

/** Whether the statements deny `action` (or its service's `*`) to everyone without TLS. */
function deniesInsecureTransport(statements: Statement[], action: string): boolean {
  const service = action.split(':')[0];
  return statements.some(
    (s) =>
      s.effect === 'Deny' &&
      (s.actions.includes(action) || s.actions.includes(`${service}:*`) || s.actions.includes('*')) &&
      (s.principals.AWS?.includes('*') || s.principals['*']?.includes('*')) &&
      list(s.conditions.Bool?.['aws:SecureTransport']).map(String).includes('false'),
  );
}

function tlsOnly(model: StackModel, r: TfResource, holderType: string, attr: string, action: string): CheckResult {
  const policies = resourcePolicies(model, r, holderType, attr);
  const unreadable = policies.find((p) => !p.ok);
  if (unreadable) return fail(r, `its policy cannot be read statically: ${unreadable.reason}`);
  return policies.some((p) => deniesInsecureTransport(p.statements, action))
    ? pass(r, `denies ${action} without TLS`)
    : fail(r, policies.length ? `no statement denies ${action} when aws:SecureTransport is false` : `no policy (${holderType})`);
}

/** A queue's redrive policy as an object (`jsonencode({...})` in the config, JSON after plan enrichment). */
function redriveOf(model: StackModel, queue: TfResource): Record<string, unknown> | undefined {
  const separate = model.referrers(queue, 'aws_sqs_queue_redrive_policy', 'queue_url')[0]?.values.redrive_policy;
  const raw = queue.values.redrive_policy ?? separate;
  if (typeof raw !== 'string') return raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : undefined;
  try {
    if (!raw.includes('${')) return JSON.parse(raw) as Record<string, unknown>;
    if (isSingleExpression(raw)) {
      const m = /^jsonencode\(([\s\S]*)\)$/.exec(expressionsIn(raw)[0]!.trim());
      if (m) return parseHcl(m[1]!) as Record<string, unknown>;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** Queues some other queue's redrive policy points at: dead-letter queues. */
function deadLetterQueues(model: StackModel): Set<string> {
  const out = new Set<string>();
  for (const q of model.ofType('aws_sqs_queue')) {
    const target = model.targets(redriveOf(model, q)?.deadLetterTargetArn, 'aws_sqs_queue')[0];
    if (target) out.add(target.address);
  }
  return out;
}

/** Every resource of `type` has `kms_master_key_id` = a customer-managed key. */
const encryptedWithOurKey = (type: string) => ({ model }: { model: StackModel }): CheckResult[] =>
  model.ofType(type).map((r) =>
    isCustomerManagedKey(model, r.values.kms_master_key_id) ? pass(r, 'encrypted with our key') : fail(r, `kms_master_key_id=${show(r.values.kms_master_key_id)}`),
  );

export const messagingRules: Rule[] = [
  {
    id: 'SPS-SNS-1',
    title: 'SNS topics are encrypted with a customer-managed KMS key',
    mapsTo: ['CKV_AWS_26', 'AwsSolutions-SNS2'],
    rationale: 'Messages at rest in SNS stay readable only to principals our key policy and IAM grants allow.',
    fix: 'Set kms_master_key_id on aws_sns_topic to our aws_kms_key (not alias/aws/sns).',
    resourceTypes: ['aws_sns_topic'],
    check: encryptedWithOurKey('aws_sns_topic'),
  },
  {
    id: 'SPS-SNS-2',
    title: 'SNS topics refuse publishing without TLS',
    mapsTo: ['AwsSolutions-SNS3'],
    rationale: 'A message published over plain HTTP can be read or changed on the way; the topic policy makes TLS a rule, not a habit.',
    fix: 'Add an aws_sns_topic_policy with a Deny of sns:Publish for principal "*" when aws:SecureTransport is "false".',
    resourceTypes: ['aws_sns_topic', 'aws_sns_topic_policy'],
    check: ({ model }) => model.ofType('aws_sns_topic').map((t) => tlsOnly(model, t, 'aws_sns_topic_policy', 'arn', 'sns:Publish')),
  },
  {
    id: 'SPS-SNS-3',
    title: 'SQS subscriptions deliver to a queue of this stack that has a dead-letter queue and accepts the topic',
    mapsTo: ['(no cdk-nag/checkov equivalent)'],
    rationale: 'A subscribed queue without a DLQ loses poison messages after retention; one whose policy does not name the topic silently drops every delivery.',
    fix: "Subscribe a queue with a redrive_policy, whose aws_sqs_queue_policy allows sqs:SendMessage to sns.amazonaws.com with aws:SourceArn = the topic's arn.",
    resourceTypes: ['aws_sns_topic_subscription'],
    check: ({ model }) =>
      model.ofType('aws_sns_topic_subscription').filter((s) => s.values.protocol === 'sqs').map((s) => {
        const queue = model.targets(s.values.endpoint, 'aws_sqs_queue')[0];
        const topic = model.targets(s.values.topic_arn, 'aws_sns_topic')[0];
        if (!queue || !topic) return fail(s, `endpoint ${show(s.values.endpoint)} or topic ${show(s.values.topic_arn)} is not a queue/topic of this stack`);
        if (!redriveOf(model, queue)?.deadLetterTargetArn) return fail(s, `${queue.address} has no dead-letter queue`);
        const accepts = resourcePolicies(model, queue, 'aws_sqs_queue_policy', 'queue_url').some((p) =>
          p.statements.some(
            (st) => st.effect === 'Allow' && st.actions.includes('sqs:SendMessage') && st.principals.Service?.includes('sns.amazonaws.com') &&
              model.targets(st.conditions.ArnEquals?.['aws:SourceArn'] ?? st.conditions.ArnLike?.['aws:SourceArn'], 'aws_sns_topic').some((x) => x.address === topic.address),
          ),
        );
        return accepts ? pass(s, `${queue.address} has a DLQ and accepts ${topic.address}`) : fail(s, `${queue.address}'s policy does not let ${topic.address} send`);
      }),
  },
  {
    id: 'SPS-SQS-1',
    title: 'SQS queues are encrypted with a customer-managed KMS key',
    mapsTo: ['CKV_AWS_27', 'AwsSolutions-SQS2'],
    rationale: 'Queued messages (registrations, personal data) stay readable only through our key, and every decrypt is logged in CloudTrail.',
    fix: 'Set kms_master_key_id on aws_sqs_queue to our aws_kms_key (SSE-SQS and alias/aws/sqs are not enough).',
    resourceTypes: ['aws_sqs_queue'],
    check: encryptedWithOurKey('aws_sqs_queue'),
  },
  {
    id: 'SPS-SQS-2',
    title: 'SQS queues (other than dead-letter queues) redrive to a dead-letter queue',
    mapsTo: ['AwsSolutions-SQS3'],
    rationale: 'Without a DLQ a message that always fails is retried until retention ends and then lost, unseen.',
    fix: 'Set redrive_policy = jsonencode({ deadLetterTargetArn = <dlq>.arn, maxReceiveCount = n }) on the queue.',
    resourceTypes: ['aws_sqs_queue'],
    check: ({ model }) => {
      const dlqs = deadLetterQueues(model);
      return model.ofType('aws_sqs_queue').map((q) => {
        if (dlqs.has(q.address)) return pass(q, 'a dead-letter queue');
        const redrive = redriveOf(model, q);
        const max = num(redrive?.maxReceiveCount);
        if (!redrive?.deadLetterTargetArn || max === undefined) return fail(q, `no dead-letter queue (redrive_policy=${show(q.values.redrive_policy)})`);
        return pass(q, `moves a message to its DLQ after ${max} receives`);
      });
    },
  },
  {
    id: 'SPS-SQS-3',
    title: 'SQS queues refuse requests without TLS',
    mapsTo: ['AwsSolutions-SQS4'],
    rationale: 'Plain-HTTP requests expose message bodies and receipt handles on the way.',
    fix: 'Add an aws_sqs_queue_policy with a Deny of sqs:* for principal "*" when aws:SecureTransport is "false" (dead-letter queues too).',
    resourceTypes: ['aws_sqs_queue', 'aws_sqs_queue_policy'],
    check: ({ model }) => model.ofType('aws_sqs_queue').map((q) => tlsOnly(model, q, 'aws_sqs_queue_policy', 'queue_url', 'sqs:SendMessage')),
  },
  {
    id: 'SPS-SQS-4',
    title: 'SQS queue policies allow no one but named principals and services scoped to a source',
    mapsTo: ['CKV_AWS_168'],
    rationale: 'An Allow for principal "*", or for a service without aws:SourceArn, lets other accounts (or their topics) write to or read our queue.',
    fix: 'Allow sqs:SendMessage only to sns.amazonaws.com with aws:SourceArn = our topic; give consumers IAM grants on their roles instead.',
    resourceTypes: ['aws_sqs_queue_policy'],
    check: ({ model }) =>
      model.ofType('aws_sqs_queue').flatMap((q) =>
        resourcePolicies(model, q, 'aws_sqs_queue_policy', 'queue_url').map((p) => {
          if (!p.ok) return fail(q, `its policy cannot be read statically: ${p.reason}`);
          const bad = p.statements.find(
            (s) => s.effect === 'Allow' && (s.principals.AWS?.includes('*') || s.principals['*'] !== undefined || (s.principals.Service && !s.conditions.ArnEquals?.['aws:SourceArn'] && !s.conditions.ArnLike?.['aws:SourceArn'])),
          );
          return bad ? fail(q, `allows ${show(bad.actions)} to ${show(bad.principals)} without aws:SourceArn`) : pass(q, 'no open Allow');
        }),
      ),
  },
  {
    id: 'SPS-ESM-1',
    title: 'SQS event source mappings report partial batch failures, and the queue hides a message at least 6x the function timeout',
    mapsTo: ['(no cdk-nag/checkov equivalent)'],
    rationale: "Without ReportBatchItemFailures one bad message retries its whole batch; a visibility timeout under 6x the function's timeout re-delivers batches still being retried after throttling (AWS guidance).",
    fix: 'Set function_response_types = ["ReportBatchItemFailures"] on the mapping and visibility_timeout_seconds >= 6 x the function timeout on the queue.',
    resourceTypes: ['aws_lambda_event_source_mapping'],
    check: ({ model }) =>
      model.ofType('aws_lambda_event_source_mapping').flatMap((m) => {
        const queue = model.targets(m.values.event_source_arn, 'aws_sqs_queue')[0];
        if (!queue) return [];
        const fn = model.targets(m.values.function_name, 'aws_lambda_function')[0];
        const timeout = num(fn?.values.timeout) ?? 3;
        const visibility = num(queue.values.visibility_timeout_seconds) ?? 30;
        if (!list(m.values.function_response_types).includes('ReportBatchItemFailures')) return [fail(m, 'function_response_types lacks ReportBatchItemFailures')];
        if (visibility < 6 * timeout) return [fail(m, `${queue.address} visibility_timeout_seconds=${visibility} < 6 x ${timeout} s (the function's timeout)`)];
        return [pass(m, `partial batch responses; visibility ${visibility} s >= 6 x ${timeout} s`)];
      }),
  },
];
