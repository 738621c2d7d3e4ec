/**
 * Runs functions as Lambda does, one child process per function "sandbox":
 * the handler module is imported once per sandbox (init) with the function's
 * own environment only (nothing of this process's), a heap capped at its
 * memory size, and its own TLS trust store (NODE_EXTRA_CA_CERTS is read at
 * process start, which is why a sandbox is a process and not a thread);
 * invocations get a context whose getRemainingTimeInMillis counts down the
 * function's timeout. A sandbox whose invocation times out or crashes is
 * retired and killed (as Lambda resets it); the next invocation starts a fresh
 * one. A sandbox exits by itself when this process goes (its IPC channel closes).
 *
 * Unlike Lambda, one sandbox serves concurrent invocations of its function
 * (Lambda would start one sandbox per concurrent request): module state such
 * as a pg pool is shared by the concurrent requests of one function.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';

export interface LocalFunction {
  /** Registry name; the Lambda name is `functionName`. */
  readonly name: string;
  readonly functionName: string;
  /** Absolute path of the handler module. */
  readonly handlerFile: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** The function's environment variables (what infra sets in AWS, local values). */
  readonly environment: Record<string, string>;
}

export type InvokeOutcome =
  | { readonly kind: 'result'; readonly payload: string; readonly durationMs: number }
  | { readonly kind: 'error'; readonly error: { name: string; message: string; stack?: string }; readonly durationMs: number }
  | { readonly kind: 'timeout'; readonly durationMs: number };

export interface FunctionHostOptions {
  readonly region: string;
  readonly accountId: string;
  /** Variables every sandbox gets before the function's own (e.g. PATH). */
  readonly baseEnvironment?: Record<string, string>;
  /** Receives what functions write to stdout/stderr. @default - written to this process's stdout/stderr */
  readonly onLog?: (fn: LocalFunction, text: string) => void;
  /** Extra Node flags for every sandbox (e.g. `--cpu-prof` for `npm run bench:load`). @default none */
  readonly execArgv?: readonly string[];
}

interface Pending {
  resolve: (outcome: InvokeOutcome) => void;
  timer: NodeJS.Timeout;
  started: number;
}

const SANDBOX_FILE = new URL('./worker.mjs', import.meta.url);
/** Lambda's limit on the init phase (importing the handler module). */
const INIT_TIMEOUT_MS = 10_000;

class Sandbox {
  readonly child: ChildProcess;
  readonly ready: Promise<{ ok: true } | { ok: false; error: { name: string; message: string; stack?: string } }>;
  readonly pending = new Map<string, Pending>();
  retired = false;
  private exited = false;

