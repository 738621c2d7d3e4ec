/**
 * The local RDS Proxy emulator refuses what RDS Proxy refuses, each with a
 * real `pg` client: plaintext, an untrusted certificate, anything but a valid
 * IAM auth token for this host, port and user signed with credentials allowed
 * to connect as that user, startup parameters outside AWS's list, a user
 * without a secret; and it reports statements that would pin a session.
 */
import tls from 'node:tls';
import { Signer } from '@aws-sdk/rds-signer';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import pg from 'pg';
import { startLocalServices, type LocalServices } from '../../functions/testing';
import type { LocalCredentials } from '../../scripts/local/iam';
import { pinningCauses, statementsOf } from '../../scripts/local/rds-proxy/pinning';
import { checkStartup } from '../../scripts/local/rds-proxy/startup';
import { configFor } from '../fixtures/environments';
import { fixtureFunctionsDir, fixtureRoutes as routes, fixtureTables, migrateTask } from '../fixtures/registry';

let local: LocalServices;
const logs: string[] = [];
let appCreds: LocalCredentials;

beforeAll(async () => {
  local = await startLocalServices({
    functions: ['registrations-create'],
    routes,
    tasks: [migrateTask],
    tables: fixtureTables,
    functionsDir: fixtureFunctionsDir,
    config: configFor('dev'),
    log: (m) => logs.push(m),
  });
  appCreds = local.cloud.credentials('registrations-create');
}, 60_000);
afterAll(() => local?.stop());

const proxy = () => local.cloud.proxy;
const token = (user: string, credentials: LocalCredentials = appCreds, port = proxy().port) =>
  new Signer({ hostname: proxy().host, port, username: user, region: 'eu-west-1', credentials }).getAuthToken();

interface Attempt {
  readonly user?: string;
  readonly password?: string | (() => Promise<string>);
  readonly ssl?: pg.ClientConfig['ssl'];
  readonly extra?: Partial<pg.ClientConfig>;
}

