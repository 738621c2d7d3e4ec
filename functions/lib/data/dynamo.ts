/**
 * DynamoDB DocumentClient, created once per container at module init. Locally,
 * the SDK's standard AWS_ENDPOINT_URL_DYNAMODB points it at dynalite: this
 * code has no local branch.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tableEnvVar, type TableName } from '../../tables';
import { DataConfigError } from './errors';

function createDocumentClient(): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 2000, requestTimeout: 5000 },
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

/** The container's DocumentClient. */
export const documentClient: DynamoDBDocumentClient = createDocumentClient();

/** Physical name of a table, from `TABLE_<NAME>` (set by infra and the local runtime). */
export function tableName(name: TableName): string {
  const value = process.env[tableEnvVar(name)];
  if (!value) throw new DataConfigError(`environment variable ${tableEnvVar(name)} is not set`);
  return value;
}

/** True for DynamoDB failures that mean "try again shortly" (503). */
export function isDynamoUnavailable(err: unknown): boolean {
  const e = err as { name?: unknown; $metadata?: { httpStatusCode?: number }; code?: unknown };
  if (typeof e?.name !== 'string') return false;
  if (['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'InternalServerError', 'ServiceUnavailable', 'TimeoutError'].includes(e.name)) return true;
  if (typeof e.code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(e.code)) return true;
  return (e.$metadata?.httpStatusCode ?? 0) >= 500;
}
