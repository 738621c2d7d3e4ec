import { dataApiDatabase } from '../lib/data/data-api';
import { EventPath, getEvent } from '../lib/domain/events';
import { httpHandler } from '../lib/http';

const db = dataApiDatabase();

export const handler = httpHandler({ path: EventPath }, ({ path }) => getEvent(db, path.id));
