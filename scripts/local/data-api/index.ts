/**
 * A local RDS Data API endpoint that runs statements on the embedded Postgres.
 *
 * It speaks the REST-JSON protocol the real `@aws-sdk/client-rds-data` client
 * uses (POST /Execute, /BatchExecute, /BeginTransaction, /CommitTransaction,
 * /RollbackTransaction; operations.ts) and implements only what our Data API
 * adapter needs: named `:param` substitution from typed SqlParameter values
 * with typeHint casts (parameters.ts), results as Field unions or
 * `formattedRecords` JSON, `numberOfRecordsUpdated`, `columnMetadata` on
 * request (results.ts), and one dedicated connection per transactionId
 * (connections.ts).
 *
 * As the service, it logs in to Postgres with the login in the request's
 * `secretArn` (read from the local Secrets Manager), so a function gets exactly
 * the rights of the role its secret is for; and it authorises the caller (by
 * the access key of its SigV4 header; signatures are not verified) for
 * `rds-data:<Action>` on the cluster and `secretsmanager:GetSecretValue` on the
 * secret, with the grants the stack gives that function (LocalIam; login.ts).
 * Without a secrets store (protocol tests) it logs in with `pg`'s login.
 *
 * Errors are shaped as the service returns them: HTTP 400 with the
 * `x-amzn-errortype` header and `{"message": ...}`. SQL errors are
 * `DatabaseErrorException` (what Aurora Serverless v2 and provisioned clusters
 * return; `BadRequestException` is what v1 returned) with the Postgres message
 * followed by `; SQLState: <code>`. Call errors (missing fields, bad
 * parameters) are `BadRequestException`; an unknown or expired transaction is
 * `TransactionNotFoundException` (errors.ts).
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { accessKeyOf, type LocalIam } from '../iam';
import type { LocalSecrets } from '../secrets';
import { Connections, type DataApiPgConnection } from './connections';
import { serviceError } from './errors';
import { OPERATIONS, type OperationContext } from './operations';

export type { DataApiPgConnection } from './connections';

export interface DataApiServerOptions {
  /** Where the statements run. */
  readonly pg: DataApiPgConnection;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** Connections of the autocommit pool (per database). @default 20 */
  readonly poolSize?: number;
  /** A transaction idle this long is rolled back, as the service does after 3 minutes. @default 180000 */
  readonly transactionIdleTimeoutMs?: number;
  /** Where `secretArn` logins are read; with `iam`, callers are authorised. @default - log in with `pg`'s user */
  readonly secrets?: LocalSecrets;
  readonly iam?: LocalIam;
}

export interface DataApiServer {
  /** Base URL to pass as the client's `endpoint` (and as `RDS_DATA_ENDPOINT`). */
  readonly url: string;
  readonly port: number;
  /** Open transactions (for tests and diagnostics). */
  openTransactions(): number;
  /** Rolls back open transactions, closes connections and the listener. */
  close(): Promise<void>;
}

export async function startDataApiServer(options: DataApiServerOptions): Promise<DataApiServer> {
  const connections = new Connections(options.pg, options.poolSize ?? 20, options.transactionIdleTimeoutMs ?? 180_000);
  const ctx: OperationContext = { connections, logins: options };
  const server = http.createServer((req, res) => handle(ctx, req, res));
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${host}:${port}`,
    port,
    openTransactions: () => connections.openTransactions,
    async close() {
      await connections.rollbackAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await connections.endPools();
    },
  };
}

/** Reads the request's JSON body and answers with its operation's result or error. */
function handle(ctx: OperationContext, req: http.IncomingMessage, res: http.ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const path = (req.url ?? '/').split('?')[0]!;
    const op = req.method === 'POST' ? OPERATIONS[path] : undefined;
    if (!op) {
      send(res, 404, { message: `Unknown operation ${req.method} ${path}` }, 'UnknownOperationException');
      return;
    }
    let body: Record<string, unknown>;
    try {
      const text = Buffer.concat(chunks).toString('utf8');
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
    } catch {
      send(res, 400, { message: 'Request body is not a JSON object' }, 'SerializationException');
      return;
    }
    op(ctx, body, accessKeyOf(req.headers.authorization)).then(
      (result) => send(res, 200, result),
      (err: unknown) => {
        const e = serviceError(err);
        send(res, e.status, { message: e.message }, e.type);
      },
    );
  });
}

function send(res: http.ServerResponse, status: number, body: unknown, errorType?: string): void {
  const payload = JSON.stringify(body);
  const headers: http.OutgoingHttpHeaders = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': randomUUID(),
  };
  if (errorType) headers['x-amzn-errortype'] = errorType;
  res.writeHead(status, headers);
  res.end(payload);
}
