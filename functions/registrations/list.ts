import { proxyDatabase } from '../lib/data/proxy';
import { EventPath, listRegistrations, RegistrationsQuery } from '../lib/domain/events';
import { httpHandler } from '../lib/http';

const db = proxyDatabase();

export const handler = httpHandler({ path: EventPath, query: RegistrationsQuery }, ({ path, query }) =>
  listRegistrations(db, path.id, query.limit, query.cursor),
);
