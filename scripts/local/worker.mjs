// One Lambda "sandbox": a worker thread that imports one handler module with
// the function's own environment and runs invocations posted by the runtime
// (scripts/local/functions.ts). Plain JavaScript so it loads without a loader;
// it registers tsx itself to import the TypeScript handler.
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

const { handlerFile, functionName, memoryMb, region, accountId } = workerData;

// Loader hooks of the parent (e.g. `tsx scripts/dev.ts`) do not reach worker
// threads on Node 20: register tsx for this thread.
const { register } = await import('tsx/esm/api');
register();

function serializeError(err) {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { name: 'Error', message: String(err) };
}

let handler;
try {
  const mod = await import(pathToFileURL(handlerFile).href);
  handler = mod.handler;
  if (typeof handler !== 'function') throw new Error(`${handlerFile} does not export a "handler" function`);
  parentPort.postMessage({ type: 'ready' });
} catch (err) {
  // Lambda reports this as Runtime.ImportModuleError / init error on every invoke.
  parentPort.postMessage({ type: 'init-error', error: serializeError(err) });
}

parentPort.on('message', async (msg) => {
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
    parentPort.postMessage({ type: 'result', id, payload: payload === undefined ? 'null' : payload });
  } catch (err) {
    parentPort.postMessage({ type: 'error', id, error: serializeError(err) });
  }
});
