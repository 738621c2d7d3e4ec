import { getPost, PostId } from '../lib/domain/posts';
import { httpHandler } from '../lib/http';

export const handler = httpHandler({ path: PostId }, ({ path }) => getPost(path.id));
