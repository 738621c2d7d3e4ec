/**
 * What a person sees from the real cdktf CLI (node_modules/cdktf-cli) and the
 * app runner: a clean synth (no checkpoint network error, no deprecation
 * warning), a configuration error printed once as its message, and one line
 * saying what to set when `cdktf diff|deploy` finds no AWS credentials.
 * Nothing here reaches beyond loopback.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { BUILD_DIR, REPO_ROOT } from '../../infra/paths';
import { cdktfCommandOf, credentialSource, CredentialsError, requireCredentialsForCommand } from '../../infra/credentials';

const CDKTF = join(REPO_ROOT, 'node_modules', 'cdktf-cli', 'bundle', 'bin', 'cdktf');
const APP_COMMAND = (JSON.parse(readFileSync(join(REPO_ROOT, 'cdktf.json'), 'utf8')) as { app: string }).app;

let dir: string;
let entries: string;
let metadata: Server;
let metadataUrl: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sps-cli-output-'));
  // App entries must sit in the repository, where the runner resolves our modules.
  mkdirSync(BUILD_DIR, { recursive: true });
  entries = mkdtempSync(join(BUILD_DIR, 'cli-output-test-'));
  // An instance metadata service with no role for us (what a laptop or a CI container answers, if anything).
  metadata = createServer((_req, res) => res.writeHead(403).end());
  await new Promise<void>((r) => metadata.listen(0, '127.0.0.1', r));
  metadataUrl = `http://127.0.0.1:${(metadata.address() as AddressInfo).port}`;
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (entries) rmSync(entries, { recursive: true, force: true });
  await new Promise((r) => metadata?.close(r));
});

/** The environment of someone without AWS credentials on this machine, network-free. */
function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: dir, npm_config_update_notifier: 'false', AWS_EC2_METADATA_SERVICE_ENDPOINT: metadataUrl };
  for (const key of Object.keys(env)) if (key.startsWith('AWS_') && key !== 'AWS_EC2_METADATA_SERVICE_ENDPOINT') delete env[key];
  delete env.CHECKPOINT_DISABLE;
  delete env.TF_CLI_CONFIG_FILE; // the machine's, possibly pointing nowhere (terraform warns about it)
  return { ...env, ...extra };
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d));
    child.stderr.on('data', (d: Buffer) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** The CLI's output as a person reads it: no colours, no spinner frames, no blank lines. */
function readable(output: string): string[] {
  return output
    .replace(/\x1b\[[0-9;]*[A-Za-z]/g, '') // eslint-disable-line no-control-regex
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l && !/^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]\s+(Starting|Synthesizing|Processing)/.test(l));
}

test('npm run synth prints only the stacks it generated: no checkpoint network error, no deprecation warning', async () => {
  const out = join(dir, 'synth-out');
  const { code, output } = await run('npm', ['run', '--silent', 'synth', '--', '--output', out], userEnv());
  expect(code).toBe(0);
  expect(output).not.toMatch(/checkpoint|DEP0044|DeprecationWarning/);
  expect(readable(output)).toEqual(['Generated Terraform code for the stacks: dev, prod']);
}, 120_000);

