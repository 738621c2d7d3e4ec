import { proxyDatabase } from '../lib/data/proxy';
import { listMyRegistrations, RegistrationsQuery } from '../lib/domain/events';
import { httpHandler } from '../lib/http';

const db = proxyDatabase();

export const handler = httpHandler({ query: RegistrationsQuery }, ({ query, user }) => listMyRegistrations(db, user, query.limit, query.cursor));
