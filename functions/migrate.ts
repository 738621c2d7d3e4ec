/**
 * The `migrate` task, logged in as the master user through RDS Proxy: keeps the
 * application role (functions/lib/data/app-role.ts), applies pending SQL
 * migrations, then grants the role its rights on the app's tables. The stack
 * invokes it on apply (aws_lambda_invocation keyed on the migrations' hash and
 * the task's code); a failure fails the apply.
 *
 * On a first deploy the proxy's target may still be registering when the task
 * runs: connection failures are retried with backoff for as long as the
 * task's timeout allows (every step is idempotent).
 */
import middy from '@middy/core';
import { ensureAppRole, grantAppRole, secretsManagerLogin, type AppRoleResult } from './lib/data/app-role';
import { DataUnavailableError } from './lib/data/errors';
import { proxyDatabase } from './lib/data/proxy';
import { requireEnv } from './lib/data/sql';
import { describeError, log } from './lib/log';
import { runMigrations, type MigrationRun } from './lib/migrations';
import { migrations } from './migrations/bundle';

const db = proxyDatabase({ max: 1, readTimeoutMs: 240_000, writeTimeoutMs: 240_000 });

/** Time kept back from the task's deadline: the last attempt must be able to finish. */
const FINISH_MARGIN_MS = 60_000;
const MAX_BACKOFF_MS = 15_000;

export interface MigrateResult extends MigrationRun {
  readonly ok: true;
  readonly appRole: AppRoleResult;
  readonly attempts: number;
}

async function migrateOnce(): Promise<Omit<MigrateResult, 'ok' | 'attempts'>> {
  const appUser = requireEnv('APP_DB_USER');
  const appRole = await ensureAppRole(db, appUser, secretsManagerLogin(requireEnv('APP_DB_SECRET_ARN')));
  const run = await runMigrations(db, migrations);
  await grantAppRole(db, appUser, requireEnv('DB_NAME'));
  return { ...run, appRole };
}

export const handler = middy(async (_event: unknown, context: { awsRequestId?: string; getRemainingTimeInMillis?: () => number }): Promise<MigrateResult> => {
  const remaining = () => context?.getRemainingTimeInMillis?.() ?? 0;
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await migrateOnce();
      log({ level: 'info', msg: 'migrations', requestId: context?.awsRequestId, applied: result.applied, skipped: result.skipped.length, appRole: result.appRole, attempts: attempt });
      return { ok: true, attempts: attempt, ...result };
    } catch (err) {
      const wait = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (attempt - 1));
      if (err instanceof DataUnavailableError && remaining() - wait > FINISH_MARGIN_MS) {
        log({ level: 'warn', msg: 'database not reachable yet; retrying', requestId: context?.awsRequestId, attempt, retryInMs: wait, error: describeError(err) });
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      log({ level: 'error', msg: 'migrations failed', requestId: context?.awsRequestId, attempts: attempt, error: describeError(err) });
      throw err;
    }
  }
});
