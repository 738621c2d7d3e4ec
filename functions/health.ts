import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DataUnavailableError } from './lib/data/errors';
import { documentClient, tableName } from './lib/data/dynamo';
import { proxyDatabase } from './lib/data/proxy';
import { httpHandler } from './lib/http';

const db = proxyDatabase({ readTimeoutMs: 1500, connectionTimeoutMillis: 1500 });

/** Checks both databases with one cheap read each; either failing is a 503 `unavailable`. */
export const handler = httpHandler({}, async () => {
  const checks = await Promise.allSettled([
    documentClient.send(new GetCommand({ TableName: tableName('posts'), Key: { id: '__health__' } })),
    db.query('SELECT 1 AS ok'),
  ]);
  const failed = checks.find((c): c is PromiseRejectedResult => c.status === 'rejected');
  if (failed) throw new DataUnavailableError('health check failed', { cause: failed.reason });
  return { status: 'ok' };
});
