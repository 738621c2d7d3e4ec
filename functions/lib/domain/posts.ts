/**
 * Board posts in DynamoDB. Items carry `gsi1pk`/`gsi1sk` so `gsi1` lists all
 * posts newest first. Updates are conditional on the version the client read:
 * concurrent writers cannot silently overwrite each other.
 */
import { randomUUID } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { DataUnavailableError } from '../data/errors';
import { documentClient, isDynamoUnavailable, tableName } from '../data/dynamo';
import { forbidden, type User } from '../http/auth';
import { AppError, conflict, notFound } from '../http/errors';
import { cursorCodec, pageOf, pageQuery, type Page } from '../http/page';
import { label, pathId, text } from './text';

const title = () => label(200);
const postBody = () => text(10_000);

// Each schema is built when first used (`z.lazy`): a bundle loads this whole
// module but uses one or two schemas, and building one costs cold-start time;
// `httpHandler` builds its route's at init. `@__PURE__` lets esbuild drop a
// schema no function of the bundle group uses (docs/benchmarks.md).
export const PostInput = /* @__PURE__ */ z.lazy(() =>
  z.strictObject({
    title: title(),
    body: postBody(),
    author: label(100),
  }),
);

export const PostUpdate = /* @__PURE__ */ z.lazy(() =>
  z
    .strictObject({
      title: z.optional(title()),
      body: z.optional(postBody()),
      version: z.int().check(z.minimum(1)),
    })
    .check(z.refine((u) => u.title !== undefined || u.body !== undefined, { message: 'Give a title or a body to change' })),
);

export const PostId = /* @__PURE__ */ z.lazy(() => z.strictObject({ id: pathId() }));

export const ListQuery = /* @__PURE__ */ z.lazy(() => pageQuery());

export interface Post {
  id: string;
  title: string;
  body: string;
  /** The name the author signs with. */
  author: string;
  /** The author's user id (the token's subject): only they may edit or delete the post. */
  authorId: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

const LIST_PARTITION = 'posts';

function toPost(item: Record<string, unknown>): Post {
  return {
    id: item.id as string,
    title: item.title as string,
    body: item.body as string,
    author: item.author as string,
    authorId: typeof item.authorId === 'string' ? item.authorId : null,
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
    version: item.version as number,
  };
}

async function dynamo<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (isDynamoUnavailable(err)) throw new DataUnavailableError('DynamoDB unavailable', { cause: err });
    throw err;
  }
}

const isConditionFailure = (err: unknown) => (err as { name?: string })?.name === 'ConditionalCheckFailedException';

export async function createPost(input: z.output<typeof PostInput>, user: User): Promise<Post> {
  const now = new Date().toISOString();
  const post: Post = { id: randomUUID(), ...input, authorId: user.sub, createdAt: now, updatedAt: now, version: 1 };
  await dynamo(() =>
    documentClient.send(
      new PutCommand({
        TableName: tableName('posts'),
        Item: { ...post, gsi1pk: LIST_PARTITION, gsi1sk: `${now}#${post.id}` },
        ConditionExpression: 'attribute_not_exists(id)',
      }),
    ),
  );
  return post;
}

export async function getPost(id: string): Promise<Post> {
  const out = await dynamo(() => documentClient.send(new GetCommand({ TableName: tableName('posts'), Key: { id } })));
  if (!out.Item) throw notFound('Post not found');
  return toPost(out.Item);
}

// ---------------------------------------------------------------------------
// Cursors: opaque to clients, fully validated when read back (page.ts)
// ---------------------------------------------------------------------------

const CursorKey = /* @__PURE__ */ z.lazy(() =>
  z.strictObject({
    id: z.string().check(z.minLength(1), z.maxLength(100)),
    gsi1pk: z.literal(LIST_PARTITION),
    gsi1sk: z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#.{1,100}$/)),
  }),
);
let cursors: ReturnType<typeof cursorCodec<typeof CursorKey>> | undefined;
const cursorsOf = () => (cursors ??= cursorCodec(CursorKey));

