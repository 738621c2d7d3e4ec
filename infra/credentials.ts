/**
 * `cdktf diff|deploy` (and `plan`, `apply`, `destroy`, `watch`) without any AWS
 * credentials: one line that says what to set, instead of the provider's
 * "No valid credential sources found" block that Terraform prints, twice,
 * after init. `synth` needs no credentials and is never checked.
 *
 * The app is not told which command runs it (cdktf 0.21 gives it only
 * CDKTF_OUTDIR, CDKTF_CONTEXT_JSON, CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS
 * and SYNTH_HCL_OUTPUT: @cdktf/cli-core src/lib/synth-stack.ts in
 * node_modules/cdktf-cli/bundle/bin/cmds/handlers.js.map), so it reads the
 * command line of the cdktf process above it.
 *
 * "Any credentials" follows the provider's chain (hashicorp/aws docs,
 * "Authentication and Configuration"): environment keys, a profile
 * (AWS_PROFILE, or a default profile in the shared files), web identity,
 * container credentials, then an EC2 instance role, asked of the instance
 * metadata service as the provider does (AWS_EC2_METADATA_DISABLED and
 * AWS_EC2_METADATA_SERVICE_ENDPOINT honoured). Whether the credentials found
 * work is left to the provider: this catches only "none at all".
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';

/** The cdktf commands that run Terraform against AWS. */
const AWS_COMMANDS = new Set(['diff', 'plan', 'deploy', 'apply', 'destroy', 'watch']);

/** No AWS credentials for a command that needs them; the message says what to set. */
export class CredentialsError extends Error {
  constructor(
    readonly command: string,
    /** The stack the command was given, if any (named in the plan:offline hint). */
    readonly environment: string | undefined,
  ) {
    super(
      `No AWS credentials for \`cdktf ${command}\`: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or run it in CI with the environment's plan or apply role (docs/ci-cd.md); to plan without an AWS account, run \`npm run plan:offline${environment ? ` -- ${environment}` : ''}\``,
    );
    this.name = 'CredentialsError';
  }
}

/** The cdktf command and stack in a command line (`node …/cdktf diff dev`), if it is one. */
export function cdktfCommandOf(argv: readonly string[]): { command: string; stack?: string } | undefined {
  const at = argv.findIndex((a, i) => i > 0 && /^cdktf(\.js)?$/.test(basename(a)));
  if (at < 0) return undefined;
  const [command, ...rest] = argv.slice(at + 1).filter((a) => !a.startsWith('-'));
  // A stack name, not the value of an option such as --app "node scripts/app.mjs …".
  return command ? { command, stack: rest.find((a) => /^[\w-]+$/.test(a)) } : undefined;
}

/** The command line of the cdktf process running this app (a parent or grandparent), if any. */
export function runningCdktfCommand(pid = process.ppid): { command: string; stack?: string } | undefined {
  for (let depth = 0; depth < 4 && pid > 1; depth++) {
    const info = processInfo(pid);
    if (!info) return undefined;
    const found = cdktfCommandOf(info.argv);
    if (found) return found;
    pid = info.ppid;
  }
  return undefined;
}

function processInfo(pid: number): { ppid: number; argv: string[] } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return { ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]), argv };
  } catch {
    try {
      // No /proc (macOS): ps gives the same, its arguments split on spaces.
      const [ppid, ...argv] = execFileSync('ps', ['-o', 'ppid=,args=', '-p', String(pid)], { encoding: 'utf8' }).trim().split(/\s+/);
      return { ppid: Number(ppid), argv };
    } catch {
      return undefined;
    }
  }
}

/** The first credential source the provider would find, or undefined when there is none. */
export async function credentialSource(env: NodeJS.ProcessEnv = process.env, home = homedir()): Promise<string | undefined> {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) return 'AWS_ACCESS_KEY_ID';
  if (env.AWS_PROFILE || env.AWS_DEFAULT_PROFILE) return 'AWS_PROFILE';
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE) return 'AWS_WEB_IDENTITY_TOKEN_FILE';
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI) return 'container credentials';
  const files = [env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials'), env.AWS_CONFIG_FILE || join(home, '.aws', 'config')];
  for (const file of files) {
    if (existsSync(file) && /^\s*\[(profile\s+)?default\]/m.test(readFileSync(file, 'utf8'))) return `the default profile in ${file}`;
  }
  if (env.AWS_EC2_METADATA_DISABLED?.toLowerCase() !== 'true' && (await instanceRole(env.AWS_EC2_METADATA_SERVICE_ENDPOINT || 'http://169.254.169.254'))) {
    return 'the EC2 instance role';
  }
  return undefined;
}

/** Whether the instance metadata service names an IAM role (IMDSv2, then v1). */
async function instanceRole(endpoint: string): Promise<boolean> {
  const base = endpoint.replace(/\/+$/, '');
  const ask = async (init: RequestInit & { headers?: Record<string, string> }, path: string) => {
    try {
      const res = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(1000) });
      return res.ok ? (await res.text()).trim() : undefined;
    } catch {
      return undefined;
    }
  };
  const token = await ask({ method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } }, '/latest/api/token');
  const role = await ask({ headers: token ? { 'x-aws-ec2-metadata-token': token } : {} }, '/latest/meta-data/iam/security-credentials/');
  return Boolean(role);
}

/**
 * Throws `CredentialsError` when this app runs under a cdktf command that
 * talks to AWS and no credential source exists.
 */
export async function requireCredentialsForCommand(
  running: { command: string; stack?: string } | undefined = runningCdktfCommand(),
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  if (!running || !AWS_COMMANDS.has(running.command)) return;
  if (!(await credentialSource(env))) throw new CredentialsError(running.command, running.stack);
}
