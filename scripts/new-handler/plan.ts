/**
 * What `npm run new:handler` will write, decided once from its input and the
 * checkout it works on: the registry entry (checked with the registry's own
 * rules and against every environment), and the data access the handler and
 * its test show. Every refusal names the option, the value and the fix.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, parseEnvironmentConfig, validateAgainstRegistry, type EnvironmentConfigInput } from '../../infra/config';
import { handlerPathFor, isRoute, pathParams } from '../../functions/registry-schema';
import type { FunctionDefinition, HttpMethod, RouteDefinition, SqlAccess } from '../../functions/registry-types';
import type { TableDefinition } from '../../functions/tables';

export type TableAccess = 'read' | 'read-write';

export class ScaffoldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScaffoldError';
  }
}

export interface ScaffoldInput {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  /** Repository root. @default - this checkout */
  readonly root?: string;
  /** Why anyone may call the route (≥ 10 characters). One of `public` and `auth` is required. */
  readonly public?: string;
  /** The route needs a signed-in user, in one of `groups` when given (`--auth`, `--groups a,b`). */
  readonly auth?: { readonly groups?: readonly string[] };
  /** Tables the route uses, in order: `[['notes', 'read-write']]`. The handler's code uses the first. @default - none */
  readonly tables?: readonly (readonly [string, string])[];
  /** SQL through the RDS Proxy or the Data API. @default - no SQL */
  readonly sql?: string;
}

/** One `{param}` of the path; `number` when it fills a key attribute of type N. */
export interface PathParam {
  readonly name: string;
  readonly number: boolean;
}

/** A key attribute of the table: filled from a path parameter, or generated on create. */
export interface KeyPart {
  readonly attribute: string;
  readonly type: 'S' | 'N';
  readonly param?: string;
}

/** DynamoDB operation the handler shows, chosen from the method and the access. */
export type TableOperation = 'get' | 'query' | 'scan' | 'put' | 'update' | 'delete';

export type DataPlan =
  | { readonly kind: 'none' }
  | { readonly kind: 'table'; readonly table: string; readonly operation: TableOperation; readonly key: readonly KeyPart[]; readonly otherTables: readonly string[] }
  | { readonly kind: 'sql'; readonly adapter: SqlAccess };

export interface ScaffoldPlan {
  readonly root: string;
  readonly entry: RouteDefinition;
  readonly method: HttpMethod;
  readonly params: readonly PathParam[];
  /** POST, PUT and PATCH take a JSON body `{ message }`. */
  readonly hasBody: boolean;
  readonly status: 200 | 201 | 204;
  readonly data: DataPlan;
  /** functions/-relative handler file, e.g. `notes/get.ts`. */
  readonly handlerRel: string;
}

const BODY_METHODS: readonly HttpMethod[] = ['POST', 'PUT', 'PATCH'];

/** The route registry entry and everything the scaffold writes from it; throws ScaffoldError. */
export async function planScaffold(input: ScaffoldInput, root: string): Promise<ScaffoldPlan> {
  const method = input.method.toUpperCase() as HttpMethod;
  const { functions, tables, environments } = await checkoutData(root);
  alreadyRegistered(functions, input.name, method, input.path);
  const tableAccess = tableOptions(input.tables ?? []);
  if (tableAccess.length > 0 && input.sql !== undefined) {
    throw new ScaffoldError(
      `--table ${tableAccess.map(([t, a]) => `${t}:${a}`).join(' --table ')} with --sql ${input.sql}: the scaffold writes example code for one kind of data; scaffold with one, then add the other to the entry's data in functions/registry.ts (e.g. data: { tables: { ${tableAccess[0]![0]}: '${tableAccess[0]![1]}' }, sql: '${input.sql}' }) and call it from the handler (docs/handlers.md, "Data access")`,
    );
  }
  const handlerRel = handlerPathFor(input.name);
  const data = {
    ...(tableAccess.length > 0 ? { tables: Object.fromEntries(tableAccess) } : {}),
    ...(input.sql !== undefined ? { sql: input.sql as SqlAccess } : {}),
  };
  const entry = {
    name: input.name,
    method,
    path: input.path,
    handler: handlerRel,
    ...(Object.keys(data).length > 0 ? { data } : {}),
    ...(input.public !== undefined ? { public: input.public.trim() } : {}),
    ...(input.auth !== undefined ? { auth: input.auth.groups?.length ? { groups: [...input.auth.groups] } : {} } : {}),
  } as RouteDefinition;
  const problems = problemsInEveryEnvironment([...functions, entry], root, tables, environments);
  if (input.public === undefined && input.auth === undefined) {
    problems.unshift(
      `--auth or --public: missing. Every route says who may call it: --auth (a signed-in user; --groups organizers,admins for members of a group) or --public "<why anyone may call it>" (at least 10 characters; for a route that writes, say how abuse is bounded)`,
    );
  }
  if (input.public !== undefined && input.auth !== undefined) {
    problems.unshift(`--auth with --public: a route needs sign-in or is public, not both; keep one`);
  }
  if (problems.length > 0) throw new ScaffoldError(problems.join('\n'));

  const params = pathParams(input.path);
  const hasBody = BODY_METHODS.includes(method);
  const dataPlan = planData(method, input.path, params, tableAccess, input.sql as SqlAccess | undefined, tables);
  const numberParams = new Set(dataPlan.kind === 'table' ? dataPlan.key.filter((k) => k.type === 'N' && k.param).map((k) => k.param) : []);
  return {
    root,
    entry,
    method,
    params: params.map((name) => ({ name, number: numberParams.has(name) })),
    hasBody,
    status: statusOf(method, dataPlan),
    data: dataPlan,
    handlerRel,
  };
}