/** The cursor that resumes after a post (its keys in the gsi1 index). */
export function encodeCursor(key: Record<string, unknown>): string {
  return cursorsOf().encode({ id: key.id as string, gsi1pk: LIST_PARTITION, gsi1sk: key.gsi1sk as string });
}

/** The DynamoDB start key of a cursor, or a 400 for anything we did not issue. */
export function decodeCursor(cursor: string): z.output<typeof CursorKey> {
  return cursorsOf().decode(cursor);
}

export async function listPosts(limit: number, cursor: string | undefined): Promise<Page<Post>> {
  const startKey = cursor === undefined ? undefined : decodeCursor(cursor);
  const out = await dynamo(() =>
    documentClient.send(
      new QueryCommand({
        TableName: tableName('posts'),
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': LIST_PARTITION },
        ScanIndexForward: false,
        // One more than asked: a cursor only when another page has items
        // (DynamoDB's LastEvaluatedKey is also set when a page ends exactly at
        // the last item, which would cost the client an empty round trip).
        Limit: limit + 1,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    ),
  );
  // A page of `limit` items, cut earlier at the byte budget; DynamoDB's
  // LastEvaluatedKey with fewer items than asked: its 1 MB read cap ended the query.
  const found = (out.Items ?? []).map(toPost);
  return pageOf(found, {
    limit,
    cursorAfter: (post) => encodeCursor({ id: post.id, gsi1sk: `${post.createdAt}#${post.id}` }),
    sourceCursor: found.length <= limit && out.LastEvaluatedKey ? encodeCursor(out.LastEvaluatedKey) : undefined,
  });
}

const notYours = (action: string) => forbidden(`Only the post's author may ${action} it`);

/** Updates a post of the caller's at the version they read: 404 gone, 403 someone else's, 409 changed since. */
export async function updatePost(id: string, update: z.output<typeof PostUpdate>, user: User): Promise<Post> {
  const names: Record<string, string> = { '#version': 'version', '#updatedAt': 'updatedAt', '#authorId': 'authorId' };
  const values: Record<string, unknown> = { ':expected': update.version, ':one': 1, ':now': new Date().toISOString(), ':author': user.sub };
  const sets = ['#updatedAt = :now', '#version = #version + :one'];
  if (update.title !== undefined) {
    names['#title'] = 'title';
    values[':title'] = update.title;
    sets.push('#title = :title');
  }
  if (update.body !== undefined) {
    names['#body'] = 'body';
    values[':body'] = update.body;
    sets.push('#body = :body');
  }
  try {
    const out = await dynamo(() =>
      documentClient.send(
        new UpdateCommand({
          TableName: tableName('posts'),
          Key: { id },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: 'attribute_exists(id) AND #authorId = :author AND #version = :expected',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return toPost(out.Attributes ?? {});
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    // Tell "gone" from "not yours" from "changed since you read it".
    const current = await dynamo(() => documentClient.send(new GetCommand({ TableName: tableName('posts'), Key: { id }, ConsistentRead: true })));
    if (!current.Item) throw notFound('Post not found');
    if (current.Item.authorId !== user.sub) throw notYours('edit');
    throw conflict('version_conflict', `The post was changed since version ${update.version} (now version ${String(current.Item.version)}); reload it and retry`);
  }
}

/** Deletes a post of the caller's: 404 when gone, 403 when someone else's. */
export async function deletePost(id: string, user: User): Promise<void> {
  try {
    await dynamo(() =>
      documentClient.send(
        new DeleteCommand({
          TableName: tableName('posts'),
          Key: { id },
          ConditionExpression: 'attribute_exists(id) AND authorId = :author',
          ExpressionAttributeValues: { ':author': user.sub },
        }),
      ),
    );
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    const current = await dynamo(() => documentClient.send(new GetCommand({ TableName: tableName('posts'), Key: { id }, ConsistentRead: true })));
    if (!current.Item) throw notFound('Post not found');
    throw notYours('delete');
  }
}
