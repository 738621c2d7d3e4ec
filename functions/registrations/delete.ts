import { proxyDatabase } from '../lib/data/proxy';
import { RegistrationPath, unregister } from '../lib/domain/events';
import { httpHandler, reply } from '../lib/http';

const db = proxyDatabase();

export const handler = httpHandler({ path: RegistrationPath }, async ({ path, user }) => {
  await unregister(db, path.id, path.registrationId, user);
  return reply(204);
});