let loads = 0;

/**
 * The registry, tables and environments of the checkout at `root` (maybe
 * another copy than this one), as they are on disk now: fresh modules, so
 * that several scaffolds in one process each see the ones before.
 */
async function checkoutData(root: string) {
  const fresh = `?scaffold=${++loads}`;
  const load = (rel: string) => import(`${pathToFileURL(join(root, rel)).href}${fresh}`);
  const [{ routes, tasks }, { tables }, { environments }] = (await Promise.all([load('functions/registry.ts'), load('functions/tables.ts'), load('infra/config/environments.ts')])) as [
    { routes: readonly RouteDefinition[]; tasks: readonly FunctionDefinition[] },
    { tables: Record<string, TableDefinition> },
    { environments: Record<string, EnvironmentConfigInput> },
  ];
  return { functions: [...routes, ...tasks], tables, environments };
}

/** A name or METHOD path the registry already has. */
function alreadyRegistered(functions: readonly FunctionDefinition[], name: string, method: string, path: string): void {
  if (functions.some((f) => f.name === name)) throw new ScaffoldError(`${name}: the name is already registered in functions/registry.ts; choose another name`);
  if (functions.some((f) => isRoute(f) && f.method === method && f.path === path)) {
    throw new ScaffoldError(`${method} ${path}: the route is already registered in functions/registry.ts; choose another method or path`);
  }
}

/** `--table` values as [table, access] pairs; a table given twice is refused. */
function tableOptions(raw: readonly (readonly [string, string])[]): [string, TableAccess][] {
  const seen = new Map<string, string>();
  for (const [table, access] of raw) {
    const before = seen.get(table);
    if (before !== undefined) {
      throw new ScaffoldError(`--table ${table}: given twice (${before}, ${access}); give each table once, with the access the route needs`);
    }
    seen.set(table, access);
  }
  return raw.map(([t, a]) => [t, a as TableAccess]);
}

/**
 * The registry with the new entry, checked as synth checks it in every
 * environment: the entry rules (functions/registry-schema.ts, the Lambda name
 * within 64 characters), the SQL adapter enabled, and the reserved concurrency
 * still fitting the account.
 */
function problemsInEveryEnvironment(
  functions: readonly FunctionDefinition[],
  root: string,
  tables: Record<string, TableDefinition>,
  environments: Record<string, EnvironmentConfigInput>,
): string[] {
  const problems = new Map<string, string[]>();
  for (const [name, raw] of Object.entries(environments)) {
    try {
      validateAgainstRegistry(parseEnvironmentConfig(raw, name), functions, { functionsDir: join(root, 'functions'), tables, checkHandlerFiles: false });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      for (const problem of err.problems) problems.set(problem, [...(problems.get(problem) ?? []), name]);
    }
  }
  const all = Object.keys(environments).length;
  return [...problems].map(([problem, envs]) => (envs.length < all || !problem.startsWith('routes[') ? `environment ${envs.map((e) => `"${e}"`).join(', ')} (infra/config/environments.ts): ${problem}` : problem));
}

function planData(
  method: HttpMethod,
  path: string,
  params: readonly string[],
  tableAccess: readonly [string, TableAccess][],
  sql: SqlAccess | undefined,
  tables: Record<string, TableDefinition>,
): DataPlan {
  if (sql) return { kind: 'sql', adapter: sql };
  const first = tableAccess[0];
  if (!first) return { kind: 'none' };
  const [table, access] = first;
  const definition = tables[table]!;
  const attributes = [definition.partitionKey, ...(definition.sortKey ? [definition.sortKey] : [])];
  for (const a of attributes) {
    if (a.type === 'B') {
      throw new ScaffoldError(
        `--table ${table}:${access}: key attribute "${a.name}" of table "${table}" is binary (B); the scaffold writes string and number keys only; scaffold without --table and add data: { tables: { ${table}: '${access}' } } to the registry line yourself`,
      );
    }
  }
  // The path parameters fill the key in order: the first the partition key, the second the sort key.
  const key: KeyPart[] = attributes.map((a, i) => ({ attribute: a.name, type: a.type as 'S' | 'N', ...(params[i] !== undefined ? { param: params[i] } : {}) }));
  const fromPath = key.filter((k) => k.param).length;
  const reads = access === 'read' || method === 'GET';
  let operation: TableOperation;
  if (reads) operation = fromPath === key.length ? 'get' : fromPath > 0 ? 'query' : 'scan';
  else if (method === 'POST') operation = 'put';
  else {
    if (fromPath < key.length) {
      const needed = key.map((k) => `{${k.attribute}}`).join('/');
      throw new ScaffoldError(
        `--table ${table}:${access}: ${method} ${path} gives ${fromPath} path parameter(s) but the key of table "${table}" has ${key.length} (${key.map((k) => k.attribute).join(', ')}); a ${method} names the item it changes: end the path with one {param} per key attribute (e.g. ${path.replace(/\/\{[^}]+\}$/, '')}/${needed}), or use POST to create items`,
      );
    }
    operation = method === 'DELETE' ? 'delete' : 'update';
  }
  return { kind: 'table', table, operation, key, otherTables: tableAccess.slice(1).map(([t]) => t) };
}

function statusOf(method: HttpMethod, data: DataPlan): 200 | 201 | 204 {
  if (data.kind === 'table') return data.operation === 'put' ? 201 : data.operation === 'delete' ? 204 : 200;
  return method === 'POST' ? 201 : method === 'DELETE' ? 204 : 200;
}
