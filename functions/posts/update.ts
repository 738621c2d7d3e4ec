import { PostId, PostUpdate, updatePost } from '../lib/domain/posts';
import { httpHandler } from '../lib/http';

export const handler = httpHandler({ path: PostId, body: PostUpdate }, ({ path, body, user }) => updatePost(path.id, body, user));
