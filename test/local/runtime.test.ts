/**
 * The assembled runtime on the fixture app (test/fixtures) and the platform's
 * migrate task: the environment each function gets (the stack's contract,
 * local values), tables as infra defines them, migrations applied, and a
 * timed-out function beside the others leaving the runtime healthy.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import pg from 'pg';
import { functionEnvironment, LOCAL_ONLY_VARIABLES } from '../../infra/function-contract';
import { MIGRATIONS_DIR } from '../../infra/paths';
import type { RouteDefinition } from '../../functions/registry-types';
import { startLocalRuntime, type LocalRuntime } from '../../scripts/local/runtime';
import { configFor } from '../fixtures/environments';
import { fixtureFunctionsDir, fixtureRoutes, fixtureTables, migrateTask } from '../fixtures/registry';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const slow: RouteDefinition = {
  name: 'slow',
  method: 'GET',
  path: '/slow',
  handler: path.join(fixtures, 'results.ts'),
  timeoutSeconds: 1,
};
const routes = [...fixtureRoutes, slow];

let runtime: LocalRuntime;
let dataDir: string;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sps-test-local-runtime-'));
  await fs.chmod(dataDir, 0o755);
  runtime = await startLocalRuntime({
    port: 0,
    dataDir,
    config: configFor('dev'),
    corsOrigins: ['http://localhost:9999'],
    routes,
    tasks: [migrateTask],
    tables: fixtureTables,
    functionsDir: fixtureFunctionsDir,
    functionLogs: () => undefined,
  });
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

test('each function gets the environment the stack sets (infra/function-contract.ts), with local endpoints, and only for the data it declares', () => {
  const env = runtime.functionEnvironment;
  expect(env['posts-create']).toMatchObject({
    APP_ENV: 'dev',
    CORS_ORIGINS: 'http://localhost:9999',
    TABLE_POSTS: 'sps-dev-posts',
    AWS_ENDPOINT_URL_DYNAMODB: runtime.dynamo.endpoint,
    AWS_REGION: 'eu-west-1',
  });
  expect(env['posts-create']).not.toHaveProperty('DB_NAME');
  expect(env['posts-create']).not.toHaveProperty('NODE_EXTRA_CA_CERTS');
  expect(env['registrations-create']).toMatchObject({
    DB_PROXY_ENDPOINT: '127.0.0.1',
    DB_PORT: String(runtime.proxy.port),
    DB_NAME: 'app',
    DB_USER: 'app_user',
    NODE_EXTRA_CA_CERTS: runtime.proxy.caFile,
  });
  for (const name of Object.keys(env)) expect([name, Object.keys(env[name]!).filter((k) => /PASSWORD|DB_SSL/.test(k))]).toEqual([name, []]);
  expect(env['registrations-create']).not.toHaveProperty('TABLE_POSTS');
  expect(env['registrations-create']).not.toHaveProperty('AWS_ENDPOINT_URL_RDS_DATA');
  expect(env['events-get']).toMatchObject({
    DB_CLUSTER_ARN: expect.stringMatching(/^arn:aws:rds:eu-west-1:\d{12}:cluster:/),
    DB_SECRET_ARN: runtime.cloud.appSecretArn,
    AWS_ENDPOINT_URL_RDS_DATA: runtime.dataApi.url,
  });
  expect(env.migrate).toMatchObject({ DB_PROXY_ENDPOINT: '127.0.0.1', DB_USER: 'app_admin', APP_DB_USER: 'app_user', AWS_ENDPOINT_URL_SECRETS_MANAGER: runtime.cloud.secretsEndpoint.url });
  // Each function has credentials of its own (its role's).
  const keys = new Set(Object.values(env).map((e) => e.AWS_ACCESS_KEY_ID));
  expect(keys.size).toBe(Object.keys(env).length);
});

test('the environment is the contract the stack writes, plus only the documented local-only variables', () => {
  for (const def of [...routes, migrateTask]) {
    const local = runtime.functionEnvironment[def.name]!;
    const contract = functionEnvironment(def, runtime.cloud.contract);
    expect(local).toMatchObject(contract);
    const extra = Object.keys(local).filter((k) => !(k in contract));
    expect([def.name, extra.filter((k) => !LOCAL_ONLY_VARIABLES.test(k))]).toEqual([def.name, []]);
  }
});

test('creates the tables with the keys and indexes of their definitions', async () => {
  const client = new DynamoDBClient({ endpoint: runtime.dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: 'sps-dev-posts' }));
    expect(Table!.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(Table!.GlobalSecondaryIndexes!.map((g) => [g.IndexName, g.KeySchema, g.Projection?.ProjectionType])).toEqual([
      [
        'gsi1',
        [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
        ],
        'ALL',
      ],
    ]);
    expect(Table!.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
  } finally {
    client.destroy();
  }
});

test('applies the migrations through the migrate task', async () => {
  const c = new pg.Client({ host: runtime.postgres.host, port: runtime.postgres.port, user: runtime.postgres.user, password: runtime.postgres.password, database: runtime.postgres.database });
  await c.connect();
  try {
    const { rows } = await c.query('SELECT name FROM schema_migrations ORDER BY name');
    const files = (await fs.readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql'));
    expect(rows.map((r) => r.name)).toEqual(files.sort());
  } finally {
    await c.end();
  }
  // Invoking the task again is a no-op.
  const again = await runtime.invokeTask('migrate');
  expect(again.kind).toBe('result');
  expect(JSON.parse((again as { payload: string }).payload)).toMatchObject({ ok: true, applied: [], appRole: { role: 'app_user', created: false, passwordGenerated: false } });
});

test('a function past its timeout gets API Gateway\'s 500 while the other functions keep answering', async () => {
  const [slow, other] = await Promise.all([fetch(`${runtime.url}/slow?kind=slow`), fetch(`${runtime.url}/posts`)]);
  expect(slow.status).toBe(500);
  expect(await slow.json()).toEqual({ message: 'Internal Server Error' });
  expect(other.status).toBe(200);
  expect((await fetch(`${runtime.url}/slow?kind=object`)).status).toBe(200);
});