  constructor(
    readonly fn: LocalFunction,
    options: FunctionHostOptions,
    private readonly onGone: (s: Sandbox) => void,
  ) {
    this.child = fork(SANDBOX_FILE, [JSON.stringify({ handlerFile: fn.handlerFile, functionName: fn.functionName, memoryMb: fn.memoryMb, region: options.region, accountId: options.accountId })], {
      execPath: process.execPath,
      execArgv: [`--max-old-space-size=${Math.max(64, fn.memoryMb)}`, ...(options.execArgv ?? [])],
      env: {
        ...options.baseEnvironment,
        AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.functionName}`,
        ...fn.environment,
      },
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const forward = options.onLog
      ? (chunk: Buffer) => options.onLog!(fn, chunk.toString('utf8'))
      : null;
    this.child.stdout!.on('data', forward ?? ((chunk: Buffer) => process.stdout.write(chunk)));
    this.child.stderr!.on('data', forward ?? ((chunk: Buffer) => process.stderr.write(chunk)));
    this.ready = new Promise((resolve) => {
      const onMessage = (msg: { type: string; error?: { name: string; message: string } }) => {
        if (msg.type === 'ready') resolve({ ok: true });
        else if (msg.type === 'init-error') resolve({ ok: false, error: msg.error! });
        else return;
        this.child.off('message', onMessage);
      };
      this.child.on('message', onMessage);
      this.child.once('exit', () => resolve({ ok: false, error: { name: 'Runtime.ExitError', message: 'sandbox exited during init' } }));
    });
    this.child.on('message', (msg: { type: string; id?: string; payload?: string; error?: { name: string; message: string } }) => {
      if ((msg.type !== 'result' && msg.type !== 'error') || !msg.id) return;
      const p = this.pending.get(msg.id);
      if (!p) return; // already timed out
      this.settle(msg.id, msg.type === 'result' ? { kind: 'result', payload: msg.payload!, durationMs: Date.now() - p.started } : { kind: 'error', error: msg.error!, durationMs: Date.now() - p.started });
    });
    this.child.on('error', (err) => this.crash({ name: 'Runtime.ExitError', message: err.message, stack: err.stack }));
    this.child.once('exit', (code, signal) => {
      this.exited = true;
      this.crash({ name: 'Runtime.ExitError', message: signal ? `sandbox killed by ${signal}` : `sandbox exited with code ${code}` });
    });
  }

  private settle(id: string, outcome: InvokeOutcome): void {
    const p = this.pending.get(id);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(id);
    p.resolve(outcome);
    if (this.retired && this.pending.size === 0) void this.terminate();
  }

  private crash(error: { name: string; message: string; stack?: string }): void {
    this.retire();
    for (const [id, p] of this.pending) this.settle(id, { kind: 'error', error, durationMs: Date.now() - p.started });
    if (!this.exited) void this.terminate();
  }

  retire(): void {
    if (this.retired) return;
    this.retired = true;
    this.onGone(this);
    if (this.pending.size === 0) void this.terminate();
  }

  /**
   * Kills the sandbox (as Lambda stops one) and resolves once it is gone.
   * `graceful`: close its IPC channel first, so it exits by itself (and writes
   * what `--cpu-prof` collected), with SIGKILL after a second if it is stuck.
   */
  async terminate(graceful = false): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (graceful && this.child.connected) {
      this.child.disconnect();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 1000);
      await gone;
      clearTimeout(timer);
      return;
    }
    this.child.kill('SIGKILL');
    await gone;
  }

  invoke(event: unknown, started: number): Promise<InvokeOutcome> {
    const id = randomUUID();
    return new Promise<InvokeOutcome>((resolve) => {
      // Init (the handler module's import) has its own limit, as in Lambda;
      // the function's timeout counts from the start of the invocation proper.
      const initTimer = setTimeout(() => {
        this.settle(id, { kind: 'error', error: { name: 'Runtime.InitTimeout', message: `init took over ${INIT_TIMEOUT_MS} ms` }, durationMs: Date.now() - started });
        this.retire();
      }, INIT_TIMEOUT_MS);
      const pending: Pending = { resolve, timer: initTimer, started };
      this.pending.set(id, pending);
      void this.ready.then((state) => {
        if (!this.pending.has(id)) return;
        clearTimeout(initTimer);
        if (!state.ok) {
          this.settle(id, { kind: 'error', error: state.error, durationMs: Date.now() - started });
          this.retire();
          return;
        }
        const deadline = Date.now() + this.fn.timeoutSeconds * 1000;
        pending.timer = setTimeout(() => {
          // Lambda stops the sandbox at the deadline; this one stops taking work
          // and ends once its other invocations have finished or timed out.
          this.settle(id, { kind: 'timeout', durationMs: Date.now() - started });
          this.retire();
        }, this.fn.timeoutSeconds * 1000);
        this.child.send({ type: 'invoke', id, event, deadline, awsRequestId: id });
      });
    });
  }
}

export class FunctionHost {
  private readonly current = new Map<string, Sandbox>();
  private readonly all = new Set<Sandbox>();
  private closed = false;

  constructor(private readonly options: FunctionHostOptions) {}

  private sandbox(fn: LocalFunction): Sandbox {
    let s = this.current.get(fn.name);
    if (!s) {
      s = new Sandbox(fn, this.options, (gone) => {
        if (this.current.get(fn.name) === gone) this.current.delete(fn.name);
      });
      const made = s;
      this.all.add(made);
      made.child.once('exit', () => this.all.delete(made));
      this.current.set(fn.name, made);
    }
    return s;
  }

  /** Starts a function's sandbox ahead of its first request (a pre-warmed cold start). */
  async warm(fn: LocalFunction): Promise<void> {
    if (this.closed) return;
    await this.sandbox(fn).ready;
  }

  /** Invokes a function with an event; never rejects. */
  invoke(fn: LocalFunction, event: unknown): Promise<InvokeOutcome> {
    const started = Date.now();
    if (this.closed) {
      return Promise.resolve({ kind: 'error', error: { name: 'Runtime.ExitError', message: 'runtime is stopping' }, durationMs: 0 });
    }
    return this.sandbox(fn).invoke(event, started);
  }

  /** Retires a function's current sandbox: the next invocation starts a fresh one. */
  retire(name: string): void {
    this.current.get(name)?.retire();
  }

  /** Retires every current sandbox (e.g. handler code changed): in-flight work finishes, new requests get fresh ones. */
  retireAll(): void {
    for (const s of [...this.current.values()]) s.retire();
  }

  /** Sandboxes alive (for tests and diagnostics). */
  sandboxes(): number {
    return this.all.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.all].map((s) => s.terminate(true)));
    this.all.clear();
    this.current.clear();
  }
}
