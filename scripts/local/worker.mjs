// One Lambda "sandbox": a child process that imports one handler module with
// the function's own environment and runs invocations sent by the runtime
// (scripts/local/functions.ts). Plain JavaScript so it loads without a loader;
// it registers tsx itself to import the TypeScript handler.
import { pathToFileURL } from 'node:url';

const { handlerFile, functionName, memoryMb, region, accountId } = JSON.parse(process.argv[2]);

// The runtime went away (even SIGKILLed): its IPC channel closes, and so do we.
process.on('disconnect', () => process.exit(0));

const { register } = await import('tsx/esm/api');
register();

function serializeError(err) {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { name: 'Error', message: String(err) };
}

const send = (message) => {
  if (process.connected) process.send(message);
};

let handler;
try {
  const mod = await import(pathToFileURL(handlerFile).href);
  handler = mod.handler;
  if (typeof handler !== 'function') throw new Error(`${handlerFile} does not export a "handler" function`);
  send({ type: 'ready' });
} catch (err) {
  // Lambda reports this as Runtime.ImportModuleError / init error on every invoke.
  send({ type: 'init-error', error: serializeError(err) });
}

process.on('message', async (msg) => {
  if (msg.type !== 'invoke') return;
  const { id, event, deadline, awsRequestId } = msg;
  const context = {
    awsRequestId,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${process.pid}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const result = await handler(event, context);
    // The Lambda runtime returns the JSON serialisation of the result
    // (`undefined` becomes null); a result that cannot be serialised is an error.
    const payload = result === undefined ? 'null' : JSON.stringify(result);
    send({ type: 'result', id, payload: payload === undefined ? 'null' : payload });
  } catch (err) {
    send({ type: 'error', id, error: serializeError(err) });
  }
});
