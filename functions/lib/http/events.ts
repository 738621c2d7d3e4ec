/**
 * Builders of real API Gateway HTTP API payload 2.0 events and Lambda
 * contexts, shaped as API Gateway and the Lambda runtime deliver them: for
 * tests of handlers (functions/testing.ts re-exports them).
 */
import { randomUUID } from 'node:crypto';
import type { HttpEvent, LambdaContext } from './types';

export interface RequestInit {
  readonly routeKey?: string;
  readonly headers?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly pathParameters?: Record<string, string>;
  /** A raw body (a Buffer is sent base64-encoded, as API Gateway does for binary). */
  readonly body?: string | Buffer;
  /** A JSON body (sets content-type: application/json). */
  readonly json?: unknown;
  readonly cookies?: string[];
}

/** A payload 2.0 event for `method rawPath`, shaped as API Gateway HTTP APIs send it. */
export function httpEvent(method: string, rawPath: string, init: RequestInit = {}): HttpEvent {
  const headers: Record<string, string> = {
    accept: '*/*',
    host: 'abc123.execute-api.eu-west-1.amazonaws.com',
    'user-agent': 'jest',
    'x-forwarded-for': '203.0.113.7',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
  };
  for (const [k, v] of Object.entries(init.headers ?? {})) headers[k.toLowerCase()] = v;
  let body: string | undefined;
  let isBase64Encoded = false;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    headers['content-type'] ??= 'application/json';
  } else if (Buffer.isBuffer(init.body)) {
    body = init.body.toString('base64');
    isBase64Encoded = true;
  } else if (init.body !== undefined) {
    body = init.body;
  }
  if (body !== undefined) headers['content-length'] = String(isBase64Encoded ? Buffer.from(body, 'base64').length : Buffer.byteLength(body));
  const rawQueryString = new URLSearchParams(init.query ?? {}).toString();
  const now = Date.now();
  const event: HttpEvent = {
    version: '2.0',
    routeKey: init.routeKey ?? `${method} ${rawPath}`,
    rawPath,
    rawQueryString,
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'jest' },
      requestId: `${randomUUID().slice(0, 8)}=`,
      routeKey: init.routeKey ?? `${method} ${rawPath}`,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    isBase64Encoded,
  };
  if (init.cookies) event.cookies = init.cookies;
  if (init.query && Object.keys(init.query).length > 0) event.queryStringParameters = { ...init.query };
  if (init.pathParameters) event.pathParameters = { ...init.pathParameters };
  if (body !== undefined) event.body = body;
  return event;
}

/** A Lambda context whose remaining time counts down from `timeoutMs`. */
export function lambdaContext(timeoutMs = 10_000, functionName = 'sps-test-fn'): LambdaContext {
  const deadline = Date.now() + timeoutMs;
  return {
    awsRequestId: randomUUID(),
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/01/01/[$LATEST]0123456789abcdef',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}
