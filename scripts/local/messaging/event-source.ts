/**
 * A local Lambda event source mapping for an SQS queue, as Lambda's pollers
 * run one: receive batches of up to `batchSize`, invoke the function with an
 * SQS event (at most `maximumConcurrency` invocations at once), then
 *
 * - result with `batchItemFailures` (ReportBatchItemFailures): delete every
 *   other message; the listed ones come back after the visibility timeout.
 *   A list naming a message not in the batch (or an empty id) fails the
 *   whole batch, as Lambda does;
 * - any other result: delete the batch;
 * - function error or timeout: delete nothing; the batch comes back after
 *   the visibility timeout, until the queue's redrive moves each message to
 *   its dead-letter queue.
 *
 * Creating one checks what CreateEventSourceMapping checks (the role may
 * receive, delete and read the queue's attributes; the queue's visibility
 * timeout is at least the function's timeout) and refuses with Lambda's text.
 */
import type { LocalIam } from '../iam';
import type { InvokeOutcome } from '../functions';
import type { LocalQueue, ReceivedMessage } from './queue';

export interface EventSourceMappingOptions {
  readonly queue: LocalQueue;
  /** The function's name, for the log (e.g. `sps-dev-confirmations`). */
  readonly functionName: string;
  readonly functionTimeoutSeconds: number;
  /** @default 10 */
  readonly batchSize?: number;
  /** @default 2 */
  readonly maximumConcurrency?: number;
  readonly region: string;
  /** Invokes the function with the SQS event (a sandbox, or a handler in-process). */
  invoke(event: unknown): Promise<InvokeOutcome>;
  readonly log?: (message: string) => void;
  /** The role's access key, checked for the consumer actions at creation. */
  readonly role?: { readonly iam: LocalIam; readonly accessKeyId: string };
}

/** CreateEventSourceMapping's refusals. */
export class EventSourceMappingError extends Error {
  override readonly name = 'InvalidParameterValueException';
}

const REQUIRED_ACTIONS = ['ReceiveMessage', 'DeleteMessage', 'GetQueueAttributes'];

export class EventSourceMapping {
  private inFlight = 0;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly onMessage = () => this.schedule(0);

  constructor(private readonly options: EventSourceMappingOptions) {
    const { queue, role, functionTimeoutSeconds } = options;
    const visibility = queue.options.visibilityTimeoutSeconds;
    if (visibility < functionTimeoutSeconds) {
      throw new EventSourceMappingError(`Queue visibility timeout: ${visibility} seconds is less than Function timeout: ${functionTimeoutSeconds} seconds`);
    }
    const missing = role ? REQUIRED_ACTIONS.find((a) => !role.iam.allows(role.accessKeyId, `sqs:${a}`, queue.arn)) : undefined;
    if (missing) throw new EventSourceMappingError(`The provided execution role does not have permissions to call ${missing} on SQS`);
  }

  /** Starts polling: at once for what is queued, then whenever a message arrives or becomes visible again. */
  start(): this {
    this.options.queue.on('message', this.onMessage);
    this.schedule(0);
    return this;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.options.queue.off('message', this.onMessage);
  }

  /** Resolves when no invocation is running and no message is visible (tests). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.inFlight === 0 && this.options.queue.visibleCount() === 0;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.poll(), delayMs);
  }

  private async poll(): Promise<void> {
    const { queue } = this.options;
    const maxConcurrency = this.options.maximumConcurrency ?? 2;
    while (!this.stopped && this.inFlight < maxConcurrency && queue.visibleCount() > 0) {
      const batch = await queue.receive(this.options.batchSize ?? 10);
      if (batch.length === 0) break;
      this.inFlight++;
      void this.process(batch).finally(() => {
        this.inFlight--;
        this.schedule(0);
      });
    }
    if (this.isIdle()) this.idleWaiters.splice(0).forEach((resolve) => resolve());
    const next = queue.nextVisibleIn();
    // Lambda long-polls; here the queue says when to look again.
    if (next !== undefined && this.inFlight < maxConcurrency) this.schedule(Math.max(next, 10));
  }

  private async process(batch: ReceivedMessage[]): Promise<void> {
    const { queue, functionName, log = () => undefined } = this.options;
    const counts = batch.map((m) => m.attributes.ApproximateReceiveCount).join(',');
    const outcome = await this.options.invoke({ Records: batch.map((m) => this.record(m)) });
    const back = `back after the ${queue.options.visibilityTimeoutSeconds} s visibility timeout`;
    if (this.stopped) {
      // The runtime stopped meanwhile (its queue file may already belong to a new runtime): the batch is
      // not deleted, so it comes back after the visibility timeout, as when Lambda's poller loses a batch.
      log(`SQS ${queue.name}: stopped while ${functionName} ran; ${batch.length} message(s) ${back}`);
      return;
    }
    if (outcome.kind !== 'result') {
      const why = outcome.kind === 'timeout' ? 'timed out' : `${outcome.error.name}: ${outcome.error.message}`;
      log(`SQS ${queue.name}: ${functionName} failed on ${batch.length} message(s) (receive #${counts}): ${why}; ${back}`);
      return;
    }
    const failed = this.failuresOf(outcome.payload, batch);
    if (failed === 'invalid') {
      log(`SQS ${queue.name}: ${functionName} returned batchItemFailures naming no message of the batch; the whole batch is ${back}`);
      return;
    }
    const done = batch.filter((m) => !failed.has(m.messageId));
    await Promise.all(done.map((m) => queue.delete(m.receiptHandle)));
    log(`SQS ${queue.name}: ${functionName} processed ${done.length} of ${batch.length} message(s) (receive #${counts})${failed.size ? `; ${failed.size} reported failed, ${back}` : ''}`);
  }

  /** The ids of `batchItemFailures`, or 'invalid' when the list names an id not in the batch. */
  private failuresOf(payload: string, batch: ReceivedMessage[]): Set<string> | 'invalid' {
    let result: unknown;
    try {
      result = JSON.parse(payload);
    } catch {
      return new Set();
    }
    const list = (result as { batchItemFailures?: unknown } | null)?.batchItemFailures;
    if (!Array.isArray(list)) return new Set();
    const ids = new Set(batch.map((m) => m.messageId));
    const failed = new Set<string>();
    for (const item of list) {
      const id = (item as { itemIdentifier?: unknown } | null)?.itemIdentifier;
      if (typeof id !== 'string' || !ids.has(id)) return 'invalid';
      failed.add(id);
    }
    return failed;
  }

  /** One record of Lambda's SQS event. */
  private record(m: ReceivedMessage) {
    return {
      messageId: m.messageId,
      receiptHandle: m.receiptHandle,
      body: m.body,
      attributes: m.attributes,
      messageAttributes: Object.fromEntries(
        Object.entries(m.messageAttributes).map(([k, a]) => [k, { stringValue: a.StringValue, stringListValues: [], binaryListValues: [], dataType: a.DataType }]),
      ),
      md5OfBody: m.md5OfBody,
      eventSource: 'aws:sqs',
      eventSourceARN: this.options.queue.arn,
      awsRegion: this.options.region,
    };
  }
}