/** Connects, runs `SELECT current_user`, and returns who it is or the refusal's SQLSTATE and message. */
async function attempt({ user = 'app_user', password, ssl = { rejectUnauthorized: true }, extra = {} }: Attempt): Promise<string> {
  const client = new pg.Client({
    host: proxy().host,
    port: proxy().port,
    user,
    database: 'app',
    password: password ?? (() => token(user)),
    ssl,
    application_name: 'rds-proxy-test',
    connectionTimeoutMillis: 5000,
    ...extra,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ who: string }>('SELECT current_user AS who');
    return `ok ${rows[0]!.who}`;
  } catch (err) {
    const e = err as { code?: string; message: string };
    return `${e.code ?? 'no-code'} ${e.message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const IAM_FAILED = (role: string) => `28000 The IAM authentication failed for the role ${role}. Check the IAM token for this role and try again.`;

test('a function with the grant logs in as the application role with a fresh IAM token over verified TLS', async () => {
  expect(await attempt({})).toBe('ok app_user');
});

test('a plaintext connection gets "This RDS Proxy requires TLS connections" (28000)', async () => {
  expect(await attempt({ ssl: false })).toBe('28000 This RDS Proxy requires TLS connections');
});

test('a client that does not trust the proxy certificate refuses it (no silent fallback)', async () => {
  const result = await attempt({ ssl: { rejectUnauthorized: true, ca: [...tls.rootCertificates] } });
  expect(result).toMatch(/self[- ]signed certificate|unable to (get local issuer|verify)/i);
});

describe('IAM authentication', () => {
  const refused = async (password: string | (() => Promise<string>), user = 'app_user') => {
    const before = logs.length;
    const result = await attempt({ user, password });
    return { result, reason: logs.slice(before).find((l) => l.startsWith(`RDS Proxy refused a login as ${user}`)) };
  };

  test('a password that is not a token', async () => {
    const { result, reason } = await refused('hunter2hunter2');
    expect(result).toBe(IAM_FAILED('app_user'));
    expect(reason).toMatch(/not an RDS IAM auth token/);
  });

  test('an expired token (signed 16 minutes ago, valid 15)', async () => {
    const signer = new SignatureV4({ service: 'rds-db', region: 'eu-west-1', credentials: appCreds, sha256: Sha256 });
    const old = await signer.presign(
      new HttpRequest({
        method: 'GET',
        protocol: 'https:',
        hostname: proxy().host,
        port: proxy().port,
        path: '/',
        query: { Action: 'connect', DBUser: 'app_user' },
        headers: { host: `${proxy().host}:${proxy().port}` },
      }),
      { signingDate: new Date(Date.now() - 16 * 60 * 1000), expiresIn: 900 },
    );
    const query = new URLSearchParams(old.query as Record<string, string>).toString();
    const { result, reason } = await refused(`${proxy().host}:${proxy().port}/?${query}`);
    expect(result).toBe(IAM_FAILED('app_user'));
    expect(reason).toMatch(/expired/);
  });

  test('a token made for another port', async () => {
    const { result, reason } = await refused(() => token('app_user', appCreds, proxy().port + 1));
    expect(result).toBe(IAM_FAILED('app_user'));
    expect(reason).toMatch(/made for 127\.0\.0\.1:\d+, not this proxy/);
  });

  test('a token made for another user', async () => {
    const { result, reason } = await refused(() => token('app_admin'));
    expect(result).toBe(IAM_FAILED('app_user'));
    expect(reason).toMatch(/made for user "app_admin"/);
  });

  test('a token signed with the wrong secret key', async () => {
    const { result, reason } = await refused(() => token('app_user', { ...appCreds, secretAccessKey: 'wrong-secret-key-wrong-secret-key' }));
    expect(result).toBe(IAM_FAILED('app_user'));
    expect(reason).toMatch(/signature does not match/);
  });

  test('credentials of a function without rds-db:connect (a DynamoDB route)', async () => {
    const posts = local.cloud.environmentOf(routes.find((r) => r.name === 'posts-create')!);
    const creds = { accessKeyId: posts.AWS_ACCESS_KEY_ID!, secretAccessKey: posts.AWS_SECRET_ACCESS_KEY!, sessionToken: posts.AWS_SESSION_TOKEN! };
    const { result, reason } = await refused(() => token('app_user', creds));
    expect(result).toBe(IAM_FAILED('app_user'));
    expect(reason).toMatch(/posts-create is not allowed rds-db:connect on arn:aws:rds-db:eu-west-1:000000000000:dbuser:prx-\w+\/app_user/);
  });

  test('a route as the master user: only the migration task may', async () => {
    const { result, reason } = await refused(() => token('app_admin'), 'app_admin');
    expect(result).toBe(IAM_FAILED('app_admin'));
    expect(reason).toMatch(/registrations-create is not allowed rds-db:connect on .*\/app_admin/);
  });

  test('a user the proxy has no secret for', async () => {
    const creds = local.cloud.iam.issue('tool', [{ sid: 'Connect', actions: ['rds-db:connect'], resources: [proxy().dbUserArn('nobody')] }]);
    const result = await attempt({ user: 'nobody', password: () => token('nobody', creds) });
    expect(result).toBe('28000 This RDS proxy has no credentials for the role nobody. Check the credentials for this role and try again.');
  });
});

describe('startup parameters', () => {
  test.each([
    ['statement_timeout', { statement_timeout: 5000 }, "Feature not supported: RDS Proxy currently doesn't support the option statement_timeout."],
    ['idle_in_transaction_session_timeout', { idle_in_transaction_session_timeout: 5000 }, "Feature not supported: RDS Proxy currently doesn't support the option idle_in_transaction_session_timeout."],
    ['lock_timeout', { lock_timeout: 1000 }, "Feature not supported: RDS Proxy currently doesn't support the option lock_timeout."],
    ['options (-c flags)', { options: '-c search_path=public' }, "Feature not supported: RDS Proxy currently doesn't support command-line options."],
  ])('%s is refused with 0A000 and the proxy text', async (_name, extra, message) => {
    expect(await attempt({ extra: extra as Partial<pg.ClientConfig> })).toBe(`0A000 ${message}`);
  });

  test("AWS's list is accepted (node-postgres always sends client_encoding; application_name is passed on)", async () => {
    expect(checkStartup(new Map([['user', 'u'], ['database', 'd'], ['application_name', 'a'], ['client_encoding', 'UTF8'], ['DateStyle', 'ISO'], ['TimeZone', 'UTC'], ['extra_float_digits', '3']]))).toBeUndefined();
    expect(checkStartup(new Map([['database', 'd']]))?.message).toMatch(/A user name is missing/);
    expect(checkStartup(new Map([['user', 'u'], ['replication', 'database']]))?.message).toMatch(/streaming replication mode/);
    const client = new pg.Client({ host: proxy().host, port: proxy().port, user: 'app_user', database: 'app', password: () => token('app_user'), ssl: { rejectUnauthorized: true }, application_name: 'named-client' });
    await client.connect();
    try {
      expect((await client.query("SELECT current_setting('application_name') AS a")).rows[0].a).toBe('named-client');
    } finally {
      await client.end();
    }
  });
});

describe('session pinning', () => {
  test('statements that would pin are reported once per cause and client, as a warning', async () => {
    const client = new pg.Client({ host: proxy().host, port: proxy().port, user: 'app_user', database: 'app', password: () => token('app_user'), ssl: { rejectUnauthorized: true }, application_name: 'pinning-client' });
    client.on('error', () => undefined);
    await client.connect();
    const before = logs.length;
    try {
      await client.query('SET search_path TO public');
      await client.query('SET search_path TO public');
      await client.query('SELECT pg_advisory_lock(42)');
      await client.query('SELECT pg_advisory_unlock(42)');
      await client.query({ name: 'named-statement', text: 'SELECT $1::int AS n', values: [1] });
      await client.query('BEGIN; SELECT pg_advisory_xact_lock(7); COMMIT');
      await client.query("SELECT 'SET in a string, -- not a command' AS t /* SET in a comment */");
    } finally {
      await client.end();
    }
    const pins = logs.slice(before).filter((l) => l.startsWith('RDS Proxy: '));
    expect(pins).toEqual([
      "RDS Proxy: SET would pin pinning-client's session to one database connection: SET search_path TO public",
      "RDS Proxy: session-level advisory lock would pin pinning-client's session to one database connection: SELECT pg_advisory_lock(42)",
      "RDS Proxy: named prepared statement (extended protocol) would pin pinning-client's session to one database connection: SELECT $1::int AS n",
    ]);
  });

  test('the detector ignores literals, comments and dollar-quoted bodies, and follows AWS list', () => {
    expect(statementsOf("SELECT 'a;b' AS x; -- c;\nSELECT $$ ; $$")).toEqual(["SELECT '' AS x", "SELECT ''"]);
    expect(pinningCauses("CREATE FUNCTION f() RETURNS void AS $$ BEGIN SET x = 1; END $$ LANGUAGE plpgsql")).toEqual([]);
    expect(pinningCauses('SET LOCAL statement_timeout = 1000')).toEqual(['SET LOCAL']);
    expect(pinningCauses('CREATE TEMP TABLE t (id int)')).toEqual(['temporary table, sequence or view']);
    expect(pinningCauses('DECLARE c CURSOR FOR SELECT 1')).toEqual(['DECLARE cursor']);
    expect(pinningCauses('LISTEN channel')).toEqual(['LISTEN']);
    expect(pinningCauses("SELECT set_config('x', '1', false)")).toEqual(['set_config()']);
    expect(pinningCauses("SELECT nextval('s')")).toEqual(['nextval()/setval()']);
    expect(pinningCauses('DISCARD ALL')).toEqual(['DISCARD']);
    expect(pinningCauses('SELECT pg_try_advisory_xact_lock(1)')).toEqual([]);
    expect(pinningCauses(`SELECT '${'x'.repeat(17_000)}'`)).toEqual(['statement larger than 16 KB']);
  });
});
