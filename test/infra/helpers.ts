/**
 * Test helpers: synthesize a PlatformStack for a (possibly modified) fixture
 * environment on the fixture app with sign-in (test/fixtures), bundles built once per test
 * file into a temp dir; synthesize constructs alone (`Testing.synthScope`)
 * with stand-in code and the small real dependencies they need.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing, type App } from 'cdktf';
import type { Construct } from 'constructs';
import type { FunctionArchive } from '../../infra/bundling';
import { Database, type DatabaseProps } from '../../infra/constructs/database';
import { ServiceFunction, type ServiceFunctionProps } from '../../infra/constructs/function';
import { DataKey } from '../../infra/constructs/kms-key';
import type { EnvironmentConfig } from '../../infra/config';
import { bundleAll, PlatformStack, type PlatformStackProps } from '../../infra/stack';
import type { RouteDefinition, TaskDefinition } from '../../functions/registry-types';
import { fixtureFunctionsDir, fixtureRoutes, fixtureTables, fixtureTasks, signedInFixtureRoutes } from '../fixtures/registry';
import { synthScope as synthScopeJson, tempDir, testApp } from '../support/temp';

export { configFor } from '../fixtures/environments';

// cdktf's jest matchers (Testing.setupJest()), typed for our tests.
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R> {
      toHaveResourceWithProperties(resource: { tfResourceType: string }, properties: Record<string, unknown>): R;
      toHaveResource(resource: { tfResourceType: string }): R;
      toHaveProviderWithProperties(resource: { tfResourceType: string }, properties: Record<string, unknown>): R;
    }
  }
}

export type TfJson = {
  resource: Record<string, Record<string, Record<string, any>>>;
  data?: Record<string, Record<string, Record<string, any>>>;
  output?: Record<string, Record<string, any>>;
  provider: Record<string, Record<string, any>[]>;
  terraform: Record<string, any>;
};

/** The fixture functions bundled once, in a folder removed after the test file. */
export class FixtureBundles {
  readonly archives: Map<string, FunctionArchive>;
  constructor(fns: readonly (RouteDefinition | TaskDefinition)[] = [...fixtureRoutes, ...fixtureTasks]) {
    this.archives = bundleAll(fns, { functionsDir: fixtureFunctionsDir, outRoot: tempDir('bundles') });
  }
}

export interface SynthResult {
  readonly stack: PlatformStack;
  /** `Testing.synth` output, for cdktf's jest matchers. */
  readonly synth: string;
  readonly json: TfJson;
}

/** A PlatformStack of the fixture app (routes, tasks, tables, handlers) in `app`, local state, `props` on top. */
export function fixtureStack(app: App, config: EnvironmentConfig, bundles: FixtureBundles, props: Partial<PlatformStackProps> = {}): PlatformStack {
  return new PlatformStack(app, config.name, {
    config,
    routes: signedInFixtureRoutes,
    tasks: fixtureTasks,
    tables: fixtureTables,
    topics: {},
    queues: {},
    functionsDir: fixtureFunctionsDir,
    archives: bundles.archives,
    stateBackend: {},
    ...props,
  });
}

export function synthStack(
  config: EnvironmentConfig,
  bundles: FixtureBundles,
  props: Partial<PlatformStackProps> = {},
): SynthResult {
  const stack = fixtureStack(testApp(), config, bundles, props);
  const synth = Testing.synth(stack);
  return { stack, synth, json: JSON.parse(synth) as TfJson };
}

/** Every resource of a type, as [logical name, values]. */
export function resourcesOf(json: TfJson, type: string): [string, Record<string, any>][] {
  return Object.entries(json.resource[type] ?? {});
}

export function onlyResource(json: TfJson, type: string): Record<string, any> {
  const all = resourcesOf(json, type);
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0]![1];
}

/** The data source a `${data.<type>.<name>.json}` reference points to. */
export function policyDocumentOf(json: TfJson, ref: string): Record<string, any> {
  const m = /^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/.exec(ref);
  if (!m) throw new Error(`not a policy document reference: ${ref}`);
  return json.data!.aws_iam_policy_document![m[1]!]!;
}

