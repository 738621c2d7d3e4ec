import { getPost, PostId } from '../lib/domain/posts';
import { httpHandler } from '../lib/http';

export const handler = httpHandler({ route: 'posts-get', path: PostId }, ({ path }) => getPost(path.id));
