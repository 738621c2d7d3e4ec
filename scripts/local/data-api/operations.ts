/**
 * The five operations our Data API adapter uses, one function each, by the
 * path the REST-JSON protocol posts them to. Each checks its required fields,
 * then the caller's rights (loginOf), then does its work.
 */
import type pg from 'pg';
import type { DatabaseLogin } from '../secrets';
import type { Connections } from './connections';
import { badRequest } from './errors';
import { loginOf, type LoginSources } from './login';
import { bindStatement, type SqlParameter } from './parameters';
import { shapeResult, type ExecuteInput } from './results';

export interface OperationContext {
  readonly connections: Connections;
  readonly logins: LoginSources;
}

type Body = Record<string, unknown>;
export type Operation = (ctx: OperationContext, body: Body, accessKeyId: string | undefined) => Promise<Body>;

function authorise(ctx: OperationContext, body: Body, accessKeyId: string | undefined, action: string, required: string[]): DatabaseLogin {
  for (const f of required) {
    if (typeof body[f] !== 'string' || body[f] === '') throw badRequest(`${f} is required`);
  }
  return loginOf(ctx.logins, body, accessKeyId, action);
}

const query = (c: pg.ClientBase, text: string, values: unknown[]) =>
  c.query({ text, values, rowMode: 'array', queryMode: 'extended' } as pg.QueryConfig & { queryMode: string }) as Promise<pg.QueryResult<unknown[]>>;

export const executeStatement: Operation = async (ctx, body, accessKeyId) => {
  const login = authorise(ctx, body, accessKeyId, 'ExecuteStatement', ['resourceArn', 'secretArn', 'sql']);
  const input = body as ExecuteInput & { transactionId?: string; database?: string };
  const { text, values } = bindStatement(input.sql!, input.parameters);
  const target = { transactionId: input.transactionId, database: input.database, login, secretArn: String(body.secretArn) };
  return ctx.connections.run(target, async (c) => shapeResult(await query(c, text, values), input));
};

export const batchExecuteStatement: Operation = async (ctx, body, accessKeyId) => {
  const login = authorise(ctx, body, accessKeyId, 'BatchExecuteStatement', ['resourceArn', 'secretArn', 'sql']);
  const sets = (body.parameterSets as SqlParameter[][] | undefined) ?? [];
  const bound = (sets.length > 0 ? sets : [[]]).map((set) => bindStatement(body.sql as string, set));
  const transactionId = body.transactionId as string | undefined;
  const target = { transactionId, database: body.database as string | undefined, login, secretArn: String(body.secretArn) };
  return ctx.connections.run(target, async (c) => {
    // Outside a transaction the batch is applied atomically.
    if (!transactionId) await c.query('BEGIN');
    try {
      for (const { text, values } of bound) await query(c, text, values);
      if (!transactionId) await c.query('COMMIT');
    } catch (err) {
      if (!transactionId) await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
    return { updateResults: bound.map(() => ({ generatedFields: [] })) };
  });
};

export const beginTransaction: Operation = async (ctx, body, accessKeyId) => {
  const login = authorise(ctx, body, accessKeyId, 'BeginTransaction', ['resourceArn', 'secretArn']);
  return { transactionId: await ctx.connections.begin(body.database as string | undefined, login, String(body.secretArn)) };
};

export const commitTransaction: Operation = async (ctx, body, accessKeyId) => {
  authorise(ctx, body, accessKeyId, 'CommitTransaction', ['resourceArn', 'secretArn', 'transactionId']);
  await ctx.connections.end(body.transactionId as string, 'COMMIT');
  return { transactionStatus: 'Transaction Committed' };
};

export const rollbackTransaction: Operation = async (ctx, body, accessKeyId) => {
  authorise(ctx, body, accessKeyId, 'RollbackTransaction', ['resourceArn', 'secretArn', 'transactionId']);
  await ctx.connections.end(body.transactionId as string, 'ROLLBACK');
  return { transactionStatus: 'Rollback Complete' };
};

export const OPERATIONS: Readonly<Record<string, Operation>> = {
  '/Execute': executeStatement,
  '/BatchExecute': batchExecuteStatement,
  '/BeginTransaction': beginTransaction,
  '/CommitTransaction': commitTransaction,
  '/RollbackTransaction': rollbackTransaction,
};
