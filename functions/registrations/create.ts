import { proxyDatabase } from '../lib/data/proxy';
import { EventPath, register, RegistrationInput } from '../lib/domain/events';
import { httpHandler, reply } from '../lib/http';

const db = proxyDatabase();

export const handler = httpHandler(
  { path: EventPath, body: RegistrationInput },
  async ({ path, body, user }) => reply(201, await register(db, path.id, body, user)),
);
