/**
 * The offline plan pipeline, shared by `npm run plan:offline` and the tests:
 * synth (the real app, infra/main.ts) → copy a stack into a work dir → switch
 * the provider to dummy credentials with the skip flags and the state to a
 * throw-away local backend → `terraform init` (from a local provider mirror
 * when there is one, see `pluginMirror`)
 * → `validate` → `plan` → `show -json`.
 *
 * Nothing here is baked into the real stacks: the offline settings are
 * applied to a copy of the synthesized JSON only.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { synthApp as synthAppInto } from '../infra/policy/synth';

const run = promisify(execFile);

/** Provider settings that let `terraform plan` run with no AWS account or network. */
export const OFFLINE_PROVIDER_SETTINGS = {
  access_key: 'offline-plan-dummy-access-key',
  secret_key: 'offline-plan-dummy-secret-key',
  skip_credentials_validation: true,
  skip_requesting_account_id: true,
  skip_metadata_api_check: 'true',
  skip_region_validation: true,
} as const;

/** The provider the stacks pin, as laid out in a Terraform filesystem mirror. */
const PROVIDER_PATH = join('registry.terraform.io', 'hashicorp', 'aws', '5.100.0');

/** Where `.ci/run` and these machines keep the provider mirror. */
export const KNOWN_MIRROR = '/opt/tf-plugins';

/**
 * Terraform's implied local mirror directories on Linux, in its own search
 * order (CLI configuration docs, "Implied Local Mirror Directories"):
 * `terraform.d/plugins` in the working directory, `~/.terraform.d/plugins`,
 * then `<XDG_DATA_HOME or ~/.local/share>/terraform/plugins` and each
 * `<XDG_DATA_DIRS entry>/terraform/plugins` (default /usr/local/share, /usr/share).
 */
export function impliedMirrors(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string[] {
  const home = env.HOME ?? '';
  const dataHome = env.XDG_DATA_HOME || join(home, '.local', 'share');
  const dataDirs = (env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':').filter(Boolean);
  return [
    join(cwd, 'terraform.d', 'plugins'),
    ...(home ? [join(home, '.terraform.d', 'plugins')] : []),
    join(dataHome, 'terraform', 'plugins'),
    ...dataDirs.map((d) => join(d, 'terraform', 'plugins')),
  ];
}

/**
 * Where `terraform init` takes the hashicorp/aws provider from: `TF_PLUGIN_MIRROR`
 * when set (an error when it lacks the provider), else the first of Terraform's
 * implied local mirrors and /opt/tf-plugins that holds aws 5.100.0, else
 * undefined: a normal `terraform init` that downloads it from the registry.
 */
export function pluginMirror(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = env.TF_PLUGIN_MIRROR;
  if (dir) {
    if (!existsSync(join(dir, PROVIDER_PATH))) {
      throw new Error(
        `TF_PLUGIN_MIRROR=${dir} has no ${PROVIDER_PATH}; create it with \`terraform providers mirror ${dir}\` on a machine with internet access, or unset TF_PLUGIN_MIRROR to let terraform download the provider.`,
      );
    }
    return dir;
  }
  return [...impliedMirrors(env), KNOWN_MIRROR].find((d) => existsSync(join(d, PROVIDER_PATH)));
}

/** Environment for terraform: no checkpoint calls, no user CLI config, no real AWS credentials. */
export function terraformEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_INPUT: '0', TF_CLI_CONFIG_FILE: '/dev/null' };
  for (const key of Object.keys(env)) {
    if (key.startsWith('AWS_') || key.startsWith('TF_VAR_') || key === 'TF_WORKSPACE') delete env[key];
  }
  env.AWS_CONFIG_FILE = '/dev/null';
  env.AWS_SHARED_CREDENTIALS_FILE = '/dev/null';
  env.AWS_EC2_METADATA_DISABLED = 'true';
  return env;
}

