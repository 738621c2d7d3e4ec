/**
 * The application role: the database user every function logs in as. The
 * migration task (logged in as the master user) keeps it, and nothing else
 * does, so the master user serves migrations only:
 *
 * - its login is the secret `APP_DB_SECRET_ARN`, which the stack creates empty
 *   (the password never appears in Terraform configuration, plan or state). A
 *   missing value is generated here and put there first; the role's password
 *   is then set from the secret, so the two always agree (a secret changed by
 *   hand takes effect at the next run);
 * - the password reaches Postgres only as a SCRAM-SHA-256 verifier, never in
 *   clear text, so no server log line can hold it;
 * - server-side limits are role settings (`APP_ROLE_SETTINGS`): RDS Proxy
 *   refuses them as startup parameters;
 * - rights: CONNECT on the database, USAGE on schema `public` and DML on its
 *   tables and sequences, re-granted after every migration run; nothing on
 *   `schema_migrations`, no TEMP, no CREATE. Tables the functions must not
 *   touch belong in another schema.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MIGRATION_LOCK_KEY } from '../migrations';
import type { Database, Queryable } from './sql';

/** Server-side limits of every application session (seconds as Postgres intervals). */
export const APP_ROLE_SETTINGS = {
  /** A statement running longer is cancelled by the server (SQLSTATE 57014 → 503). */
  statement_timeout: '8s',
  /** A transaction left open and idle this long is ended by the server. */
  idle_in_transaction_session_timeout: '16s',
} as const;

export interface AppRoleLogin {
  readonly username: string;
  readonly password: string;
}

/** Where the role's login is kept (Secrets Manager in AWS and locally). */
export interface LoginStore {
  /** The current login, or undefined when the secret has no value yet. */
  get(): Promise<AppRoleLogin | undefined>;
  put(login: AppRoleLogin): Promise<void>;
}

/** A `LoginStore` over a Secrets Manager secret. */
export function secretsManagerLogin(secretId: string, client = new SecretsManagerClient({ maxAttempts: 3 })): LoginStore {
  return {
    async get() {
      try {
        const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
        const value = JSON.parse(out.SecretString ?? '{}') as Partial<AppRoleLogin>;
        return typeof value.username === 'string' && typeof value.password === 'string' && value.password.length >= 16
          ? { username: value.username, password: value.password }
          : undefined;
      } catch (err) {
        // A secret created without a value has no AWSCURRENT version yet.
        if ((err as { name?: string }).name === 'ResourceNotFoundException' && /staging label|AWSCURRENT/i.test(String((err as Error).message))) {
          return undefined;
        }
        throw err;
      }
    },
    async put(login) {
      await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify(login) }));
    },
  };
}

/** A new password: 32 random bytes, URL-safe base64 (no quoting issues anywhere). */
export function generatePassword(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The SCRAM-SHA-256 verifier Postgres stores for `password` (RFC 5802/7677, the
 * format of `pg_authid.rolpassword`). Our generated passwords are ASCII, which
 * SASLprep leaves unchanged.
 */
export function scramVerifier(password: string, salt = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

const ident = (name: string) => {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new TypeError(`"${name}" is not a plain lower-case identifier`);
  return `"${name}"`;
};
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** The login to use: the secret's, or a new one put there first. */
async function loginFor(username: string, store: LoginStore): Promise<{ login: AppRoleLogin; generated: boolean }> {
  const current = await store.get();
  if (current && current.username === username) return { login: current, generated: false };
  const login = { username, password: generatePassword() };
  await store.put(login);
  return { login, generated: true };
}

export interface AppRoleResult {
  readonly role: string;
  /** The role was created by this run (else it existed and was brought in line). */
  readonly created: boolean;
  /** A new password was generated and stored in the secret. */
  readonly passwordGenerated: boolean;
}

/** Creates the role, or sets its password and limits from the secret. Before migrations, so they may refer to it. */
export async function ensureAppRole(db: Database, username: string, store: LoginStore): Promise<AppRoleResult> {
  const { login, generated } = await loginFor(username, store);
  const role = ident(username);
  const verifier = literal(scramVerifier(login.password));
  const created = await db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    const { rows } = await tx.query('SELECT 1 AS found FROM pg_roles WHERE rolname = :name', { name: username });
    const attributes = 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT';
    if (rows.length === 0) await tx.query(`CREATE ROLE ${role} WITH ${attributes} PASSWORD ${verifier}`);
    else await tx.query(`ALTER ROLE ${role} WITH ${attributes} PASSWORD ${verifier}`);
    for (const [name, value] of Object.entries(APP_ROLE_SETTINGS)) await tx.query(`ALTER ROLE ${role} SET ${name} = ${literal(value)}`);
    return rows.length === 0;
  });
  return { role: username, created, passwordGenerated: generated };
}

/** The role's rights, granted anew after every migration run (new tables included). */
export async function grantAppRole(db: Database, username: string, database: string): Promise<void> {
  const role = ident(username);
  await db.transaction(async (tx: Queryable) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    // PUBLIC gets CONNECT and TEMP on a new database: only CONNECT, and only for the role.
    await tx.query(`REVOKE ALL ON DATABASE ${ident(database)} FROM PUBLIC`);
    await tx.query(`GRANT CONNECT ON DATABASE ${ident(database)} TO ${role}`);
    await tx.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
    await tx.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
    await tx.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`);
    await tx.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
    await tx.query(`REVOKE ALL ON TABLE schema_migrations FROM ${role}`);
  });
}
