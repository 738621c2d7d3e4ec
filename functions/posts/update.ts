import { PostId, PostUpdate, updatePost } from '../lib/domain/posts';
import { httpHandler } from '../lib/http';

export const handler = httpHandler({ path: PostId, body: PostUpdate }, ({ path, body }) => updatePost(path.id, body));
