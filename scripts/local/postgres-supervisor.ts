/**
 * Keeps the local runtime's Postgres up. Postgres is a separate process: if it
 * dies while `npm run dev` runs (killed, out of memory, a crash), say so and
 * start it again on the same port and data directory, where the RDS Proxy
 * emulator and the Data API endpoint reconnect by themselves. A postmaster
 * that keeps dying (more than 3 times a minute) is left down, and SQL routes
 * answer 503 until the runtime restarts.
 *
 * `stop()`/`start()` are the fault hooks of the reliability tests: a stop the
 * runtime asked for is never "restarted".
 */
import { startPostgres, type LocalPostgres, type LocalPostgresOptions } from './postgres';

const MAX_RESTARTS_PER_MINUTE = 3;
const RESTART_TRIES = 5;

export interface SupervisedPostgres {
  /** The Postgres running now (a new object after each restart, same port). */
  readonly current: LocalPostgres;
  /** Stops it on purpose (a fault test): it stays down until `start()`. */
  stop(): Promise<void>;
  /** Starts it again after `stop()`, on the same port. */
  start(): Promise<void>;
  /** Stops supervising and stops Postgres (runtime shutdown). */
  close(): Promise<void>;
}

export function supervisePostgres(
  first: LocalPostgres,
  options: LocalPostgresOptions,
  log: (message: string) => void,
  logFile: string,
): SupervisedPostgres {
  let current = first;
  let closed = false;
  let down = false;
  const restarts: number[] = [];

  const launch = async (port: number) => {
    current = await startPostgres({ ...options, port });
    watch(current);
    return current;
  };

  const restart = async (dead: LocalPostgres, how: string) => {
    const now = Date.now();
    restarts.push(now);
    while (restarts[0]! < now - 60_000) restarts.shift();
    if (restarts.length > MAX_RESTARTS_PER_MINUTE) {
      log(`postgres exited (${how}) ${restarts.length} times within a minute: not restarting it; SQL routes answer 503 until you restart npm run dev (its log: ${logFile})`);
      return;
    }
    log(`postgres exited unexpectedly (${how}); restarting it on port ${dead.port}`);
    for (let attempt = 1; !closed && !down; attempt++) {
      try {
        const next = await launch(dead.port);
        // Stopped meanwhile (runtime or fault test): that stop saw the dead one.
        if (closed || down) await next.stop();
        else log(`postgres restarted (pid ${next.pid})`);
        return;
      } catch (err) {
        // Its backends may still be exiting and holding the shared memory for a moment.
        if (attempt >= RESTART_TRIES) {
          log(`postgres could not be restarted: ${(err as Error).message.split('\n')[0]}; SQL routes answer 503 until you restart npm run dev`);
          return;
        }
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  };

  function watch(pg: LocalPostgres): void {
    void pg.exited.then((code) => {
      // An exit after stop() (the runtime's, or a fault test's) is expected.
      if (closed || pg !== current || pg.stopRequested) return;
      void restart(pg, code !== null && code > 128 ? `killed by signal ${code - 128}` : `exit code ${code}`);
    });
  }
  watch(first);

  return {
    get current() {
      return current;
    },
    async stop() {
      down = true;
      await current.stop();
    },
    async start() {
      if (!down) return;
      await launch(current.port);
      down = false;
    },
    async close() {
      closed = true;
      await current.stop();
    },
  };
}