/** Logical id of the one resource of `type` whose id starts with `prefix`. */
export function idOf(json: TfJson, type: string, prefix: string): string {
  const ids = Object.keys(json.resource[type] ?? {}).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one ${type} with id ${prefix}*, found ${ids.join(', ') || 'none'}`);
  return ids[0]!;
}

/** `type.<id>`: the Terraform address of the one resource of `type` (whose id starts with `prefix`), as `depends_on` lists it. */
export function addressOf(json: TfJson, type: string, prefix = ''): string {
  return `${type}.${idOf(json, type, prefix)}`;
}

/** `${type.<id>.attribute}`: a reference to an attribute of the one resource of `type` (whose id starts with `prefix`). */
export function refTo(json: TfJson, type: string, attribute: string, prefix = ''): string {
  return `\${${addressOf(json, type, prefix)}.${attribute}}`;
}

export interface PolicyStatementJson {
  sid: string;
  actions: string[];
  resources: string[];
  condition?: { test: string; variable: string; values: string[] }[];
}

/** Statements of the one `aws_iam_role_policy` whose logical id starts with `prefix`. */
export function rolePolicyStatements(json: TfJson, prefix: string): PolicyStatementJson[] {
  const policy = json.resource.aws_iam_role_policy![idOf(json, 'aws_iam_role_policy', prefix)]!;
  return policyDocumentOf(json, policy.policy).statement;
}

/** The trust statement of the one `aws_iam_role` whose id starts with `prefix`: who may assume it, on what condition. */
export function trustOf(json: TfJson, prefix = ''): { principals: { type: string; identifiers: string[] }[]; condition?: PolicyStatementJson['condition'] } {
  const role = json.resource.aws_iam_role![idOf(json, 'aws_iam_role', prefix)]!;
  const statements = policyDocumentOf(json, role.assume_role_policy).statement;
  if (statements.length !== 1) throw new Error(`expected one trust statement, found ${statements.length}`);
  return statements[0];
}

/** A construct synthesized alone: the string for cdktf's matchers, and its JSON. */
export interface ScopeSynth {
  readonly synth: string;
  readonly json: TfJson;
}

/** `Testing.synthScope`: builds constructs in an empty test stack and synthesizes it. */
export function synthScope(build: (scope: Construct) => void): ScopeSynth {
  const synth = synthScopeJson(build);
  return { synth, json: JSON.parse(synth) as TfJson };
}

/** The data key most constructs encrypt with, id `key`. */
export function testKey(scope: Construct): DataKey {
  return new DataKey(scope, 'key', { alias: 'test-data' });
}

/** A Database (id `database`) on the given key or a test key, with stand-in VPC and subnets in two zones. */
export function testDatabase(scope: Construct, props: Partial<DatabaseProps> = {}): Database {
  return new Database(scope, 'database', {
    identifier: 'sps-test',
    vpcId: 'vpc-test',
    subnetIds: ['subnet-a', 'subnet-b'],
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    kmsKey: props.kmsKey ?? testKey(scope),
    engineVersion: '16.6',
    minCapacity: 0.5,
    maxCapacity: 4,
    databaseName: 'app',
    masterUsername: 'app_admin',
    logRetentionDays: 14,
    ...props,
  });
}

/**
 * Stand-in zips for ServiceFunction tests: real files (a TerraformAsset reads
 * its path at synth) with their real SHA-256, and no bundling.
 */
export class FakeArchives {
  private dir = tempDir('construct');

  archive(name: string, options: { mapBytes?: number } = {}): FunctionArchive {
    const zipFile = join(this.dir, `${name}.zip`);
    const content = `stand-in zip of ${name}`;
    writeFileSync(zipFile, content);
    const digest = createHash('sha256').update(content).digest();
    return {
      name,
      outdir: this.dir,
      entryFile: join(this.dir, `${name}.mjs`),
      handler: `${name}.handler`,
      files: [`${name}.mjs`],
      imported: [],
      bytes: content.length,
      mapBytes: options.mapBytes ?? 0,
      zipFile,
      zipBytes: content.length,
      sha256Base64: digest.toString('base64'),
      sha256Hex: digest.toString('hex'),
    };
  }
}

/** A ServiceFunction with the fewest props it needs (stand-in subnets and group), id `name`. */
export function testFunction(scope: Construct, archives: FakeArchives, name: string, props: Partial<ServiceFunctionProps> = {}): ServiceFunction {
  return new ServiceFunction(scope, name, {
    functionName: `test-${name}`,
    code: archives.archive(name),
    memoryMb: 256,
    timeoutSeconds: 10,
    subnetIds: ['subnet-a', 'subnet-b'],
    securityGroupIds: ['sg-functions'],
    environment: {},
    logRetentionDays: 14,
    ...props,
  });
}

/**
 * The permissions-boundary tests of a construct that owns one IAM role (the
 * stack gives every role the environment's boundary): none by default, and
 * the given one on the role.
 */
export function permissionsBoundaryTests(role: string, synth: (props: { permissionsBoundary?: string }) => ScopeSynth): void {
  test(`${role} has no permissions boundary by default`, () => {
    expect(onlyResource(synth({}).json, 'aws_iam_role').permissions_boundary).toBeUndefined();
  });

  test(`GIVEN permissionsBoundary WHEN synthesized THEN ${role} carries the boundary`, () => {
    const boundary = 'arn:aws:iam::111122223333:policy/sps-test-boundary';
    expect(onlyResource(synth({ permissionsBoundary: boundary }).json, 'aws_iam_role').permissions_boundary).toBe(boundary);
  });
}
