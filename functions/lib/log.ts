/**
 * Structured logs: one JSON object per line on stdout (CloudWatch Logs keeps
 * each line as one event; Logs Insights parses the fields). Never log request
 * or response bodies, headers, tokens or secrets.
 */
export type LogRecord = Record<string, unknown> & { level: 'info' | 'warn' | 'error'; msg: string };
export type LogSink = (record: LogRecord) => void;

const stdoutSink: LogSink = (record) => {
  process.stdout.write(`${JSON.stringify(record)}\n`);
};

let sink: LogSink = stdoutSink;

/** Replaces where log records go (tests capture them); returns the previous sink. */
export function setLogSink(next: LogSink | undefined): LogSink {
  const previous = sink;
  sink = next ?? stdoutSink;
  return previous;
}

export function log(record: LogRecord): void {
  try {
    record.time ??= new Date().toISOString();
    sink(record);
  } catch {
    // Logging must never break a request.
  }
}

/** What we log about an error: its kind and origin, never request data. */
export function describeError(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return {
      name: err.name,
      message: err.message.slice(0, 300),
      ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
      stack: err.stack?.split('\n').slice(1, 6).map((l) => l.trim()),
    };
  }
  return { name: typeof err, message: 'non-Error value thrown' };
}
