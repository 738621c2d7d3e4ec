/**
 * Runs the `migrate` task on apply (aws_lambda_invocation), again whenever a
 * SQL migration or the task's code changes, and only once the database is
 * reachable (proxy target registered, instances up).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { LambdaInvocation } from '@cdktf/provider-aws/lib/lambda-invocation';
import type { ServiceFunction } from './function';

export interface MigrationsProps {
  /** The migration runner. */
  readonly fn: ServiceFunction;
  /** Folder of `NNNN_name.sql` files. */
  readonly migrationsDir: string;
  /** What must exist before the first run (database, proxy target). */
  readonly after: ITerraformDependable[];
}

export interface MigrationSet {
  /** File names, sorted. */
  readonly files: string[];
  /** SHA-256 over names and contents; "none" when there are no migrations. */
  readonly hash: string;
}

/** Hashes `*.sql` in `dir` (sorted by name). A missing or empty folder is "none". */
export function hashMigrations(dir: string): MigrationSet {
  if (!existsSync(dir)) return { files: [], hash: 'none' };
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  if (files.length === 0) return { files, hash: 'none' };
  const hash = createHash('sha256');
  for (const f of files) hash.update(f).update('\0').update(readFileSync(join(dir, f))).update('\0');
  return { files, hash: hash.digest('hex') };
}

export class Migrations extends Construct {
  readonly migrations: MigrationSet;
  readonly invocation: LambdaInvocation;

  constructor(scope: Construct, id: string, props: MigrationsProps) {
    super(scope, id);
    this.migrations = hashMigrations(props.migrationsDir);
    this.invocation = new LambdaInvocation(this, 'run', {
      functionName: props.fn.lambda.functionName,
      input: JSON.stringify({ source: 'sps.deploy', action: 'migrate', migrationsHash: this.migrations.hash }),
      triggers: {
        migrations: this.migrations.hash,
        code: props.fn.lambda.sourceCodeHash,
      },
      dependsOn: [props.fn.lambda, ...props.after],
    });
  }
}
