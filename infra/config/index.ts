/**
 * The one entry point to configuration: validated environment configs plus the
 * cross-checks that need the route registry (e.g. SQL functions need the proxy
 * or the Data API). Infra, the local runtime and the tests all call this.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { routes, tasks, type FunctionDefinition } from '../../functions/registry';
import { isPublicReason } from '../../functions/registry-types';
import { tables as registryTables } from '../../functions/tables';
import { environments, type EnvironmentName } from './environments';
import { ConfigError, parseEnvironmentConfig, type EnvironmentConfig } from './schema';

export { ConfigError, parseEnvironmentConfig } from './schema';
export type { EnvironmentConfig, EnvironmentConfigInput } from './schema';
export { environments, type EnvironmentName } from './environments';

/** Checks that need both the config and the registry. Throws `ConfigError`. */
export function validateAgainstRegistry(
  config: EnvironmentConfig,
  functions: readonly FunctionDefinition[] = [...routes, ...tasks],
  options: RegistryCheckOptions = {},
): EnvironmentConfig {
  const problems: string[] = [...registryProblems(config, functions, options)];
  for (const fn of functions) {
    const sql = fn.data?.sql;
    if (sql === 'proxy' && !config.proxy.enabled) {
      problems.push(
        `proxy.enabled: function "${fn.name}" uses SQL through the RDS Proxy but the proxy is off (received false); set proxy.enabled to true or change the function's data.sql to "data-api"`,
      );
    }
    if (sql === 'data-api' && !config.dataApi.enabled) {
      problems.push(
        `dataApi.enabled: function "${fn.name}" uses SQL through the Data API but it is off (received false); set dataApi.enabled to true or change the function's data.sql to "proxy"`,
      );
    }
    if (fn.reservedConcurrency !== undefined && fn.reservedConcurrency < 1) {
      problems.push(`${isRoute(fn) ? 'routes' : 'tasks'}["${fn.name}"].reservedConcurrency: use a positive number (received ${fn.reservedConcurrency})`);
    }
  }
  problems.push(...concurrencyProblems(config, functions));
  if (problems.length > 0) throw new ConfigError(config.name, problems);
  return config;
}

const isRoute = (fn: FunctionDefinition) => (fn as { method?: unknown }).method !== undefined || (fn as { path?: unknown }).path !== undefined;

/**
 * Reserved concurrency of a function: its registry entry's, else (routes only)
 * the environment's `reservedConcurrency`. Tasks such as `migrate` reserve
 * none unless their entry says so: a reservation is taken from the account's
 * pool for good, even for a function that runs once per deploy.
 */
export function reservedConcurrencyOf(fn: FunctionDefinition, config: EnvironmentConfig): number | undefined {
  return fn.reservedConcurrency ?? (isRoute(fn) ? config.reservedConcurrency : undefined);
}

/**
 * AWS keeps 100 concurrent executions of the account unreserved (fewer on a
 * new account whose whole limit is lower, then all of it): "You can reserve up
 * to the Unreserved account concurrency value minus 100"
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html).
 * Past that, the apply fails half-way with "decreases account's
 * UnreservedConcurrentExecution below its minimum value". Checked at synth.
 */
function concurrencyProblems(config: EnvironmentConfig, functions: readonly FunctionDefinition[]): string[] {
  const limit = config.accountConcurrencyLimit;
  const available = limit - Math.min(100, limit);
  const reserving = functions.map((fn) => [fn.name, reservedConcurrencyOf(fn, config) ?? 0] as const).filter(([, n]) => n > 0);
  const total = reserving.reduce((sum, [, n]) => sum + n, 0);
  if (total <= available) return [];
  return [
    `reservedConcurrency: the functions reserve ${total} concurrent executions (${reserving.map(([name, n]) => `${name} ${n}`).join(', ')}), but an account limit of ${limit} (accountConcurrencyLimit) leaves only ${available} to reserve, because AWS keeps ${Math.min(100, limit)} unreserved; lower reservedConcurrency (here or per function in functions/registry.ts), or set accountConcurrencyLimit to the account's real "Concurrent executions" quota (Service Quotas) after raising it (received ${config.reservedConcurrency ?? 'unset'})`,
  ];
}

