import { createPost, PostInput } from '../lib/domain/posts';
import { httpHandler, reply } from '../lib/http';

export const handler = httpHandler({ body: PostInput }, async ({ body, user }) => reply(201, await createPost(body, user)));
