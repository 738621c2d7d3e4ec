import { deletePost, PostId } from '../lib/domain/posts';
import { httpHandler, reply } from '../lib/http';

export const handler = httpHandler({ path: PostId }, async ({ path }) => {
  await deletePost(path.id);
  return reply(204);
});
