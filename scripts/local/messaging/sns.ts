/**
 * A local SNS endpoint for the topics of functions/messaging.ts. Functions
 * publish with the real `@aws-sdk/client-sns` through AWS's standard
 * `AWS_ENDPOINT_URL_SNS` (the Query protocol: a form-encoded POST, an XML
 * answer), and it refuses what SNS refuses, with SNS's codes and texts:
 *
 * - a caller whose grants (LocalIam, from infra/function-contract.ts) lack
 *   `sns:Publish` on the topic: 403 `AuthorizationError`;
 * - an unknown topic: 404 `NotFound` ("Topic does not exist");
 * - an empty message, or a message and its attributes over 262,144 bytes:
 *   400 `InvalidParameter` ("Invalid parameter: Message too long");
 * - more than 10 message attributes, or an attribute without a valid type:
 *   400 `ParameterValueInvalid` (InvalidParameterValueException).
 *
 * An accepted message is stored in every subscribed queue (raw message
 * delivery, as the stack subscribes them) before the answer, as SNS answers
 * once it has the message durably. Signatures are not verified (the access
 * key names the caller); KMS is not emulated. Only Publish is served.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { accessKeyOf, type LocalIam } from '../iam';
import type { LocalQueue, MessageAttribute } from './queue';

/** Publish API reference: "at most 256 KB in size (262,144 bytes, not 262,144 characters)", body and attributes together. */
export const MAX_MESSAGE_BYTES = 262_144;
const MAX_ATTRIBUTES = 10;
/** The SenderId SQS records for messages SNS delivers (not the publisher's). */
export const SNS_SENDER_ID = 'AIDAIT2UOQQY3AUEKVGXU';
const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

export interface LocalTopic {
  readonly name: string;
  readonly arn: string;
  readonly subscriptions: readonly LocalQueue[];
}

export class SnsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
  }
}

export interface PublishInput {
  readonly topicArn: string;
  readonly message: string;
  readonly attributes: Readonly<Record<string, MessageAttribute>>;
}

export interface SnsEndpoint {
  /** For AWS_ENDPOINT_URL_SNS. */
  readonly url: string;
  /** Publish as the holder of `accessKeyId` (what the HTTP endpoint does per request). */
  publish(accessKeyId: string | undefined, input: PublishInput): Promise<string>;
  close(): Promise<void>;
}

const escapeXml = (s: string) => s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

/** `MessageAttributes.entry.N.Name` / `.Value.DataType` / `.Value.StringValue` (the Query protocol's map encoding). */
function attributesOf(form: URLSearchParams): Record<string, MessageAttribute> {
  const out: Record<string, MessageAttribute> = {};
  for (let n = 1; form.has(`MessageAttributes.entry.${n}.Name`); n++) {
    const name = form.get(`MessageAttributes.entry.${n}.Name`)!;
    const value = form.get(`MessageAttributes.entry.${n}.Value.StringValue`);
    out[name] = { DataType: form.get(`MessageAttributes.entry.${n}.Value.DataType`) ?? '', ...(value !== null ? { StringValue: value } : {}) };
  }
  return out;
}

function sizeOf(input: PublishInput): number {
  let bytes = Buffer.byteLength(input.message);
  for (const [name, a] of Object.entries(input.attributes)) bytes += Buffer.byteLength(name) + Buffer.byteLength(a.DataType) + Buffer.byteLength(a.StringValue ?? '');
  return bytes;
}

export async function startSnsEndpoint(topics: readonly LocalTopic[], iam: LocalIam, log: (m: string) => void = () => undefined): Promise<SnsEndpoint> {
  const byArn = new Map(topics.map((t) => [t.arn, t]));

  const publish = async (accessKeyId: string | undefined, input: PublishInput): Promise<string> => {
    const topic = byArn.get(input.topicArn);
    const principal = iam.principal(accessKeyId ?? '')?.name ?? 'unknown';
    if (!accessKeyId || !iam.allows(accessKeyId, 'sns:Publish', input.topicArn)) {
      // IAM is evaluated before the resource is looked up: an unknown topic without the grant is a 403 too.
      log(`SNS refused a Publish by ${principal}: no sns:Publish grant on ${input.topicArn}`);
      throw new SnsError(403, 'AuthorizationError', `User: arn:aws:sts::000000000000:assumed-role/${principal}/${principal} is not authorized to perform: SNS:Publish on resource: ${input.topicArn} because no identity-based policy allows the SNS:Publish action`);
    }
    if (!topic) throw new SnsError(404, 'NotFound', 'Topic does not exist');
    if (input.message.length === 0) throw new SnsError(400, 'InvalidParameter', 'Invalid parameter: Empty message');
    const attributes = Object.entries(input.attributes);
    if (attributes.length > MAX_ATTRIBUTES) {
      throw new SnsError(400, 'ParameterValueInvalid', `Number of message attributes [${attributes.length}] exceeds the allowed maximum [${MAX_ATTRIBUTES}].`);
    }
    for (const [name, a] of attributes) {
      if (!/^(String|Number|Binary|String\.Array)(\..+)?$/.test(a.DataType)) {
        throw new SnsError(400, 'ParameterValueInvalid', `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`);
      }
    }
    const bytes = sizeOf(input);
    if (bytes > MAX_MESSAGE_BYTES) {
      log(`SNS refused a Publish by ${principal}: ${bytes} bytes, over ${MAX_MESSAGE_BYTES}`);
      throw new SnsError(400, 'InvalidParameter', 'Invalid parameter: Message too long');
    }
    const messageId = randomUUID();
    // Raw message delivery: the queue gets the message itself and its attributes.
    await Promise.all(topic.subscriptions.map((q) => q.send(input.message, input.attributes, SNS_SENDER_ID)));
    log(`SNS ${topic.name}: message ${messageId} from ${principal} delivered to ${topic.subscriptions.map((q) => q.name).join(', ') || 'no subscriber'}`);
    return messageId;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const requestId = randomUUID();
      const answer = (status: number, xml: string) => {
        res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
        res.end(xml);
      };
      const action = form.get('Action');
      const run =
        action === 'Publish'
          ? publish(accessKeyOf(req.headers.authorization), { topicArn: form.get('TopicArn') ?? '', message: form.get('Message') ?? '', attributes: attributesOf(form) })
          : Promise.reject(new SnsError(400, 'InvalidAction', `The action ${action ?? '(none)'} is not valid for this web service (the local SNS serves Publish only).`));
      run.then(
        (messageId) =>
          answer(200, `<PublishResponse xmlns="${XMLNS}"><PublishResult><MessageId>${messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`),
        (err: Error) => {
          const e = err instanceof SnsError ? err : new SnsError(500, 'InternalError', 'Internal Error', 'Receiver');
          answer(e.status, `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${e.type}</Type><Code>${e.code}</Code><Message>${escapeXml(e.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`);
        },
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    publish,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
