import { dataApiDatabase } from '../lib/data/data-api';
import { createEvent, EventInput } from '../lib/domain/events';
import { httpHandler, reply } from '../lib/http';

const db = dataApiDatabase();

export const handler = httpHandler({ body: EventInput }, async ({ body }) => reply(201, await createEvent(db, body)));
