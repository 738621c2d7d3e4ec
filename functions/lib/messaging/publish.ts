/**
 * Publishing to the SNS topics a function declares in `data.publishes`: one
 * SNS client per container, the topic's ARN from `TOPIC_<NAME>_ARN`
 * (infra/function-contract.ts). Locally the SDK's standard
 * `AWS_ENDPOINT_URL_SNS` points it at the local SNS endpoint of
 * `npm run dev`, which checks the same grants: the code has no local branch.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { topicEnvVar } from '../../messaging';
import { DataConfigError, DataUnavailableError } from '../data/errors';

/** SNS's limit for a message and its attributes together (Publish API reference: 262,144 bytes). */
export const MAX_MESSAGE_BYTES = 262_144;

export interface OutgoingMessage {
  /** Logical topic name (functions/messaging.ts). */
  readonly topic: string;
  /** The event type, also sent as the `type` message attribute. */
  readonly type: string;
  /** The JSON body. */
  readonly body: Record<string, unknown>;
}

let client: SNSClient | undefined;

/** The container's SNS client: two attempts, a short connect timeout (publishers are HTTP routes). */
function snsClient(): SNSClient {
  client ??= new SNSClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 1000, requestTimeout: 3000 } });
  return client;
}

export function topicArn(topic: string, env: NodeJS.ProcessEnv = process.env): string {
  const arn = env[topicEnvVar(topic)];
  if (!arn) throw new DataConfigError(`${topicEnvVar(topic)} is not set: add "${topic}" to this function's data.publishes in functions/registry.ts`);
  return arn;
}

/** Publishes one message; returns SNS's message id. Network failures and throttling are DataUnavailableError. */
export async function publish(message: OutgoingMessage): Promise<string> {
  const input = {
    TopicArn: topicArn(message.topic),
    Message: JSON.stringify(message.body),
    MessageAttributes: { type: { DataType: 'String', StringValue: message.type } },
  };
  try {
    const out = await snsClient().send(new PublishCommand(input));
    return out.MessageId ?? '';
  } catch (err) {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    if (status === undefined || status >= 500 || e.name === 'ThrottledException' || e.name === 'Throttling') {
      throw new DataUnavailableError(`SNS unavailable (${e.name ?? 'network error'})`, { cause: err });
    }
    throw err;
  }
}
