import { deletePost, PostId } from '../lib/domain/posts';
import { httpHandler, reply } from '../lib/http';

export const handler = httpHandler({ path: PostId }, async ({ path, user }) => {
  await deletePost(path.id, user);
  return reply(204);
});