/** Loads, validates and cross-checks one environment's config. */
export function loadConfig(name: EnvironmentName | string): EnvironmentConfig {
  const raw = (environments as Record<string, unknown>)[name];
  if (!raw) {
    throw new ConfigError(name, [
      `environment: unknown environment "${name}"; use one of ${Object.keys(environments).map((e) => `"${e}"`).join(', ')} or add it to infra/config/environments.ts`,
    ]);
  }
  // Handler files are checked at synth time (PlatformStack) and by the local
  // runtime when it loads them; not here, so config users need no handlers.
  return validateAgainstRegistry(parseEnvironmentConfig(raw, name), undefined, { checkHandlerFiles: false });
}

/** Every environment, validated. */
export function loadAllConfigs(): EnvironmentConfig[] {
  return Object.keys(environments).map((name) => loadConfig(name));
}

// ---------------------------------------------------------------------------
// Registry checks (infra helper, additive): run at synth time by the stack and
// by loadConfig, so a bad registry entry fails before anything is deployed.
// ---------------------------------------------------------------------------

export interface RegistryCheckOptions {
  /** Folder the `handler` paths are relative to. @default "<repo>/functions" */
  readonly functionsDir?: string;
  /** Table definitions functions may reference. @default functions/tables.ts */
  readonly tables?: Readonly<Record<string, unknown>>;
  /** Check that each handler file exists. @default true */
  readonly checkHandlerFiles?: boolean;
}

const FUNCTION_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
/** `/`, `/posts`, `/posts/{id}`, `/files/{proxy+}` (greedy only last). */
const PATH_SEGMENT = /^([A-Za-z0-9._~-]+|\{[A-Za-z][A-Za-z0-9_]*\}|\{[A-Za-z][A-Za-z0-9_]*\+\})$/;
const HANDLER_FILE = /\.(ts|mts|js|mjs)$/;
/** API Gateway HTTP APIs cut integrations at 30 s; keep a second for the round trip. */
export const MAX_ROUTE_TIMEOUT_SECONDS = 29;
export const MAX_TASK_TIMEOUT_SECONDS = 900;
const DEFAULT_FUNCTIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'functions');

function pathProblem(path: string): string | undefined {
  if (path === '/') return undefined;
  if (!path.startsWith('/') || path.endsWith('/')) return 'start with "/" and do not end with "/", e.g. "/posts/{id}"';
  const segments = path.slice(1).split('/');
  for (const [i, seg] of segments.entries()) {
    if (!PATH_SEGMENT.test(seg)) return `segment "${seg}" is invalid; use letters, digits, ".", "_", "~", "-" or a {param}`;
    if (seg.endsWith('+}') && i !== segments.length - 1) return `greedy parameter "${seg}" must be the last segment`;
  }
  const params = segments.filter((s) => s.startsWith('{')).map((s) => s.replace(/[{}+]/g, ''));
  if (new Set(params).size !== params.length) return 'use each {param} name once';
  return undefined;
}

