import { createPost, PostInput } from '../lib/domain/posts';
import { httpHandler, reply } from '../lib/http';

export const handler = httpHandler({ route: 'posts-create', body: PostInput }, async ({ body }) => reply(201, await createPost(body)));
