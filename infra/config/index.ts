/**
 * The one entry point to configuration: validated environment configs plus the
 * cross-checks that need the route registry (e.g. SQL functions need the proxy
 * or the Data API). Infra, the local runtime and the tests all call this.
 */
import { routes, tasks, type FunctionDefinition } from '../../functions/registry';
import { environments, type EnvironmentName } from './environments';
import { ConfigError, parseEnvironmentConfig, type EnvironmentConfig } from './schema';

export { ConfigError, parseEnvironmentConfig } from './schema';
export type { EnvironmentConfig, EnvironmentConfigInput } from './schema';
export { environments, type EnvironmentName } from './environments';

/** Checks that need both the config and the registry. Throws `ConfigError`. */
export function validateAgainstRegistry(
  config: EnvironmentConfig,
  functions: readonly FunctionDefinition[] = [...routes, ...tasks],
): EnvironmentConfig {
  const problems: string[] = [];
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
    const reserved = fn.reservedConcurrency ?? config.reservedConcurrency;
    if (reserved !== undefined && fn.reservedConcurrency !== undefined && fn.reservedConcurrency < 1) {
      problems.push(`routes["${fn.name}"].reservedConcurrency: use a positive number (received ${fn.reservedConcurrency})`);
    }
  }
  if (problems.length > 0) throw new ConfigError(config.name, problems);
  return config;
}

/** Loads, validates and cross-checks one environment's config. */
export function loadConfig(name: EnvironmentName | string): EnvironmentConfig {
  const raw = (environments as Record<string, unknown>)[name];
  if (!raw) {
    throw new ConfigError(name, [
      `environment: unknown environment "${name}"; use one of ${Object.keys(environments).map((e) => `"${e}"`).join(', ')} or add it to infra/config/environments.ts`,
    ]);
  }
  return validateAgainstRegistry(parseEnvironmentConfig(raw, name));
}

/** Every environment, validated. */
export function loadAllConfigs(): EnvironmentConfig[] {
  return Object.keys(environments).map((name) => loadConfig(name));
}
