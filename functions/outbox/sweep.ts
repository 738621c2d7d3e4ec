/**
 * The `outbox-sweep` task, run every minute by its schedule: publishes the
 * outbox messages their writers did not (the function died between its
 * commit and the publish, or SNS failed), and deletes old published ones.
 * Throws when the database is unreachable, so the failure shows in the
 * function's error metrics; the next run picks up where this one stopped.
 */
import middy from '@middy/core';
import { proxyDatabase } from '../lib/data/proxy';
import { sweepOutbox, type SweepResult } from '../lib/domain/outbox';
import { log } from '../lib/log';
import { publish } from '../lib/messaging/publish';

const db = proxyDatabase({ max: 1 });

export const handler = middy(async (): Promise<SweepResult> => {
  const result = await sweepOutbox(db, publish);
  if (result.found > 0 || result.deleted > 0) log({ level: 'info', msg: 'outbox swept', ...result });
  return result;
});