describe('a configuration error', () => {
  let entry: string;
  beforeAll(() => {
    entry = join(entries, 'broken-config.ts');
    writeFileSync(
      entry,
      [
        "import { parseEnvironmentConfig } from '../../infra/config';",
        "import { environments } from '../../infra/config/environments';",
        "parseEnvironmentConfig({ ...environments.dev, corsOrigins: ['*'] });",
      ].join('\n'),
    );
  });
  const MESSAGE = [
    'Invalid configuration for environment "dev":',
    '  - corsOrigins[0]: list exact origins such as "https://app.example.com"; "*" is not allowed (received "*")',
  ].join('\n');

  test('run by the app command, prints its message once on stderr, without stack frames, and exits 1', () => {
    const [node, ...args] = APP_COMMAND.split(' ');
    const r = spawnSync(node === 'node' ? process.execPath : node!, [...args.slice(0, -1), relative(REPO_ROOT, entry)], {
      cwd: REPO_ROOT,
      env: { ...process.env, CDKTF_OUTDIR: join(dir, 'direct-out') },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`${MESSAGE}\n`);
  });

  test('under cdktf synth, prints its message once, without stack frames', async () => {
    const app = APP_COMMAND.replace('infra/main.ts', relative(REPO_ROOT, entry));
    const { code, output } = await run(process.execPath, [CDKTF, 'synth', '--app', app, '--output', join(dir, 'broken-out')], userEnv({ CHECKPOINT_DISABLE: '1' }));
    expect(code).toBe(1);
    const lines = readable(output);
    expect(lines.join('\n')).toBe(
      `ERROR [config]: ${MESSAGE}\nError: While synthesizing one or more error annotations have been encountered. Please check the log output above.`,
    );
  }, 120_000);
});

describe('cdktf diff and deploy without AWS credentials', () => {
  test.each([
    ['diff', ['diff', 'dev']],
    ['deploy', ['deploy', 'dev', '--auto-approve']],
  ])('cdktf %s prints one line saying what to set, before Terraform runs', async (command, args) => {
    const { code, output } = await run(process.execPath, [CDKTF, ...args, '--output', join(dir, `${command}-out`)], userEnv({ CHECKPOINT_DISABLE: '1' }));
    expect(code).toBe(1);
    const line = new CredentialsError(command, 'dev').message;
    expect(line).toBe(
      `No AWS credentials for \`cdktf ${command}\`: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or run it in CI with the environment's plan or apply role (docs/ci-cd.md); to plan without an AWS account, run \`npm run plan:offline -- dev\``,
    );
    expect(readable(output)).toEqual([
      `ERROR [credentials]: ${line}`,
      'Error: While synthesizing one or more error annotations have been encountered. Please check the log output above.',
    ]);
  }, 120_000);

  test('finds the command and the stack in the CLI command line', () => {
    expect(cdktfCommandOf(['node', '/repo/node_modules/.bin/cdktf', 'diff', 'dev'])).toEqual({ command: 'diff', stack: 'dev' });
    expect(cdktfCommandOf(['node', 'cdktf', 'deploy', '--app', 'node scripts/app.mjs infra/main.ts', 'prod'])).toEqual({ command: 'deploy', stack: 'prod' });
    expect(cdktfCommandOf(['node', 'scripts/app.mjs', 'infra/main.ts'])).toBeUndefined();
  });

  test('synth needs no credentials; any source of the provider chain counts as one', async () => {
    await expect(requireCredentialsForCommand({ command: 'synth' }, userEnv())).resolves.toBeUndefined();
    const none = userEnv();
    expect(await credentialSource(none, dir)).toBeUndefined();
    expect(await credentialSource({ ...none, AWS_PROFILE: 'dev' }, dir)).toBe('AWS_PROFILE');
    expect(await credentialSource({ ...none, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' }, dir)).toBe('AWS_ACCESS_KEY_ID');
    expect(await credentialSource({ ...none, AWS_WEB_IDENTITY_TOKEN_FILE: '/token' }, dir)).toBe('AWS_WEB_IDENTITY_TOKEN_FILE');
    expect(await credentialSource({ ...none, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/creds' }, dir)).toBe('container credentials');
    const home = mkdtempSync(join(dir, 'home-'));
    mkdirSync(join(home, '.aws'));
    writeFileSync(join(home, '.aws', 'config'), '[profile default]\nsso_session = corp\n');
    expect(await credentialSource(none, home)).toBe(`the default profile in ${join(home, '.aws', 'config')}`);
    await expect(requireCredentialsForCommand({ command: 'diff', stack: 'prod' }, none)).rejects.toThrow('`npm run plan:offline -- prod`');
  });

  test('an EC2 instance role counts, asked of the metadata service with an IMDSv2 token; AWS_EC2_METADATA_DISABLED skips it', async () => {
    const requests: string[] = [];
    const imds = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      if (req.method === 'PUT' && req.url === '/latest/api/token') res.end('token-1');
      else if (req.url === '/latest/meta-data/iam/security-credentials/' && req.headers['x-aws-ec2-metadata-token'] === 'token-1') res.end('ci-runner-role');
      else res.writeHead(401).end();
    });
    await new Promise<void>((r) => imds.listen(0, '127.0.0.1', r));
    try {
      const endpoint = `http://127.0.0.1:${(imds.address() as AddressInfo).port}`;
      expect(await credentialSource(userEnv({ AWS_EC2_METADATA_SERVICE_ENDPOINT: endpoint }), dir)).toBe('the EC2 instance role');
      expect(requests).toEqual(['PUT /latest/api/token', 'GET /latest/meta-data/iam/security-credentials/']);
      requests.length = 0;
      expect(await credentialSource(userEnv({ AWS_EC2_METADATA_SERVICE_ENDPOINT: endpoint, AWS_EC2_METADATA_DISABLED: 'true' }), dir)).toBeUndefined();
      expect(requests).toEqual([]);
    } finally {
      await new Promise((r) => imds.close(r));
    }
  });
});

test('every workflow that runs cdktf turns its checkpoint call off', () => {
  for (const file of ['pull-request.yml', 'terraform-plan.yml', 'deploy.yml']) {
    const text = readFileSync(join(REPO_ROOT, '.github', 'workflows', file), 'utf8');
    if (text.includes('cdktf')) expect(text).toMatch(/^env:\n(?: {2}.*\n)*? {2}CHECKPOINT_DISABLE: "1"$/m);
  }
});
