/**
 * SQL migration runner: applies functions/migrations/NNNN_*.sql in order, each
 * in its own transaction, under a Postgres advisory lock (concurrent runners
 * wait, then skip what the other applied), recording name and SHA-256 in
 * `schema_migrations`. An applied migration whose file changed is refused:
 * write a new migration instead.
 *
 * The same runner runs locally (the local runtime calls it on the embedded
 * Postgres) and in AWS (the `migrate` task, invoked by the stack on apply).
 */
import { createHash } from 'node:crypto';
import type { Database } from './data/sql';

export interface Migration {
  /** File name, e.g. `0001_events_and_registrations.sql`. */
  readonly name: string;
  readonly sql: string;
}

export interface MigrationRun {
  readonly applied: string[];
  readonly skipped: string[];
}

/** Advisory lock key for migrations (any constant bigint shared by all runners). */
export const MIGRATION_LOCK_KEY = 7_245_019_330_051n;

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

export const checksumOf = (sql: string) => createHash('sha256').update(sql).digest('hex');

const LOCK = `SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  name text PRIMARY KEY,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

function checkOrder(migrations: readonly Migration[]): void {
  let previous = '';
  for (const m of migrations) {
    if (!/^\d{4}_[a-z0-9_]+\.sql$/.test(m.name)) throw new MigrationError(`migration "${m.name}": name it NNNN_lower_snake_case.sql`);
    if (m.name.slice(0, 4) <= previous.slice(0, 4)) throw new MigrationError(`migration "${m.name}" is out of order or reuses a number after "${previous}"`);
    previous = m.name;
  }
}

/**
 * Applies pending migrations. `db` must run multi-statement SQL (the pg
 * adapter does: statements without parameters use the simple query protocol).
 */
export async function runMigrations(db: Database, migrations: readonly Migration[]): Promise<MigrationRun> {
  checkOrder(migrations);
  const known = new Map(migrations.map((m) => [m.name, checksumOf(m.sql)]));

  await db.transaction(async (tx) => {
    await tx.query(LOCK);
    await tx.query(CREATE_TABLE);
    const { rows } = await tx.query<{ name: string; checksum: string }>('SELECT name, checksum FROM schema_migrations ORDER BY name');
    for (const row of rows) {
      const expected = known.get(row.name);
      if (expected && expected !== row.checksum) {
        throw new MigrationError(
          `migration ${row.name} was changed after it was applied (checksum ${row.checksum.slice(0, 12)}… in the database, ${expected.slice(0, 12)}… in the file); revert the file and add a new migration instead`,
        );
      }
    }
  });

  const applied: string[] = [];
  const skipped: string[] = [];
  for (const migration of migrations) {
    await db.transaction(async (tx) => {
      await tx.query(LOCK);
      const { rows } = await tx.query<{ checksum: string }>('SELECT checksum FROM schema_migrations WHERE name = :name', { name: migration.name });
      if (rows.length > 0) {
        skipped.push(migration.name);
        return;
      }
      try {
        await tx.query(migration.sql);
      } catch (err) {
        throw new MigrationError(`migration ${migration.name} failed: ${(err as Error).message}`);
      }
      await tx.query('INSERT INTO schema_migrations (name, checksum) VALUES (:name, :checksum)', {
        name: migration.name,
        checksum: known.get(migration.name)!,
      });
      applied.push(migration.name);
    });
  }
  return { applied, skipped };
}
