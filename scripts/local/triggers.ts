/**
 * What invokes tasks besides a direct call, as the stack wires it: an event
 * source mapping per queue-triggered task (scripts/local/messaging/
 * event-source.ts) and a schedule per scheduled task. Each task runs in its
 * sandbox like every function. Creating a mapping fails the start with
 * Lambda's own refusal (as the apply would fail), e.g. a task whose grants
 * lack sqs:ReceiveMessage.
 */
import type { TaskDefinition } from '../../functions/registry-types';
import type { LocalCloud } from './cloud';
import type { FunctionHost, LocalFunction } from './functions';
import { EventSourceMapping, startSchedule } from './messaging';

export interface LocalTriggers {
  /** The event source mappings by queue name. */
  readonly eventSources: Readonly<Record<string, EventSourceMapping>>;
  stop(): Promise<void>;
}

export function startTriggers(
  tasks: readonly TaskDefinition[],
  functions: ReadonlyMap<string, LocalFunction>,
  host: FunctionHost,
  cloud: Pick<LocalCloud, 'messaging' | 'iam' | 'credentials' | 'config'>,
  options: { readonly log: (message: string) => void; readonly scheduleEveryMs?: number },
): LocalTriggers {
  const eventSources: Record<string, EventSourceMapping> = {};
  const stops: (() => void)[] = [];
  try {
    for (const task of tasks) {
      const fn = functions.get(task.name)!;
      const trigger = task.trigger;
      if (trigger && 'queue' in trigger) {
        const mapping = new EventSourceMapping({
          queue: cloud.messaging.queue(trigger.queue),
          functionName: fn.functionName,
          functionTimeoutSeconds: fn.timeoutSeconds,
          batchSize: trigger.batchSize,
          maximumConcurrency: trigger.maximumConcurrency,
          region: cloud.config.region,
          invoke: (event) => host.invoke(fn, event),
          log: options.log,
          role: { iam: cloud.iam, accessKeyId: cloud.credentials(task.name).accessKeyId },
        });
        eventSources[trigger.queue] = mapping.start();
        stops.push(() => mapping.stop());
      }
      if (trigger && 'schedule' in trigger) {
        const name = `${cloud.config.project}-${cloud.config.name}-${task.name}`;
        const stop = startSchedule({ name, expression: trigger.schedule, invoke: (event) => host.invoke(fn, event), periodMs: options.scheduleEveryMs, log: options.log });
        if (stop) stops.push(stop);
      }
    }
  } catch (err) {
    for (const stop of stops) stop();
    throw new Error(`event source mapping: ${(err as Error).name}: ${(err as Error).message}`, { cause: err });
  }
  return {
    eventSources,
    stop: async () => {
      for (const stop of stops) stop();
    },
  };
}
