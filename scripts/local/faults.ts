/**
 * Fault hooks of the reliability tests: a database stopped under a running
 * API and brought back on the same port and data (functions keep their
 * endpoints, as across an Aurora failover or a DynamoDB outage).
 */
import type { LocalDynamo } from './dynamo';
import type { SupervisedPostgres } from './postgres-supervisor';

export interface LocalFaults {
  stopPostgres(): Promise<void>;
  startPostgres(): Promise<void>;
  stopDynamo(): Promise<void>;
  startDynamo(): Promise<void>;
}

/**
 * Hooks over the supervised Postgres and the running DynamoDB; `dynamo.current`
 * is replaced by what `restartDynamo` starts on the same port.
 */
export function faultHooks(
  postgres: SupervisedPostgres,
  dynamo: { current: LocalDynamo },
  restartDynamo: (port: number) => Promise<LocalDynamo>,
): LocalFaults {
  let dynamoDown = false;
  return {
    stopPostgres: () => postgres.stop(),
    startPostgres: () => postgres.start(),
    async stopDynamo() {
      dynamoDown = true;
      await dynamo.current.stop();
    },
    async startDynamo() {
      if (!dynamoDown) return;
      dynamo.current = await restartDynamo(dynamo.current.port);
      dynamoDown = false;
    },
  };
}