/** Synthesizes every stack of the real app (infra/main.ts) into `outdir`, in a child process. */
export async function synthApp(outdir: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<string[]> {
  synthAppInto({ outdir, env: extraEnv });
  return listStacks(outdir);
}

/** Stack names in a cdktf output dir. */
export function listStacks(outdir: string): string[] {
  const stacks = join(outdir, 'stacks');
  return existsSync(stacks) ? readdirSync(stacks).filter((s) => existsSync(join(stacks, s, 'cdk.tf.json'))).sort() : [];
}

/**
 * Copies `<outdir>/stacks/<stack>` to `workDir` (keeping `.terraform` from an
 * earlier run) and rewrites its JSON for an offline plan.
 */
export function prepareOfflineStack(outdir: string, stack: string, workDir: string): string {
  const src = join(outdir, 'stacks', stack);
  if (!existsSync(join(src, 'cdk.tf.json'))) throw new Error(`stack "${stack}" was not synthesized (no ${src}/cdk.tf.json)`);
  mkdirSync(workDir, { recursive: true });
  rmSync(join(workDir, 'assets'), { recursive: true, force: true });
  cpSync(src, workDir, { recursive: true });
  const file = join(workDir, 'cdk.tf.json');
  const tf = JSON.parse(readFileSync(file, 'utf8'));
  const providers = (tf.provider?.aws ?? []) as Record<string, unknown>[];
  for (const p of providers) Object.assign(p, OFFLINE_PROVIDER_SETTINGS);
  // Throw-away local state inside the work dir, whatever backend the stack uses.
  tf.terraform.backend = { local: { path: resolve(workDir, 'offline.tfstate') } };
  writeFileSync(file, JSON.stringify(tf, null, 2));
  return workDir;
}

async function terraform(workDir: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await run('terraform', args, { cwd: workDir, env, maxBuffer: 256 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string; code?: string };
    if (e.code === 'ENOENT') throw new Error('terraform is not on PATH; install Terraform >= 1.10');
    throw new Error(`terraform ${args[0]} failed in ${workDir}:\n${e.stderr || ''}${e.stdout || ''}`.trim());
  }
}

export interface OfflinePlan {
  readonly stack: string;
  /** `terraform show -json` of the saved plan. */
  readonly plan: TerraformPlanJson;
  /** Milliseconds spent in init, validate, plan and show. */
  readonly timings: Record<'init' | 'validate' | 'plan' | 'show', number>;
}

export interface PlannedResource {
  readonly address: string;
  readonly mode: 'managed' | 'data';
  readonly type: string;
  readonly name: string;
  readonly values: Record<string, unknown>;
}

export interface TerraformPlanJson {
  readonly format_version: string;
  readonly planned_values: { root_module: { resources?: PlannedResource[] } };
  readonly resource_changes?: { address: string; type: string; change: { actions: string[]; after?: unknown; after_unknown?: unknown } }[];
  readonly configuration: { root_module: { resources?: { address: string; type: string; expressions: Record<string, unknown> }[] } };
  readonly [key: string]: unknown;
}

export interface PlanOfflineOptions {
  /**
   * Refresh the state before planning. Offline there is nothing to refresh
   * from, so a plan against a prepared state (`offline.tfstate` in the work
   * dir) must turn it off.
   * @default true
   */
  readonly refresh?: boolean;
}

/** init (from the mirror), validate, plan, show -json, in `workDir`. */
export async function planOffline(stack: string, workDir: string, mirror: string | undefined = pluginMirror(), options: PlanOfflineOptions = {}): Promise<OfflinePlan> {
  const env = terraformEnv();
  const timings = { init: 0, validate: 0, plan: 0, show: 0 };
  const timed = async <T>(step: keyof typeof timings, fn: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await fn();
    } finally {
      timings[step] = Math.round(performance.now() - t);
    }
  };
  await timed('init', () => terraform(workDir, ['init', '-input=false', '-no-color', '-reconfigure', ...(mirror ? [`-plugin-dir=${mirror}`] : [])], env));
  await timed('validate', async () => {
    const out = await terraform(workDir, ['validate', '-no-color', '-json'], env);
    const result = JSON.parse(out) as { valid: boolean; diagnostics: { severity: string; summary: string; detail?: string }[] };
    if (!result.valid) {
      throw new Error(`terraform validate: ${result.diagnostics.map((d) => `${d.severity}: ${d.summary} ${d.detail ?? ''}`).join('\n')}`);
    }
  });
  const refresh = options.refresh === false ? ['-refresh=false'] : [];
  await timed('plan', () => terraform(workDir, ['plan', '-input=false', '-no-color', '-lock=false', ...refresh, '-out=offline.tfplan'], env));
  const json = await timed('show', () => terraform(workDir, ['show', '-json', '-no-color', 'offline.tfplan'], env));
  return { stack, plan: JSON.parse(json) as TerraformPlanJson, timings };
}

/** Resource counts by type, from a plan. */
export function countByType(plan: TerraformPlanJson): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of plan.planned_values.root_module.resources ?? []) {
    const key = r.mode === 'data' ? `data.${r.type}` : r.type;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}