/** Every problem of the registry for this environment (empty when valid). */
export function registryProblems(
  config: EnvironmentConfig,
  functions: readonly FunctionDefinition[],
  options: RegistryCheckOptions = {},
): string[] {
  const problems: string[] = [];
  const functionsDir = resolve(options.functionsDir ?? DEFAULT_FUNCTIONS_DIR);
  const tableNames = Object.keys(options.tables ?? registryTables);
  const names = new Set<string>();
  const routeKeys = new Set<string>();
  for (const fn of functions) {
    const route = fn as FunctionDefinition & { method?: string; path?: string };
    const isRoute = route.method !== undefined || route.path !== undefined;
    const where = `${isRoute ? 'routes' : 'tasks'}["${fn.name}"]`;
    if (!FUNCTION_NAME.test(fn.name)) {
      problems.push(`${where}.name: use kebab-case letters and digits, e.g. "posts-create" (received ${JSON.stringify(fn.name)})`);
    }
    if (names.has(fn.name)) problems.push(`${where}.name: "${fn.name}" is used twice; give every route and task a unique name`);
    names.add(fn.name);
    const physical = `${config.project}-${config.name}-${fn.name}`;
    if (physical.length > 64) {
      problems.push(`${where}.name: the Lambda name "${physical}" is ${physical.length} characters, over AWS's 64; shorten the name`);
    }
    if (isRoute) {
      if (!HTTP_METHODS.includes(String(route.method))) {
        problems.push(`${where}.method: use one of ${HTTP_METHODS.join(', ')} (received ${JSON.stringify(route.method)}); OPTIONS routes are added for every path automatically`);
      }
      const pp = typeof route.path === 'string' ? pathProblem(route.path) : 'is required, e.g. "/posts/{id}"';
      if (pp) problems.push(`${where}.path: ${pp} (received ${JSON.stringify(route.path)})`);
      const key = `${route.method} ${route.path}`;
      if (routeKeys.has(key)) problems.push(`${where}: route "${key}" is declared twice; keep one entry per method and path`);
      routeKeys.add(key);
      const reason = (route as { public?: unknown }).public;
      if (reason !== undefined && !isPublicReason(reason)) {
        problems.push(`${where}.public: give the reason the route needs no authorization in at least 10 characters, or remove the field (received ${JSON.stringify(reason)})`);
      }
    }
    if (typeof fn.handler !== 'string' || !HANDLER_FILE.test(fn.handler)) {
      problems.push(`${where}.handler: use a .ts or .js file relative to functions/, e.g. "posts/create.ts" (received ${JSON.stringify(fn.handler)})`);
    } else {
      const file = resolve(functionsDir, fn.handler);
      if (!file.startsWith(functionsDir + sep)) {
        problems.push(`${where}.handler: "${fn.handler}" points outside functions/; use a path relative to functions/`);
      } else if ((options.checkHandlerFiles ?? true) && !(existsSync(file) && statSync(file).isFile())) {
        problems.push(`${where}.handler: file "${join('functions', fn.handler)}" does not exist; create it (exporting \`handler\`) or fix the path`);
      }
    }
    const maxTimeout = isRoute ? MAX_ROUTE_TIMEOUT_SECONDS : MAX_TASK_TIMEOUT_SECONDS;
    if (fn.timeoutSeconds !== undefined && !(Number.isInteger(fn.timeoutSeconds) && fn.timeoutSeconds >= 1 && fn.timeoutSeconds <= maxTimeout)) {
      problems.push(
        `${where}.timeoutSeconds: use a whole number from 1 to ${maxTimeout}${isRoute ? " (API Gateway's 30 s integration limit)" : " (Lambda's 15 minute limit)"} (received ${fn.timeoutSeconds})`,
      );
    }
    if (fn.memoryMb !== undefined && !(Number.isInteger(fn.memoryMb) && fn.memoryMb >= 128 && fn.memoryMb <= 10240)) {
      problems.push(`${where}.memoryMb: use a whole number of MB from 128 to 10240 (received ${fn.memoryMb})`);
    }
    if (fn.reservedConcurrency !== undefined && fn.reservedConcurrency >= 1 && !Number.isInteger(fn.reservedConcurrency)) {
      problems.push(`${where}.reservedConcurrency: use a whole number or leave it unset (received ${fn.reservedConcurrency})`);
    }
    for (const [table, access] of Object.entries(fn.data?.tables ?? {})) {
      if (!tableNames.includes(table)) {
        problems.push(`${where}.data.tables: unknown table "${table}"; use one of ${tableNames.map((t) => `"${t}"`).join(', ')} or define it in functions/tables.ts`);
      }
      if (access !== 'read' && access !== 'read-write') {
        problems.push(`${where}.data.tables.${table}: use "read" or "read-write" (received ${JSON.stringify(access)})`);
      }
    }
    const sql = fn.data?.sql as unknown;
    if (sql !== undefined && sql !== 'proxy' && sql !== 'data-api') {
      problems.push(`${where}.data.sql: use "proxy" or "data-api" (received ${JSON.stringify(sql)})`);
    }
    const sqlUser = fn.data?.sqlUser as unknown;
    if (sqlUser !== undefined && sqlUser !== 'app' && sqlUser !== 'master') {
      problems.push(`${where}.data.sqlUser: use "app" or "master" (received ${JSON.stringify(sqlUser)})`);
    } else if (sqlUser === 'master' && (isRoute || sql !== 'proxy')) {
      problems.push(
        `${where}.data.sqlUser: "master" is for the migration task only (a task with data.sql "proxy"); routes log in as the application role: remove sqlUser (received "master" on a ${isRoute ? 'route' : `task with data.sql ${JSON.stringify(sql)}`})`,
      );
    }
  }
  return problems;
}
