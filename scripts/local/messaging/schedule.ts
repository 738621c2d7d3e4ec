/**
 * Local EventBridge schedules for tasks with `trigger.schedule`: a
 * `rate(<n> <unit>)` rule invokes its task every period, the first time one
 * period after the start (as a new rule does), never two runs of one rule at
 * once locally (EventBridge does not wait; our sweeper's row locks make an
 * overlap harmless in AWS). `cron(...)` rules are not run locally: the
 * runtime says so at start.
 */
import type { InvokeOutcome } from '../functions';

const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/** The period of a `rate(...)` expression in ms, or undefined for `cron(...)`. */
export function ratePeriodMs(expression: string): number | undefined {
  const m = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  return m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : undefined;
}

export interface LocalScheduleOptions {
  readonly name: string;
  readonly expression: string;
  invoke(event: unknown): Promise<InvokeOutcome>;
  /** Overrides the period (tests). @default - the expression's */
  readonly periodMs?: number;
  readonly log?: (message: string) => void;
}

/** Starts a schedule; returns its stop, or undefined when the expression is not a rate. */
export function startSchedule(options: LocalScheduleOptions): (() => void) | undefined {
  const period = options.periodMs ?? ratePeriodMs(options.expression);
  const log = options.log ?? (() => undefined);
  if (period === undefined) {
    log(`schedule ${options.name}: ${options.expression} is not run locally (only rate(...) schedules are); invoke the task by hand`);
    return undefined;
  }
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    // EventBridge's scheduled event (detail-type "Scheduled Event").
    const event = { version: '0', id: crypto.randomUUID(), 'detail-type': 'Scheduled Event', source: 'aws.events', time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), resources: [`rule/${options.name}`], detail: {} };
    void options.invoke(event).then((outcome) => {
      running = false;
      if (outcome.kind !== 'result') log(`schedule ${options.name}: run failed (${outcome.kind === 'timeout' ? 'timed out' : `${outcome.error.name}: ${outcome.error.message}`})`);
    });
  }, period);
  timer.unref();
  return () => clearInterval(timer);
}
