import { ListQuery, listPosts } from '../lib/domain/posts';
import { httpHandler } from '../lib/http';

export const handler = httpHandler({ query: ListQuery }, ({ query }) => listPosts(query.limit, query.cursor));
