import { proxyDatabase } from '../lib/data/proxy';
import { EventPath, register, RegistrationInput } from '../lib/domain/events';
import { publishOutboxEntry } from '../lib/domain/outbox';
import { httpHandler, reply } from '../lib/http';
import { publish } from '../lib/messaging/publish';

const db = proxyDatabase();

export const handler = httpHandler({ path: EventPath, body: RegistrationInput }, async ({ path, body, user }) => {
  const { registration, announcement } = await register(db, path.id, body, user);
  // After the commit: what is not published now, the outbox-sweep task publishes.
  await publishOutboxEntry(db, announcement.id, publish);
  return reply(201, registration);
});
