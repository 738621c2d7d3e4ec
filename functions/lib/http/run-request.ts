/**
 * middy's request runner with one change: the handler's AbortSignal is created
 * only when the handler reads it. `@middy/core` builds an AbortController for
 * every request (an EventTarget: ~3 µs plus garbage, the largest single cost of
 * a GET through our chain, measured), and most handlers never look at it.
 *
 * Adapted from `runRequest` in @middy/core 7.9.2 (index.js), under its MIT licence:
 *
 *   Copyright 2017 - 2026 will Farrell, Luciano Mammino, and Middy contributors.
 *   Permission is hereby granted, free of charge, to any person obtaining a copy
 *   of this software and associated documentation files (the "Software"), to deal
 *   in the Software without restriction, including without limitation the rights
 *   to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
 *   copies of the Software, and to permit persons to whom the Software is
 *   furnished to do so, subject to the following conditions: The above copyright
 *   notice and this permission notice shall be included in all copies or
 *   substantial portions of the Software. THE SOFTWARE IS PROVIDED "AS IS",
 *   WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO
 *   THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
 *   NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE
 *   FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT,
 *   TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR
 *   THE USE OR OTHER DEALINGS IN THE SOFTWARE.
 *
 * Re-check this file against @middy/core's runRequest when upgrading middy.
 *
 * Apart from the lazy signal everything is the same: plugin hooks, early responses, the early
 * timeout (`timeoutEarlyResponse` after aborting the signal), the onError
 * order and `cause`/`originalError` when an onError middleware throws. middy
 * hands `runRequest` to its execution mode; ours passes this one instead
 * (functions/lib/http/handler.ts).
 */
import { clearTimeout, setTimeout } from 'node:timers';

type Middleware = ((request: MiddyRunRequest) => unknown) & { readonly name: string };

export interface MiddyRunRequest {
  event: unknown;
  context: { getRemainingTimeInMillis?: () => number; lambdaContext?: { getRemainingTimeInMillis?: () => number } };
  response: unknown;
  error: unknown;
  earlyResponse?: unknown;
  internal: Record<string, unknown>;
}

export interface MiddyPlugin {
  readonly timeoutEarly: boolean;
  readonly timeoutEarlyInMillis: number;
  readonly timeoutEarlyResponse: () => unknown;
  readonly beforeHandler: () => void;
  readonly afterHandler: () => void;
  readonly beforeMiddleware?: (name: string) => void;
  readonly afterMiddleware?: (name: string) => void;
}

/**
 * `{ signal }` for the handler; its AbortController is made on first read
 * (already aborted if the request timed out before). A class, so the getter
 * lives on the prototype: creating one per request is a plain allocation.
 */
class LazyAbort {
  private controller: AbortController | undefined;
  private aborted = false;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort();
    }
    return this.controller.signal;
  }

  abort(): void {
    this.aborted = true;
    this.controller?.abort();
  }
}

/**
 * Runs one phase's middlewares in order; stops at an early response. Returns
 * a promise only when a middleware did (most of ours are synchronous: no
 * extra microtask per phase).
 */
function runMiddlewares(request: MiddyRunRequest, middlewares: readonly Middleware[], plugin: MiddyPlugin, from = 0): Promise<void> | undefined {
  const beforeHook = plugin.beforeMiddleware;
  const afterHook = plugin.afterMiddleware;
  for (let i = from, len = middlewares.length; i < len; i++) {
    const next = middlewares[i]!;
    if (beforeHook) beforeHook(next.name);
    const res = next(request);
    if (res instanceof Promise) {
      return res.then((value) => {
        if (afterHook) afterHook(next.name);
        if (settle(request, value)) return undefined;
        return runMiddlewares(request, middlewares, plugin, i + 1);
      });
    }
    if (afterHook) afterHook(next.name);
    if (settle(request, res)) return undefined;
  }
  return undefined;
}

/** Records a middleware's return value as the early response; true when there is one. */
function settle(request: MiddyRunRequest, res: unknown): boolean {
  if (typeof res !== 'undefined') request.earlyResponse = res;
  if ('earlyResponse' in request) {
    request.response = request.earlyResponse;
    return true;
  }
  return false;
}

export async function runRequestLazySignal(
  request: MiddyRunRequest,
  beforeMiddlewares: readonly Middleware[],
  lambdaHandler: (event: unknown, context: unknown, opts: { readonly signal: AbortSignal }) => unknown,
  afterMiddlewares: readonly Middleware[],
  onErrorMiddlewares: readonly Middleware[],
  plugin: MiddyPlugin,
): Promise<unknown> {
  let timeoutID: ReturnType<typeof setTimeout> | undefined;
  const getRemainingTimeInMillis = request.context.getRemainingTimeInMillis || request.context.lambdaContext?.getRemainingTimeInMillis;
  const timeoutEarly = plugin.timeoutEarly && getRemainingTimeInMillis;

  try {
    const before = runMiddlewares(request, beforeMiddlewares, plugin);
    if (before) await before;
    if (!('earlyResponse' in request)) {
      plugin.beforeHandler();
      const abort = new LazyAbort();
      const handlerResult = lambdaHandler(request.event, request.context, abort);
      if (handlerResult instanceof Promise) {
        if (timeoutEarly) {
          let timeoutResolve!: () => void;
          const timeoutPromise = new Promise((resolve, reject) => {
            timeoutResolve = () => {
              abort.abort();
              try {
                resolve(plugin.timeoutEarlyResponse());
              } catch (err) {
                reject(err);
              }
            };
          });
          timeoutID = setTimeout(timeoutResolve, Math.max(0, getRemainingTimeInMillis() - plugin.timeoutEarlyInMillis));
          request.response = await Promise.race([handlerResult, timeoutPromise]);
        } else {
          request.response = await handlerResult;
        }
      } else {
        request.response = handlerResult;
      }
      if (timeoutID) clearTimeout(timeoutID);
      plugin.afterHandler();
      const after = runMiddlewares(request, afterMiddlewares, plugin);
      if (after) await after;
    }
  } catch (err) {
    if (timeoutID) clearTimeout(timeoutID);
    request.response = undefined;
    delete request.earlyResponse;
    request.error = err;
    try {
      const onError = runMiddlewares(request, onErrorMiddlewares, plugin);
      if (onError) await onError;
    } catch (onErrorErr) {
      if (onErrorErr !== request.error && typeof onErrorErr === 'object' && onErrorErr !== null) {
        (onErrorErr as { originalError?: unknown }).originalError = request.error;
        (onErrorErr as { cause?: unknown }).cause ??= request.error;
      }
      request.error = onErrorErr;
      throw request.error;
    }
    if (typeof request.response === 'undefined') throw request.error;
  }
  return request.response;
}
