/**
 * Types of the route registry (functions/registry.ts). The registry is plain
 * typed data: infra turns each entry into a Lambda function, its role, log group
 * and API route; the local runtime serves the same routes; tests check both.
 * The rules an entry must follow are in registry-schema.ts.
 */
import type { HTTP_METHODS } from './registry-schema';
import type { TableName } from './tables';

export type HttpMethod = (typeof HTTP_METHODS)[number];

/** How a function reaches Aurora PostgreSQL. */
export type SqlAccess = 'proxy' | 'data-api';

export interface DataNeeds {
  /** Tables the function uses, and how. Grants are scoped to each table and its indexes. */
  readonly tables?: Partial<Record<TableName, 'read' | 'read-write'>>;
  /** SQL through the RDS Proxy (pg + IAM token) or the Data API. @default - no SQL */
  readonly sql?: SqlAccess;
  /**
   * Who the function is in the database. `app`: the application role, with
   * rights on the app's tables only (every route). `master`: the master user,
   * for the migration task alone (tasks with `sql: 'proxy'`); it also creates
   * and keeps the application role.
   * @default "app"
   */
  readonly sqlUser?: 'app' | 'master';
}

export interface FunctionDefinition {
  /** Unique kebab-case name; the Lambda is `<project>-<env>-<name>`. */
  readonly name: string;
  /** Handler module, relative to functions/, exporting `handler`. */
  readonly handler: string;
  /** @default - no data access */
  readonly data?: DataNeeds;
  /** Memory in MB, 128 to 10240. @default 256 */
  readonly memoryMb?: number;
  /** Timeout in seconds, 1 to 29 for routes (API Gateway's limit), 900 for tasks. @default 10 */
  readonly timeoutSeconds?: number;
  /** Reserved concurrency. @default - the environment's reservedConcurrency, else unreserved */
  readonly reservedConcurrency?: number;
}

export interface RouteDefinition extends FunctionDefinition {
  readonly method: HttpMethod;
  /** API Gateway path with `{param}` segments, e.g. `/posts/{id}`. */
  readonly path: string;
  /**
   * Why this route needs no authorization (at least 10 characters). The policy
   * pack (SPS-API-3) reports every route without an authorizer; this reason is
   * the written-down decision that suppresses it, listed in every report.
   * @default - the route is reported until it gets an authorizer or a reason
   */
  readonly public?: string;
}

/** A function not behind the API (e.g. the migration runner invoked on apply). */
export type TaskDefinition = FunctionDefinition;
