/**
 * One source of truth: every environment variable the synthesized dev stack
 * gives a Lambda function, the local runtime gives that function too, with
 * the same value unless it is an endpoint (which is local by design). The
 * only extra variables locally are the documented local-only ones.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../infra/config';
import { startLocalRuntime, type LocalRuntime } from '../../scripts/local/runtime';
import { FixtureBundles, resourcesOf, synthStack } from '../infra/helpers';
import { fixtureFunctionsDir, fixtureRoutes } from '../infra/fixtures/registry';

/** Values that point at a resource: AWS ARNs/hosts there, loopback endpoints here. */
const ENDPOINT_VARS = new Set(['DB_PROXY_ENDPOINT', 'DB_PORT', 'DB_CLUSTER_ARN', 'DB_SECRET_ARN']);
/** Set only by the local runtime (TEAM.md's local overrides, and what Lambda itself provides). */
const LOCAL_ONLY = /^(DYNAMODB_ENDPOINT|RDS_DATA_ENDPOINT|DB_PASSWORD|DB_SSL|AWS_[A-Z_]+)$/;

let runtime: LocalRuntime;
let dataDir: string;
let bundles: FixtureBundles;
let infraEnv: Map<string, Record<string, string>>;

beforeAll(async () => {
  const config = loadConfig('dev');
  bundles = new FixtureBundles();
  const { json } = synthStack(config, bundles);
  // A table name is a reference to the table resource: resolve it to its name.
  const resolve = (value: string) => {
    const ref = /^\$\{aws_dynamodb_table\.([^.]+)\.name\}$/.exec(value);
    return ref ? String(json.resource.aws_dynamodb_table![ref[1]!]!.name) : value;
  };
  infraEnv = new Map(
    resourcesOf(json, 'aws_lambda_function').map(([, fn]) => [
      String(fn.function_name),
      Object.fromEntries(Object.entries((fn.environment?.variables ?? {}) as Record<string, string>).map(([k, v]) => [k, resolve(v)])),
    ]),
  );
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'env-parity-'));
  await fs.chmod(dataDir, 0o755);
  runtime = await startLocalRuntime({ port: 0, dataDir, routes: fixtureRoutes, functionsDir: fixtureFunctionsDir, migrate: false });
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  bundles?.dispose();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

test.each([...fixtureRoutes.map((r) => [r.name]), ['migrate']])('%s gets the environment the stack gives it', (name) => {
  const infra = infraEnv.get(`sps-dev-${name}`);
  expect(infra).toBeDefined();
  const local = runtime.functionEnvironment[name]!;
  for (const [key, value] of Object.entries(infra!)) {
    expect([key, key in local]).toEqual([key, true]);
    if (!ENDPOINT_VARS.has(key)) expect([key, local[key]]).toEqual([key, value]);
  }
  const extra = Object.keys(local).filter((k) => !(k in infra!));
  expect(extra.filter((k) => !LOCAL_ONLY.test(k))).toEqual([]);
});
