/**
 * Types of the route registry (functions/registry.ts). The registry is plain
 * typed data: infra turns each entry into a Lambda function, its role, log group
 * and API route; the local runtime serves the same routes; tests check both.
 * The rules an entry must follow are in registry-schema.ts.
 */
import type { HTTP_METHODS } from './registry-schema';
import type { QueueName, TopicName } from './messaging';
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
  /**
   * Topics of functions/messaging.ts the function publishes to: `sns:Publish`
   * on exactly those topics (and the key via SNS), their ARNs in
   * `TOPIC_<NAME>_ARN`. @default - publishes nothing
   */
  readonly publishes?: readonly TopicName[];
}

/** A queue of functions/messaging.ts that invokes the task (a Lambda event source mapping). */
export interface QueueTrigger {
  readonly queue: QueueName;
  /** Messages per invocation, 1 to 10. @default 10 */
  readonly batchSize?: number;
  /** Concurrent invocations the queue may drive, 2 to 1000. @default 2 */
  readonly maximumConcurrency?: number;
}

/** A schedule that invokes the task (an EventBridge rule), e.g. `rate(1 minute)`. */
export interface ScheduleTrigger {
  readonly schedule: string;
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

/**
 * Who may call a route: a signed-in user of the environment's Cognito user
 * pool (API Gateway's JWT authorizer checks the token before the function
 * runs), in one of `groups` (checked by the handler chain from the token's
 * `cognito:groups`: 403 `forbidden` otherwise), with at least one of
 * `scopes` (checked by API Gateway: "If you configure scopes for a route,
 * the token must include at least one of the route's scopes", API Gateway
 * developer guide, JWT authorizers; access tokens only).
 */
export interface RouteAuth {
  /** The caller must be in at least one of these groups (declared in the config's `auth.groups`). @default - any signed-in user */
  readonly groups?: readonly string[];
  /** OAuth scopes of which the access token must carry at least one, e.g. `aws.cognito.signin.user.admin`. @default - none */
  readonly scopes?: readonly string[];
}

export interface RouteDefinition extends FunctionDefinition {
  readonly method: HttpMethod;
  /** API Gateway path with `{param}` segments, e.g. `/posts/{id}`. */
  readonly path: string;
  /** Who may call it. Every route declares `auth` or `public`, never both (checked at synth). */
  readonly auth?: RouteAuth;
  /**
   * Why this route needs no sign-in (at least 10 characters); for a route that
   * writes data it must also say how abuse is bounded. The policy pack
   * (SPS-API-3) lists it as the written-down decision.
   */
  readonly public?: string;
}

/** A function not behind the API: the migration runner invoked on apply, a queue consumer, a scheduled job. */
export interface TaskDefinition extends FunctionDefinition {
  /**
   * What invokes it besides a direct invocation: one queue (its messages, in
   * batches, with partial batch failures) or a schedule. @default - invoked by name only
   */
  readonly trigger?: QueueTrigger | ScheduleTrigger;
}
