import { proxyDatabase } from '../lib/data/proxy';
import { getMyRegistration } from '../lib/domain/confirmations';
import { EventPath } from '../lib/domain/events';
import { httpHandler } from '../lib/http';

const db = proxyDatabase();

export const handler = httpHandler({ path: EventPath }, ({ path, user }) => getMyRegistration(db, user, path.id));
