/**
 * The one entry point to configuration: validated environment configs plus the
 * cross-checks that need the route registry (e.g. SQL functions need the proxy
 * or the Data API). Infra, the local runtime and the tests all call this.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FUNCTIONS_DIR } from '../paths';
import { routes, tasks, type FunctionDefinition } from '../../functions/registry';
import { queues as registryQueues, topics as registryTopics, type QueueDefinition, type TopicDefinition } from '../../functions/messaging';
import { duplicateProblems, entryProblems, isRoute, messagingProblems, resolveHandler } from '../../functions/registry-schema';
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
  }
  problems.push(...concurrencyProblems(config, functions));
  problems.push(...groupProblems(config, functions));
  if (problems.length > 0) throw new ConfigError(config.name, problems);
  return config;
}

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

/**
 * A route's `auth.groups` may only name groups the environment's user pool
 * has (`auth.groups` in the config): a group that does not exist admits
 * nobody, and the handler chain would answer 403 to every caller.
 */
function groupProblems(config: EnvironmentConfig, functions: readonly FunctionDefinition[]): string[] {
  const declared = config.auth.groups;
  const problems: string[] = [];
  for (const fn of functions) {
    const groups = (fn as { auth?: { groups?: unknown } }).auth?.groups;
    if (!Array.isArray(groups)) continue;
    for (const group of groups) {
      if (typeof group === 'string' && !declared.includes(group)) {
        problems.push(
          `routes["${fn.name}"].auth.groups: group "${group}" is not a group of the "${config.name}" user pool (auth.groups is ${JSON.stringify(declared)}); add "${group}" to auth.groups in infra/config/environments.ts, or fix the route's group name`,
        );
      }
    }
  }
  return problems;
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
  /** Folder the `handler` paths are relative to. @default FUNCTIONS_DIR */
  readonly functionsDir?: string;
  /** Table definitions functions may reference. @default functions/tables.ts */
  readonly tables?: Readonly<Record<string, unknown>>;
  /** Check that each handler file exists. @default true */
  readonly checkHandlerFiles?: boolean;
  /** Topics and queues functions may use. @default functions/messaging.ts */
  readonly topics?: Readonly<Record<string, TopicDefinition>>;
  readonly queues?: Readonly<Record<string, QueueDefinition>>;
}

/**
 * Every problem of the registry for this environment (empty when valid): the
 * entry rules of functions/registry-schema.ts, duplicates, functions/messaging.ts,
 * and handler files.
 */
export function registryProblems(
  config: EnvironmentConfig,
  functions: readonly FunctionDefinition[],
  options: RegistryCheckOptions = {},
): string[] {
  const functionsDir = options.functionsDir ?? FUNCTIONS_DIR;
  const tableNames = Object.keys(options.tables ?? registryTables);
  const prefix = `${config.project}-${config.name}-`;
  const topics = options.topics ?? registryTopics;
  const queues = options.queues ?? registryQueues;
  const problems = functions.flatMap((fn) => entryProblems(fn, { tableNames, prefix, functionsDir, topics, queues }));
  problems.push(...duplicateProblems(functions), ...messagingProblems(topics, queues));
  if (options.checkHandlerFiles ?? true) {
    for (const fn of functions) {
      const handler = resolveHandler(functionsDir, fn.handler);
      if ('file' in handler && !(existsSync(handler.file) && statSync(handler.file).isFile())) {
        problems.push(`${isRoute(fn) ? 'routes' : 'tasks'}["${fn.name}"].handler: file "${join('functions', fn.handler)}" does not exist; create it (exporting \`handler\`) or fix the path`);
      }
    }
  }
  return problems;
}
