/**
 * A local RDS Proxy (PostgreSQL engine family) between the functions and the
 * embedded Postgres, faithful where a first deploy would otherwise fail:
 *
 * - TLS required: a plaintext StartupMessage gets the proxy's "This RDS Proxy
 *   requires TLS connections" (28000); the certificate chains to a CA made at
 *   start-up (certificates.ts), which functions trust via NODE_EXTRA_CA_CERTS;
 * - IAM authentication required: the password must be an RDS auth token for
 *   this host, port and user, unexpired, signed with the caller's local
 *   credentials, whose grants allow rds-db:connect as that user (iam-token.ts);
 *   the proxy then logs in to Postgres with the user's secret, as RDS Proxy
 *   does, and a user without a secret (or one without a value yet) is refused;
 * - startup parameters outside AWS's list are refused with the proxy's text
 *   and SQLSTATE (startup.ts);
 * - statements that would pin the session are reported once per cause and
 *   client (application_name: the function's name) (pinning.ts);
 * - when Postgres cannot be reached, a client waits up to the borrow timeout
 *   and gets "Timed-out waiting to acquire database connection.".
 *
 * Unlike RDS Proxy it does not multiplex: each client session has its own
 * Postgres connection for its lifetime (the reported pins are what would stop
 * the real proxy from sharing it). CancelRequest is not supported, as in RDS
 * Proxy for PostgreSQL.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { LocalIam } from '../iam';
import type { LocalSecrets } from '../secrets';
import { makeProxyCertificates, type ProxyCertificates } from './certificates';
import { verifyAuthToken } from './iam-token';
import { NAMED_PREPARED_STATEMENT, pinningCauses } from './pinning';
import { ACCEPTED_PARAMETERS, checkStartup, iamAuthFailed, noCredentials, TLS_REQUIRED, UNSUPPORTED_PROTOCOL, type StartupRefusal } from './startup';
import {
  authentication,
  errorFields,
  errorResponse,
  FrameReader,
  GSSENC_REQUEST,
  message,
  PacketReader,
  passwordOf,
  PROTOCOL_3_0,
  SSL_REQUEST,
  startupMessage,
  startupParameters,
  type Frame,
} from './wire';

export interface RdsProxyEmulatorOptions {
  /** Where Postgres listens (its port survives a restart of Postgres). */
  readonly upstream: { readonly host: string; readonly port: number };
  readonly secrets: LocalSecrets;
  /** Secrets registered in the proxy's `auth` (one per database user). */
  readonly authSecretArns: readonly string[];
  readonly iam: LocalIam;
  readonly region: string;
  readonly accountId: string;
  /** Folder for the CA file made at start-up. */
  readonly certificateDir: string;
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** Seconds a client waits for Postgres before "Timed-out waiting…". @default 120 */
  readonly connectionBorrowTimeoutSeconds?: number;
  /** A statement that would pin a session (reported once per cause and client). */
  readonly onPinned?: (event: { cause: string; client: string; statement: string }) => void;
  /** Why a connection was refused (the client only sees the proxy's generic text). */
  readonly onRefused?: (event: { user: string; reason: string }) => void;
}

export interface RdsProxyEmulator {
  readonly host: string;
  readonly port: number;
  /** `prx-…`, the id in `rds-db:connect` ARNs. */
  readonly proxyId: string;
  /** The file functions get as NODE_EXTRA_CA_CERTS. */
  readonly caFile: string;
  readonly caPem: string;
  /** `arn:aws:rds-db:<region>:<account>:dbuser:<proxyId>/<user>`. */
  dbUserArn(user: string): string;
  /** Open client sessions. */
  sessions(): number;
  close(): Promise<void>;
}

const BORROW_TIMED_OUT: StartupRefusal = { code: '08006', message: 'Timed-out waiting to acquire database connection.' };

function refuse(socket: net.Socket, refusal: StartupRefusal): void {
  socket.end(errorResponse(refusal.code, refusal.message));
}

