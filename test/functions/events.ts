/**
 * Builders of real API Gateway HTTP API payload 2.0 events and Lambda contexts,
 * shaped as API Gateway and the Lambda runtime deliver them.
 */
import { setLogSink, type LogRecord } from '../../functions/lib/log';

export { httpEvent, lambdaContext, type RequestInit as EventInit } from '../../functions/lib/http/events';

/** Captures structured log records for the duration of a test file. */
export function captureLogs(): { records: LogRecord[]; restore: () => void } {
  const records: LogRecord[] = [];
  const previous = setLogSink((r) => records.push(r));
  return { records, restore: () => setLogSink(previous) };
}

export function parseBody(result: { body: string; isBase64Encoded: boolean }): unknown {
  const text = result.isBase64Encoded ? Buffer.from(result.body, 'base64').toString() : result.body;
  return text === '' ? undefined : JSON.parse(text);
}
