/**
 * The `confirmations` task, triggered by the `confirmations` queue (subscribed
 * to the `registrations` topic): issues each new registration's confirmation,
 * once, whatever SQS delivers twice (functions/lib/domain/confirmations.ts).
 * A message that fails is reported alone (partial batch response) and comes
 * back after the queue's visibility timeout; after its maxReceiveCount
 * receives SQS moves it to the dead-letter queue.
 */
import { proxyDatabase } from './lib/data/proxy';
import { issueConfirmation, RegistrationCreated } from './lib/domain/confirmations';
import { queueHandler } from './lib/messaging/queue-handler';

const db = proxyDatabase();

export const handler = queueHandler(RegistrationCreated, async (message) => ({ outcome: await issueConfirmation(db, message) }));
