/**
 * A local Secrets Manager: the secrets the stack creates (the RDS-managed
 * master secret, the application role's secret, created empty), kept in
 * `<dataDir>/secrets.json` (mode 600) so a role's password survives restarts
 * as its Postgres role does.
 *
 * Functions reach it with the real `@aws-sdk/client-secrets-manager` through
 * AWS's standard `AWS_ENDPOINT_URL_SECRETS_MANAGER` (JSON 1.1 protocol,
 * GetSecretValue / PutSecretValue / DescribeSecret), and every call is checked
 * against the caller's grants (LocalIam): the migration task may write the
 * application secret, no function may read the master secret. Signatures are
 * not verified; the access key names the caller. The RDS Proxy emulator and
 * the local Data API read the secrets in-process, as the services do.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { accessKeyOf, type LocalIam } from './iam';

export interface DatabaseLogin {
  readonly username: string;
  readonly password: string;
}

interface StoredSecret {
  arn: string;
  name: string;
  description?: string;
  createdDate: number;
  /** Current value (AWSCURRENT), if any. */
  value?: { versionId: string; secretString: string; createdDate: number };
}

export class SecretError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const NOT_FOUND = "Secrets Manager can't find the specified secret.";
const NO_VALUE = "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT";

export class LocalSecrets {
  private readonly secrets = new Map<string, StoredSecret>();

  constructor(
    private readonly file: string,
    private readonly region: string,
    private readonly accountId: string,
  ) {
    if (existsSync(file)) {
      for (const s of JSON.parse(readFileSync(file, 'utf8')) as StoredSecret[]) this.secrets.set(s.arn, s);
    }
  }

  /** The secret named `name`, created (without a value) when missing, as `aws_secretsmanager_secret` does. Returns its ARN. */
  async ensure(name: string, description?: string): Promise<string> {
    const found = [...this.secrets.values()].find((s) => s.name === name);
    if (found) return found.arn;
    // Secrets Manager appends a dash and six random characters to the name.
    const arn = `arn:aws:secretsmanager:${this.region}:${this.accountId}:secret:${name}-${randomBytes(4).toString('base64url').slice(0, 6)}`;
    this.secrets.set(arn, { arn, name, description, createdDate: Date.now() / 1000 });
    await this.save();
    return arn;
  }

  private find(secretId: string): StoredSecret {
    const secret = this.secrets.get(secretId) ?? [...this.secrets.values()].find((s) => s.name === secretId);
    if (!secret) throw new SecretError('ResourceNotFoundException', NOT_FOUND);
    return secret;
  }

  /** The secret's current value, as GetSecretValue returns it. */
  getValue(secretId: string): { arn: string; name: string; versionId: string; secretString: string; createdDate: number } {
    const secret = this.find(secretId);
    if (!secret.value) throw new SecretError('ResourceNotFoundException', NO_VALUE);
    return { arn: secret.arn, name: secret.name, ...secret.value };
  }

  async putValue(secretId: string, secretString: string): Promise<{ arn: string; name: string; versionId: string }> {
    const secret = this.find(secretId);
    const versionId = randomUUID();
    secret.value = { versionId, secretString, createdDate: Date.now() / 1000 };
    await this.save();
    return { arn: secret.arn, name: secret.name, versionId };
  }

  /** A database login from a secret, as RDS Proxy and the Data API read it; undefined when it has none. */
  login(secretId: string): DatabaseLogin | undefined {
    try {
      const value = JSON.parse(this.getValue(secretId).secretString) as Partial<DatabaseLogin>;
      return typeof value.username === 'string' && typeof value.password === 'string' ? { username: value.username, password: value.password } : undefined;
    } catch {
      return undefined;
    }
  }

  describe(secretId: string): StoredSecret {
    return this.find(secretId);
  }

  private async save(): Promise<void> {
    const tmp = `${this.file}.${process.pid}.tmp`;
    await fs.writeFile(tmp, JSON.stringify([...this.secrets.values()], null, 2), { mode: 0o600 });
    await fs.rename(tmp, this.file);
  }
}

export interface SecretsEndpoint {
  /** For AWS_ENDPOINT_URL_SECRETS_MANAGER. */
  readonly url: string;
  close(): Promise<void>;
}

function deny(principal: string, action: string, arn: string): SecretError {
  return new SecretError(
    'AccessDeniedException',
    `User: arn:aws:sts::000000000000:assumed-role/${principal}/${principal} is not authorized to perform: ${action} on resource: ${arn} because no identity-based policy allows the ${action} action`,
  );
}

/** Serves `secrets` to SDK clients, authorising each call with `iam`. */
export async function startSecretsEndpoint(secrets: LocalSecrets, iam: LocalIam, port = 0): Promise<SecretsEndpoint> {
  const handle = async (operation: string, input: Record<string, unknown>, accessKeyId: string | undefined): Promise<unknown> => {
    const secretId = String(input.SecretId ?? '');
    if (!secretId) throw new SecretError('ValidationException', '1 validation error detected: Value null at \'secretId\' failed to satisfy constraint: Member must not be null');
    const action = `secretsmanager:${operation}`;
    const arn = secrets.describe(secretId).arn;
    if (!accessKeyId || !iam.allows(accessKeyId, action, arn)) throw deny(iam.principal(accessKeyId ?? '')?.name ?? 'unknown', action, arn);
    switch (operation) {
      case 'GetSecretValue': {
        const v = secrets.getValue(secretId);
        return { ARN: v.arn, Name: v.name, VersionId: v.versionId, SecretString: v.secretString, VersionStages: ['AWSCURRENT'], CreatedDate: v.createdDate };
      }
      case 'PutSecretValue': {
        if (typeof input.SecretString !== 'string') throw new SecretError('InvalidRequestException', 'You must provide either SecretString or SecretBinary.');
        const v = await secrets.putValue(secretId, input.SecretString);
        return { ARN: v.arn, Name: v.name, VersionId: v.versionId, VersionStages: ['AWSCURRENT'] };
      }
      case 'DescribeSecret': {
        const s = secrets.describe(secretId);
        return { ARN: s.arn, Name: s.name, Description: s.description, CreatedDate: s.createdDate };
      }
      default:
        throw new SecretError('UnknownOperationException', `${operation} is not supported by the local Secrets Manager`);
    }
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? '').replace(/^secretsmanager\./, '');
      let input: Record<string, unknown> = {};
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        /* validated below */
      }
      handle(operation, input, accessKeyOf(req.headers.authorization)).then(
        (out) => {
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify(out));
        },
        (err: Error) => {
          const type = err instanceof SecretError ? err.type : 'InternalServiceError';
          res.writeHead(err instanceof SecretError ? 400 : 500, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type });
          res.end(JSON.stringify({ __type: type, message: err.message }));
        },
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
