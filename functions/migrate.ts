/**
 * The `migrate` task: applies pending SQL migrations through RDS Proxy. The
 * stack invokes it on apply (aws_lambda_invocation keyed on the migrations'
 * hash); a failure fails the apply.
 */
import middy from '@middy/core';
import { proxyDatabase } from './lib/data/proxy';
import { describeError, log } from './lib/log';
import { runMigrations, type MigrationRun } from './lib/migrations';
import { migrations } from './migrations/bundle';

const db = proxyDatabase('migrate', { max: 1, statementTimeoutMs: 240_000 });

export const handler = middy(async (_event: unknown, context: { awsRequestId?: string }): Promise<MigrationRun & { ok: true }> => {
  try {
    const run = await runMigrations(db, migrations);
    log({ level: 'info', msg: 'migrations', requestId: context?.awsRequestId, applied: run.applied, skipped: run.skipped.length });
    return { ok: true, ...run };
  } catch (err) {
    log({ level: 'error', msg: 'migrations failed', requestId: context?.awsRequestId, error: describeError(err) });
    throw err;
  }
});
