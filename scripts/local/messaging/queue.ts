/**
 * A local SQS standard queue with SQS's delivery semantics, kept in
 * `<dataDir>/messaging/<queue>.json` so messages survive a restart (SQS is
 * durable; the write completes before a send is acknowledged):
 *
 * - a received message is invisible for the visibility timeout, then
 *   delivered again unless deleted with its latest receipt handle (at least
 *   once);
 * - each receive counts (`ApproximateReceiveCount`); a message already
 *   received `maxReceiveCount` times is moved to the dead-letter queue on
 *   its next receive instead of being delivered (SQS's redrive policy);
 * - messages older than the retention period are dropped.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

export interface MessageAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
}

export interface QueuedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, MessageAttribute>>;
  readonly senderId: string;
  readonly sentTimestamp: number;
  receiveCount: number;
  firstReceiveTimestamp?: number;
  /** Epoch ms from which it can be received again. */
  visibleAt: number;
  receiptHandle?: string;
}

export interface LocalQueueOptions {
  readonly name: string;
  readonly arn: string;
  readonly visibilityTimeoutSeconds: number;
  readonly retentionSeconds: number;
  /** Redrive: where messages go after `maxReceiveCount` receives. @default - none (a dead-letter queue) */
  readonly redrive?: { readonly deadLetterQueue: LocalQueue; readonly maxReceiveCount: number };
  /** Folder of the queue's file. @default - in memory only */
  readonly dir?: string;
  /** Delivery events (sent, moved to the DLQ, expired). */
  readonly log?: (message: string) => void;
  readonly now?: () => number;
}

/** A message as ReceiveMessage returns it. */
export interface ReceivedMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly attributes: { ApproximateReceiveCount: string; SentTimestamp: string; SenderId: string; ApproximateFirstReceiveTimestamp: string };
  readonly messageAttributes: Readonly<Record<string, MessageAttribute>>;
}

/** Numbers the temporary files of queue writes in this process. */
let tmpCounter = 0;

export class LocalQueue extends EventEmitter {
  private messages: QueuedMessage[] = [];
  private readonly file?: string;
  private saving: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  constructor(readonly options: LocalQueueOptions) {
    super();
    this.now = options.now ?? Date.now;
    if (options.dir) {
      mkdirSync(options.dir, { recursive: true });
      this.file = path.join(options.dir, `${options.name}.json`);
      if (existsSync(this.file)) this.messages = JSON.parse(readFileSync(this.file, 'utf8')) as QueuedMessage[];
    }
  }

  get name(): string {
    return this.options.name;
  }

  get arn(): string {
    return this.options.arn;
  }

  /** Every message (visible or in flight), oldest first: a copy, for tests and diagnostics. */
  list(): QueuedMessage[] {
    return this.messages.map((m) => ({ ...m }));
  }

  /** Messages receivable now. */
  visibleCount(): number {
    const now = this.now();
    return this.messages.filter((m) => m.visibleAt <= now).length;
  }

  /** Milliseconds until the next message becomes visible (0: one is now), or undefined when empty. */
  nextVisibleIn(): number | undefined {
    if (this.messages.length === 0) return undefined;
    return Math.max(0, Math.min(...this.messages.map((m) => m.visibleAt)) - this.now());
  }

  /** SendMessage (SNS delivering to a subscribed queue, or a redrive); resolves once stored. */
  async send(body: string, attributes: Readonly<Record<string, MessageAttribute>> = {}, senderId = 'local'): Promise<QueuedMessage> {
    const message: QueuedMessage = { messageId: randomUUID(), body, attributes, senderId, sentTimestamp: this.now(), receiveCount: 0, visibleAt: this.now() };
    return this.add(message);
  }

  private async add(message: QueuedMessage): Promise<QueuedMessage> {
    this.messages.push(message);
    await this.persist();
    this.emit('message');
    return message;
  }

  /**
   * ReceiveMessage: up to `max` visible messages, each now invisible for the
   * visibility timeout, with a new receipt handle. Expired messages are
   * dropped; messages past the redrive's maxReceiveCount move to the DLQ.
   */
  async receive(max: number): Promise<ReceivedMessage[]> {
    const now = this.now();
    const out: ReceivedMessage[] = [];
    const retentionMs = this.options.retentionSeconds * 1000;
    for (const m of [...this.messages]) {
      if (out.length >= max) break;
      if (now - m.sentTimestamp >= retentionMs) {
        this.remove(m);
        this.options.log?.(`${this.name}: message ${m.messageId} expired after the ${this.options.retentionSeconds} s retention period`);
        continue;
      }
      if (m.visibleAt > now) continue;
      const redrive = this.options.redrive;
      if (redrive && m.receiveCount >= redrive.maxReceiveCount) {
        this.remove(m);
        await redrive.deadLetterQueue.add({ ...m, receiptHandle: undefined, visibleAt: now });
        this.options.log?.(`${this.name}: message ${m.messageId} moved to ${redrive.deadLetterQueue.name} after ${m.receiveCount} receives (maxReceiveCount ${redrive.maxReceiveCount})`);
        continue;
      }
      m.receiveCount++;
      m.firstReceiveTimestamp ??= now;
      m.visibleAt = now + this.options.visibilityTimeoutSeconds * 1000;
      m.receiptHandle = `${m.messageId}#${randomBytes(12).toString('base64url')}`;
      out.push({
        messageId: m.messageId,
        receiptHandle: m.receiptHandle,
        body: m.body,
        md5OfBody: createHash('md5').update(m.body).digest('hex'),
        attributes: {
          ApproximateReceiveCount: String(m.receiveCount),
          SentTimestamp: String(m.sentTimestamp),
          SenderId: m.senderId,
          ApproximateFirstReceiveTimestamp: String(m.firstReceiveTimestamp),
        },
        messageAttributes: m.attributes,
      });
    }
    await this.persist();
    if (this.messages.length) this.emit('changed');
    return out;
  }

  /** DeleteMessage: only the latest receipt handle of a message deletes it (an older one is stale, as in SQS after a re-receive). */
  async delete(receiptHandle: string): Promise<boolean> {
    const m = this.messages.find((x) => x.receiptHandle === receiptHandle);
    if (!m) return false;
    this.remove(m);
    await this.persist();
    return true;
  }

  /** PurgeQueue. */
  async purge(): Promise<void> {
    this.messages = [];
    await this.persist();
  }

  private remove(m: QueuedMessage): void {
    this.messages = this.messages.filter((x) => x !== m);
  }

  /** Writes the queue's file (atomically, one write at a time). */
  private persist(): Promise<void> {
    const file = this.file;
    if (!file) return Promise.resolve();
    const snapshot = JSON.stringify(this.messages);
    this.saving = this.saving.then(async () => {
      // Unique per write: a runtime restarted in the same process on the same dir has its own queue object.
      const tmp = `${file}.${process.pid}.${++tmpCounter}.tmp`;
      await fs.writeFile(tmp, snapshot, { mode: 0o600 });
      await fs.rename(tmp, file);
    });
    return this.saving;
  }
}
