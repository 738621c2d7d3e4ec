import { proxyDatabase } from '../lib/data/proxy';
import { EventPath, listRegistrations } from '../lib/domain/events';
import { httpHandler } from '../lib/http';

const db = proxyDatabase();

export const handler = httpHandler({ path: EventPath }, ({ path }) => listRegistrations(db, path.id));
