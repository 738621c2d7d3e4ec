/**
 * The endpoint's Postgres connections: a pool per database and login for
 * autocommit calls, and one dedicated client per transactionId, rolled back
 * when idle too long (as the service does after 3 minutes).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DatabaseLogin } from '../secrets';
import { transactionNotFound } from './errors';
import { rawTypes } from './results';

export interface DataApiPgConnection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** Database used when a request names none. */
  readonly database: string;
}

/** Where one call runs: its transaction, or else the pool of its database and login. */
export interface CallTarget {
  readonly transactionId?: string;
  readonly database?: string;
  readonly login: DatabaseLogin;
  /** Every call of a transaction must name the secret it was begun with. */
  readonly secretArn: string;
}

interface Transaction {
  client: pg.Client;
  /** The secret it was begun with. */
  secretArn: string;
  /** Serialises the requests of one transaction, as one connection must. */
  queue: Promise<unknown>;
  timer?: NodeJS.Timeout;
}

/** Waits for `p`, at most `ms`. */
async function settleWithin(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

export class Connections {
  private readonly pools = new Map<string, pg.Pool>();
  private readonly transactions = new Map<string, Transaction>();

  constructor(
    private readonly upstream: DataApiPgConnection,
    private readonly poolSize: number,
    private readonly idleMs: number,
  ) {}

  get openTransactions(): number {
    return this.transactions.size;
  }

  /** Runs `work` on the transaction's connection, or on the pool when there is none. */
  async run<T>(target: CallTarget, work: (c: pg.ClientBase) => Promise<T>): Promise<T> {
    const { transactionId } = target;
    if (transactionId) {
      const tx = this.transactions.get(transactionId);
      if (!tx || tx.secretArn !== target.secretArn) throw transactionNotFound(transactionId);
      this.touch(transactionId, tx);
      const run = tx.queue.catch(() => undefined).then(() => work(tx.client));
      tx.queue = run;
      return run;
    }
    const client = await this.pool(target.database, target.login).connect();
    // A checked-out client has no pool listener: a connection the server drops
    // mid-statement (Postgres stopping) would emit an uncaught 'error' and
    // crash the runtime. The failing statement reports it instead.
    let broken: Error | undefined;
    const onError = (err: Error) => (broken = err);
    client.on('error', onError);
    try {
      return await work(client);
    } catch (err) {
      // Not a statement error (no severity): the connection itself failed.
      if (!(err as pg.DatabaseError)?.severity) broken ??= err as Error;
      throw err;
    } finally {
      client.off('error', onError);
      // A broken connection is destroyed, not returned to the pool.
      client.release(broken);
    }
  }

  /** Opens a dedicated connection in a transaction; returns its id. */
  async begin(database: string | undefined, login: DatabaseLogin, secretArn: string): Promise<string> {
    const client = new pg.Client(this.connection(database, login));
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.query('BEGIN');
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    const id = randomBytes(48).toString('base64');
    const tx: Transaction = { client, secretArn, queue: Promise.resolve() };
    this.transactions.set(id, tx);
    this.touch(id, tx);
    return id;
  }

  async end(id: string, sql: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    const tx = this.transactions.get(id);
    if (!tx) throw transactionNotFound(id);
    this.transactions.delete(id);
    clearTimeout(tx.timer);
    await tx.queue.catch(() => undefined);
    try {
      await tx.client.query(sql);
    } finally {
      await tx.client.end().catch(() => undefined);
    }
  }

  /** Rolls back open transactions; bounded, so a Postgres that does not answer (stopped, frozen) cannot hang shutdown. */
  async rollbackAll(): Promise<void> {
    const open = [...this.transactions.values()];
    await settleWithin(Promise.all([...this.transactions.keys()].map((id) => this.end(id, 'ROLLBACK').catch(() => undefined))), 2000);
    for (const tx of open) (tx.client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    this.transactions.clear();
  }

  async endPools(): Promise<void> {
    await settleWithin(Promise.all([...this.pools.values()].map((p) => p.end().catch(() => undefined))), 2000);
    this.pools.clear();
  }

  private touch(id: string, tx: Transaction): void {
    clearTimeout(tx.timer);
    tx.timer = setTimeout(() => void this.end(id, 'ROLLBACK').catch(() => undefined), this.idleMs);
    tx.timer.unref();
  }

  private connection(database: string | undefined, login: DatabaseLogin) {
    return {
      host: this.upstream.host,
      port: this.upstream.port,
      user: login.username,
      password: login.password,
      database: database || this.upstream.database,
      options: '-c TimeZone=UTC',
      // A Postgres that does not answer (stopped, frozen) fails the call instead of hanging it.
      connectionTimeoutMillis: 5000,
      types: rawTypes,
    };
  }

  private pool(database: string | undefined, login: DatabaseLogin): pg.Pool {
    const name = database || this.upstream.database;
    const key = `${name}\0${login.username}\0${login.password}`;
    let p = this.pools.get(key);
    if (!p) {
      p = new pg.Pool({ ...this.connection(name, login), max: this.poolSize, idleTimeoutMillis: 10_000 });
      p.on('error', () => undefined); // an idle client lost its server; the pool replaces it
      this.pools.set(key, p);
    }
    return p;
  }
}
