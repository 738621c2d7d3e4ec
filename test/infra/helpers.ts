/**
 * Test helpers: synthesize a PlatformStack for a (possibly modified) environment
 * on the fixture registry, bundles built once per test file into a temp dir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import type { FunctionArchive } from '../../infra/bundling';
import { environments, parseEnvironmentConfig, type EnvironmentConfig, type EnvironmentConfigInput } from '../../infra/config';
import { bundleAll, PlatformStack, type PlatformStackProps } from '../../infra/stack';
import type { RouteDefinition, TaskDefinition } from '../../functions/registry-types';
import { fixtureFunctionsDir, fixtureRoutes, fixtureTasks } from './fixtures/registry';

export type TfJson = {
  resource: Record<string, Record<string, Record<string, any>>>;
  data?: Record<string, Record<string, Record<string, any>>>;
  output?: Record<string, Record<string, any>>;
  provider: Record<string, Record<string, any>[]>;
  terraform: Record<string, any>;
};

export class FixtureBundles {
  private dir = mkdtempSync(join(tmpdir(), 'sps-infra-test-'));
  readonly archives: Map<string, FunctionArchive>;
  constructor(fns: readonly (RouteDefinition | TaskDefinition)[] = [...fixtureRoutes, ...fixtureTasks]) {
    this.archives = bundleAll(fns, { functionsDir: fixtureFunctionsDir, outRoot: this.dir });
  }
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A config built from `dev` or `prod` plus overrides, validated like the real ones. */
export function configFor(base: 'dev' | 'prod', overrides: Partial<EnvironmentConfigInput> = {}): EnvironmentConfig {
  return parseEnvironmentConfig({ ...environments[base], ...overrides }, base);
}

export interface SynthResult {
  readonly stack: PlatformStack;
  /** `Testing.synth` output, for cdktf's jest matchers. */
  readonly synth: string;
  readonly json: TfJson;
}

export function synthStack(
  config: EnvironmentConfig,
  bundles: FixtureBundles,
  props: Partial<PlatformStackProps> = {},
): SynthResult {
  const app = Testing.app();
  const stack = new PlatformStack(app, config.name, {
    config,
    routes: fixtureRoutes,
    tasks: fixtureTasks,
    functionsDir: fixtureFunctionsDir,
    archives: bundles.archives,
    stateBackend: {},
    ...props,
  });
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