/** Connects to Postgres and logs in as `login`, retrying a refused connection until `deadline`. */
async function loginUpstream(
  upstream: { host: string; port: number },
  params: ReadonlyMap<string, string>,
  password: string,
  deadline: number,
): Promise<{ socket: net.Socket; greeting: Frame[] } | { refusal: StartupRefusal }> {
  for (;;) {
    const attempt = await new Promise<{ socket: net.Socket; greeting: Frame[] } | { refusal: StartupRefusal } | 'retry'>((resolve) => {
      const socket = net.connect(upstream.port, upstream.host);
      const frames = new FrameReader();
      const greeting: Frame[] = [];
      let authenticated = false;
      const done = (value: { socket: net.Socket; greeting: Frame[] } | { refusal: StartupRefusal } | 'retry') => {
        socket.removeAllListeners('data');
        socket.removeAllListeners('error');
        socket.removeAllListeners('close');
        if (value === 'retry' || 'refusal' in value) socket.destroy();
        resolve(value);
      };
      socket.setNoDelay(true);
      socket.once('connect', () => socket.write(startupMessage(params)));
      socket.on('error', () => done('retry'));
      socket.on('close', () => done('retry'));
      socket.on('data', (chunk: Buffer) => {
        for (const frame of frames.push(chunk)) {
          if (frame.type === 'R' && !authenticated) {
            const code = frame.body.readInt32BE(0);
            if (code === 3) socket.write(message('p', Buffer.from(`${password}\0`)));
            else if (code === 0) {
              authenticated = true;
              greeting.push(frame);
            } else {
              done({ refusal: { code: '28000', message: `local Postgres asked for authentication method ${code}; the emulator logs in with a password (pg_hba "password" on loopback)` } });
              return;
            }
          } else if (frame.type === 'E') {
            const { code, message: text } = errorFields(frame.body);
            // Postgres still starting or shutting down: as unreachable.
            if (code === '57P03' || code === '57P01') {
              done('retry');
              return;
            }
            const role = params.get('user')!;
            done({ refusal: code === '28P01' ? { code: '28P01', message: `The password that was provided for the role ${role} is wrong.` } : { code: code ?? 'XX000', message: `Request returned an error: ${text ?? 'unknown error'}` } });
            return;
          } else {
            greeting.push(frame);
            if (frame.type === 'Z') {
              done({ socket, greeting });
              return;
            }
          }
        }
      });
    });
    if (attempt !== 'retry') return attempt;
    if (Date.now() + 100 > deadline) return { refusal: BORROW_TIMED_OUT };
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startRdsProxyEmulator(options: RdsProxyEmulatorOptions): Promise<RdsProxyEmulator> {
  const host = options.host ?? '127.0.0.1';
  const proxyId = 'prx-0123456789local';
  const dbUserArn = (user: string) => `arn:aws:rds-db:${options.region}:${options.accountId}:dbuser:${proxyId}/${user}`;
  const certificates: ProxyCertificates = await makeProxyCertificates(options.certificateDir, host);
  const secureContext = tls.createSecureContext({ cert: certificates.cert, key: certificates.key, minVersion: 'TLSv1.2' });
  const borrowMs = (options.connectionBorrowTimeoutSeconds ?? 120) * 1000;
  const reported = new Set<string>();
  const open = new Set<net.Socket>();
  const clients = new Set<net.Socket>();
  let port = 0;

  const pinned = (client: string, cause: string, statement: string) => {
    const key = `${client}\0${cause}`;
    if (reported.has(key)) return;
    reported.add(key);
    options.onPinned?.({ cause, client, statement: statement.replace(/\s+/g, ' ').trim().slice(0, 120) });
  };

  /** The secret registered for `user`, read as the proxy reads it. */
  const loginOf = (user: string) => {
    for (const arn of options.authSecretArns) {
      const login = options.secrets.login(arn);
      if (login?.username === user) return login;
    }
    return undefined;
  };

  /** TLS is up and the startup packet read: authenticate, log in upstream, relay. */
  const session = (client: tls.TLSSocket, packet: Buffer, pending: Buffer) => {
    if (packet.readInt32BE(4) !== PROTOCOL_3_0) return refuse(client, UNSUPPORTED_PROTOCOL);
    const params = startupParameters(packet);
    const refusal = checkStartup(params);
    if (refusal) return refuse(client, refusal);
    const user = params.get('user')!;
    const appName = params.get('application_name') || 'unnamed client';
    const frames = new FrameReader();
    let buffered: Frame[] = [];
    let stage: 'password' | 'login' | 'relay' = 'password';
    let upstream: net.Socket | undefined;

    const inspect = (frame: Frame) => {
      if (frame.type === 'Q') {
        const sql = frame.body.subarray(0, Math.max(0, frame.body.indexOf(0))).toString('utf8');
        for (const cause of pinningCauses(sql)) pinned(appName, cause, sql);
      } else if (frame.type === 'P') {
        const nameEnd = frame.body.indexOf(0);
        const name = frame.body.subarray(0, nameEnd).toString('utf8');
        const sqlEnd = frame.body.indexOf(0, nameEnd + 1);
        const sql = frame.body.subarray(nameEnd + 1, sqlEnd).toString('utf8');
        if (name) pinned(appName, NAMED_PREPARED_STATEMENT, sql);
        for (const cause of pinningCauses(sql)) pinned(appName, cause, sql);
      }
    };

    const onClientFrames = async (list: Frame[]): Promise<void> => {
      for (const frame of list) {
        if (stage === 'relay') {
          inspect(frame);
          upstream!.write(frame.bytes);
        } else if (stage === 'login') {
          buffered.push(frame);
        } else {
          if (frame.type !== 'p') {
            refuse(client, iamAuthFailed(user));
            return;
          }
          stage = 'login';
          const verdict = await verifyAuthToken(passwordOf(frame), {
            host,
            port,
            user,
            region: options.region,
            iam: options.iam,
            dbUserArn: dbUserArn(user),
          });
          if (!verdict.ok) {
            options.onRefused?.({ user, reason: verdict.reason });
            refuse(client, iamAuthFailed(user));
            return;
          }
          const login = loginOf(user);
          if (!login) {
            options.onRefused?.({ user, reason: `no secret registered on the proxy holds a login for ${user}` });
            refuse(client, noCredentials(user));
            return;
          }
          const forwarded = new Map([['user', user], ['database', params.get('database') || user]]);
          for (const [k, v] of params) if (ACCEPTED_PARAMETERS.get(k)?.forward) forwarded.set(k, v);
          const result = await loginUpstream(options.upstream, forwarded, login.password, Date.now() + borrowMs);
          if (client.destroyed) {
            if ('socket' in result) result.socket.destroy();
            return;
          }
          if ('refusal' in result) {
            refuse(client, result.refusal);
            return;
          }
          upstream = result.socket;
          open.add(upstream);
          for (const f of result.greeting) client.write(f.bytes);
          upstream.on('data', (chunk: Buffer) => client.write(chunk));
          upstream.on('error', () => client.destroy());
          upstream.on('close', () => {
            open.delete(upstream!);
            client.destroy();
          });
          stage = 'relay';
          const held = buffered;
          buffered = [];
          for (const f of held) {
            inspect(f);
            upstream.write(f.bytes);
          }
        }
      }
    };

    let chain = Promise.resolve();
    const onData = (chunk: Buffer) => {
      let list: Frame[];
      try {
        list = frames.push(chunk);
      } catch {
        client.destroy();
        return;
      }
      chain = chain
        .then(() => onClientFrames(list))
        .catch(() => {
          client.destroy();
        });
    };
    client.on('data', onData);
    client.on('close', () => upstream?.destroy());
    client.write(authentication(3)); // cleartext password: the IAM token
    if (pending.length) onData(pending);
  };

  const server = net.createServer((socket) => {
    open.add(socket);
    clients.add(socket);
    socket.on('close', () => {
      open.delete(socket);
      clients.delete(socket);
    });
    socket.on('error', () => socket.destroy());
    socket.setNoDelay(true);
    const first = new PacketReader();
    const onFirst = (chunk: Buffer) => {
      let packet: Buffer | undefined;
      try {
        packet = first.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      if (!packet) return;
      const code = packet.readInt32BE(4);
      if (code === GSSENC_REQUEST) {
        socket.write('N'); // no GSSAPI encryption: the client may go on with an SSLRequest
        return;
      }
      socket.off('data', onFirst);
      if (code !== SSL_REQUEST) {
        // A StartupMessage without TLS (or a CancelRequest, which RDS Proxy does not support).
        return refuse(socket, code === PROTOCOL_3_0 ? TLS_REQUIRED : UNSUPPORTED_PROTOCOL);
      }
      socket.write('S');
      const secure = new tls.TLSSocket(socket, { isServer: true, secureContext });
      secure.on('error', () => socket.destroy());
      const startup = new PacketReader();
      const onStartup = (data: Buffer) => {
        let p: Buffer | undefined;
        try {
          p = startup.push(data);
        } catch {
          secure.destroy();
          return;
        }
        if (!p) return;
        secure.off('data', onStartup);
        session(secure, p, startup.rest());
      };
      secure.on('data', onStartup);
    };
    socket.on('data', onFirst);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  port = (server.address() as net.AddressInfo).port;

  return {
    host,
    port,
    proxyId,
    caFile: certificates.caFile,
    caPem: certificates.caPem,
    dbUserArn,
    sessions: () => clients.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
