/**
 * `queueHandler`: the factory of functions triggered by an SQS queue (a
 * Lambda event source mapping with ReportBatchItemFailures, as
 * infra/constructs/messaging.ts creates it).
 *
 *   export const handler = queueHandler(MessageSchema, async (message) => ({ outcome: await work(message) }));
 *
 * Each record's body is parsed as JSON and validated by the schema, then
 * processed on its own: a record that fails (invalid, or its processing
 * throws) is listed in `batchItemFailures`, so only it comes back after the
 * queue's visibility timeout; the others are deleted. Records left when the
 * invocation is about to time out are reported as failures too, instead of
 * failing the whole batch. One log line per record, never its body.
 */
import type { $ZodType, output } from 'zod/v4/core';
import { safeParse } from 'zod/v4/core';
import { describeError, log } from '../log';

/** One record of an SQS event (Lambda's event for SQS event source mappings). */
export interface SqsRecord {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, string>> & { readonly ApproximateReceiveCount: string; readonly SentTimestamp: string };
  readonly messageAttributes: Readonly<Record<string, { readonly dataType: string; readonly stringValue?: string }>>;
  readonly md5OfBody: string;
  readonly eventSource: 'aws:sqs';
  readonly eventSourceARN: string;
  readonly awsRegion: string;
}

export interface SqsEvent {
  readonly Records: readonly SqsRecord[];
}

/** The partial batch response: the records to retry. */
export interface SqsBatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

export interface QueueContext {
  getRemainingTimeInMillis(): number;
  readonly awsRequestId?: string;
}

/** Time kept back at the end of an invocation (at most a fifth of it): records not started by then are retried. */
const FINISH_MARGIN_MS = 1000;

export class InvalidMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidMessageError';
  }
}

export function queueHandler<S extends $ZodType>(
  schema: S,
  process: (message: output<S>, record: SqsRecord) => Promise<{ outcome: string }>,
): (event: SqsEvent, context: QueueContext) => Promise<SqsBatchResponse> {
  return async function handleBatch(event, context) {
    const failures: { itemIdentifier: string }[] = [];
    const margin = Math.min(FINISH_MARGIN_MS, context.getRemainingTimeInMillis() / 5);
    for (const record of event.Records) {
      const base = { messageId: record.messageId, receiveCount: Number(record.attributes.ApproximateReceiveCount), requestId: context.awsRequestId };
      if (context.getRemainingTimeInMillis() < margin) {
        log({ level: 'warn', msg: 'message deferred: out of time', ...base });
        failures.push({ itemIdentifier: record.messageId });
        continue;
      }
      const started = performance.now();
      try {
        const { outcome } = await process(parse(schema, record.body), record);
        log({ level: 'info', msg: 'message', ...base, outcome, durationMs: Math.round((performance.now() - started) * 100) / 100 });
      } catch (err) {
        log({ level: 'error', msg: 'message failed', ...base, error: describeError(err) });
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures: failures };
  };
}

function parse<S extends $ZodType>(schema: S, body: string): output<S> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidMessageError('message body is not JSON');
  }
  const result = safeParse(schema, json);
  if (!result.success) throw new InvalidMessageError(`message does not match its schema: ${result.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`);
  return result.data;
}
