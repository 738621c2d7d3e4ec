/**
 * The fixture stack with its web front end on (fixture app, fixture build),
 * planned offline like the real app; and a prior state made from a plan, so a
 * second plan shows what Terraform would really change on the next apply.
 *
 * Offline nothing can be applied, so `stateFromPlan` writes the state an
 * apply of the first plan would leave for the resources a test keeps: the
 * planned values, and for each value known only after apply, a stand-in of
 * its schema type (`terraform providers schema -json`), or the value given in
 * `known` (a bucket's generated name, which its objects reference). The
 * second plan runs with -refresh=false on that state.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'cdktf';
import { terraformEnv, type PlannedResource, type TerraformPlanJson } from '../../scripts/plan-offline-lib';
import { configFor, fixtureStack, type FixtureBundles } from './helpers';

/** Synthesizes the fixture `dev` stack with `web.enabled` and `webDir` into `outdir` (as `cdktf synth` writes it). */
export function synthWebStack(bundles: FixtureBundles, webDir: string, outdir: string): string {
  const app = new App({ outdir, stackTraces: false });
  fixtureStack(app, configFor('dev', { web: { enabled: true } }), bundles, { webDir });
  app.synth();
  return outdir;
}

type Schema = { block: { attributes?: Record<string, { type: unknown }>; block_types?: Record<string, unknown> } };

/** Resource schemas of hashicorp/aws, read in an initialized work dir. */
export function resourceSchemas(workDir: string): Record<string, Schema> {
  const out = execFileSync('terraform', ['providers', 'schema', '-json'], { cwd: workDir, env: terraformEnv(), maxBuffer: 256 * 1024 * 1024 });
  return JSON.parse(out.toString()).provider_schemas['registry.terraform.io/hashicorp/aws'].resource_schemas;
}

/** A stand-in for a value known only after apply, of the attribute's type. */
function standIn(name: string, type: unknown): unknown {
  if (type === 'string') return `offline-${name}`;
  if (type === 'bool') return false;
  if (type === 'number') return 0;
  if (Array.isArray(type) && (type[0] === 'list' || type[0] === 'set')) return [];
  if (Array.isArray(type) && type[0] === 'map') return {};
  return null;
}

function applied(resource: PlannedResource, schema: Schema, unknown: Record<string, unknown>, known: Record<string, unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = { ...resource.values };
  for (const [name, attribute] of Object.entries(schema.block.attributes ?? {})) {
    if (name in known) values[name] = known[name];
    else if (unknown[name] === true) values[name] = standIn(name, attribute.type);
    else if (!(name in values)) values[name] = null;
  }
  for (const name of Object.keys(schema.block.block_types ?? {})) if (unknown[name] === true || !(name in values)) values[name] = [];
  return values;
}

/**
 * Writes `<workDir>/offline.tfstate`: the resources of `plan` that `keep`
 * selects, as an apply would leave them; `known(resource)` gives the values
 * to use for some of the attributes known only after apply.
 */
export function stateFromPlan(
  plan: TerraformPlanJson,
  schemas: Record<string, Schema>,
  workDir: string,
  keep: (r: PlannedResource) => boolean,
  known: (r: PlannedResource) => Record<string, unknown> = () => ({}),
): void {
  const unknownOf = new Map((plan.resource_changes ?? []).map((r) => [r.address, (r.change.after_unknown ?? {}) as Record<string, unknown>]));
  const resources = (plan.planned_values.root_module.resources ?? []).filter((r) => r.mode === 'managed' && keep(r)).map((r) => ({
    mode: 'managed',
    type: r.type,
    name: r.name,
    provider: 'provider["registry.terraform.io/hashicorp/aws"]',
    instances: [{ schema_version: (r as { schema_version?: number }).schema_version ?? 0, attributes: applied(r, schemas[r.type]!, unknownOf.get(r.address) ?? {}, known(r)), sensitive_attributes: [] }],
  }));
  const state = { version: 4, terraform_version: plan.terraform_version, serial: 1, lineage: randomUUID(), outputs: {}, resources };
  writeFileSync(join(workDir, 'offline.tfstate'), JSON.stringify(state));
}
