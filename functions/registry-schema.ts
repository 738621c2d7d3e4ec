/**
 * The rules of a registry entry, written once: the config validation (synth),
 * `npm run new:handler` and the bundler all call these. Each problem names the
 * field, the value received and the fix.
 */
import { resolve, sep } from 'node:path';
import { QUEUE_LIMITS, queues as definedQueues, topics as definedTopics, type QueueDefinition, type TopicDefinition } from './messaging';
import type { FunctionDefinition, TaskDefinition } from './registry-types';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export const DEFAULT_MEMORY_MB = 256;
export const DEFAULT_TIMEOUT_SECONDS = 10;
/** Lambda's memory range (MB). */
export const MEMORY_MB = { min: 128, max: 10240 } as const;
/** API Gateway HTTP APIs cut integrations at 30 s; keep a second for the round trip. */
export const MAX_ROUTE_TIMEOUT_SECONDS = 29;
/** Lambda's 15 minute limit. */
export const MAX_TASK_TIMEOUT_SECONDS = 900;
/** Lambda function names are at most 64 characters (`<project>-<env>-<name>`). */
export const MAX_LAMBDA_NAME = 64;

const FUNCTION_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
/** `/`, `/posts`, `/posts/{id}`, `/files/{proxy+}` (greedy only last). */
const PATH_SEGMENT = /^([A-Za-z0-9._~-]+|\{[A-Za-z][A-Za-z0-9_]*\}|\{[A-Za-z][A-Za-z0-9_]*\+\})$/;
const HANDLER_FILE = /\.(ts|mts|js|mjs)$/;
/** Folders of functions/ that hold no handlers. */
const RESERVED_DIRS = ['lib', 'migrations'];

/** True for a route (method and path), false for a task. */
export const isRoute = (fn: FunctionDefinition): fn is FunctionDefinition & { method: string; path: string } =>
  (fn as { method?: unknown }).method !== undefined || (fn as { path?: unknown }).path !== undefined;

/** The `{param}` names of a path, in order (`{proxy+}` gives `proxy`). */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/\{([A-Za-z][A-Za-z0-9_]*)\+?\}/g)].map((m) => m[1]!);
}

/** Why a path is not a valid API Gateway route path, or undefined. */
export function pathProblem(path: string): string | undefined {
  if (path === '/') return undefined;
  if (!path.startsWith('/') || path.endsWith('/')) return 'start with "/" and do not end with "/", e.g. "/posts/{id}"';
  const segments = path.slice(1).split('/');
  for (const [i, seg] of segments.entries()) {
    if (!PATH_SEGMENT.test(seg)) return `segment "${seg}" is invalid; use letters, digits, ".", "_", "~", "-" or a {param}`;
    if (seg.endsWith('+}') && i !== segments.length - 1) return `greedy parameter "${seg}" must be the last segment`;
  }
  const params = pathParams(path);
  if (new Set(params).size !== params.length) return 'use each {param} name once';
  return undefined;
}

/** Why a function name is not usable, or undefined. `prefix` is `<project>-<env>-`. */
export function nameProblem(name: unknown, prefix = ''): string | undefined {
  if (typeof name !== 'string' || !FUNCTION_NAME.test(name)) return 'use kebab-case letters and digits, e.g. "posts-create"';
  if (prefix.length + name.length > MAX_LAMBDA_NAME) {
    return `the Lambda name "${prefix}${name}" is ${prefix.length + name.length} characters, over AWS's ${MAX_LAMBDA_NAME}; shorten the name`;
  }
  return undefined;
}

/** functions/-relative handler file for a name: `a-b-c` -> `a/b-c.ts`, `a` -> `a.ts` (new:handler's convention). */
export function handlerPathFor(name: string): string {
  const dash = name.indexOf('-');
  return dash === -1 ? `${name}.ts` : `${name.slice(0, dash)}/${name.slice(dash + 1)}.ts`;
}

/**
 * The absolute handler file of an entry, or the problem with its `handler`:
 * a .ts/.js file inside functions/, outside its lib/ and migrations/ folders.
 */
export function resolveHandler(functionsDir: string, handler: unknown): { file: string } | { problem: string } {
  if (typeof handler !== 'string' || !HANDLER_FILE.test(handler)) {
    return { problem: 'use a .ts or .js file relative to functions/, e.g. "posts/create.ts"' };
  }
  const root = resolve(functionsDir);
  const file = resolve(root, handler);
  if (!file.startsWith(root + sep)) return { problem: `"${handler}" points outside functions/; use a path relative to functions/` };
  const top = file.slice(root.length + 1).split(sep)[0]!;
  if (RESERVED_DIRS.includes(top)) return { problem: `"${handler}" is under functions/${top}/, which holds no handlers; choose another folder` };
  return { file };
}

/** Whether `reason` is a usable `public` reason: a string of at least 10 characters (trimmed). */
export function isPublicReason(reason: unknown): reason is string {
  return typeof reason === 'string' && reason.trim().length >= 10;
}

/** Methods that change data. */
export const WRITE_METHODS: readonly string[] = ['POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * A public route that writes data must say how abuse is bounded: its reason
 * contains one of these (case-insensitive). A checkable prompt for a written
 * decision, not a proof: the synth check (config), `new:handler` and the
 * policy pack (SPS-API-3) all apply this one rule.
 */
export const ABUSE_BOUNDS: readonly string[] = ['throttl', 'rate limit', 'rate-limit', 'captcha', 'quota', 'reserved concurrency', 'bounded'];

/** Does a public reason say how abuse is bounded (one of ABUSE_BOUNDS)? */
export function boundsAbuse(reason: string): boolean {
  const text = reason.toLowerCase();
  return ABUSE_BOUNDS.some((term) => text.includes(term));
}

/**
 * Why a route's `public` reason is not enough, or undefined: at least 10
 * characters, and for a route that writes data, how abuse is bounded.
 */
export function publicReasonProblem(route: { readonly method?: unknown; readonly public?: unknown }): string | undefined {
  const reason = route.public;
  if (!isPublicReason(reason)) {
    return `give the reason the route needs no sign-in in at least 10 characters, or use auth instead (received ${JSON.stringify(reason)})`;
  }
  if (WRITE_METHODS.includes(route.method as string) && !boundsAbuse(reason)) {
    return `a public route that writes data (${String(route.method)}) must say how abuse is bounded: mention one of ${ABUSE_BOUNDS.map((t) => `"${t}"`).join(', ')} (e.g. "…; abuse is bounded by stage throttling and reserved concurrency"), or require sign-in with auth: {} (received ${JSON.stringify(reason)})`;
  }
  return undefined;
}

export interface EntryCheckOptions {
  /** Table names `data.tables` may use. */
  readonly tableNames: readonly string[];
  /** `<project>-<env>-`, for the Lambda name length. @default "" */
  readonly prefix?: string;
  /** Folder handler paths are relative to; omit to skip the handler path. */
  readonly functionsDir?: string;
  /** Topics `data.publishes` may use. @default - functions/messaging.ts */
  readonly topics?: Readonly<Record<string, TopicDefinition>>;
  /** Queues `trigger.queue` may use. @default - functions/messaging.ts */
  readonly queues?: Readonly<Record<string, QueueDefinition>>;
}

/** Every problem of one entry's own fields (empty when valid). */
export function entryProblems(fn: FunctionDefinition, options: EntryCheckOptions): string[] {
  const problems: string[] = [];
  const route = isRoute(fn);
  const where = `${route ? 'routes' : 'tasks'}["${fn.name}"]`;
  const name = nameProblem(fn.name, options.prefix);
  if (name) problems.push(`${where}.name: ${name} (received ${JSON.stringify(fn.name)})`);
  if (route) {
    const { method, path } = fn as unknown as { method: unknown; path: unknown };
    if (!HTTP_METHODS.includes(method as never)) {
      problems.push(`${where}.method: use one of ${HTTP_METHODS.join(', ')} (received ${JSON.stringify(method)}); OPTIONS routes are added for every path automatically`);
    }
    const pp = typeof path === 'string' ? pathProblem(path) : 'is required, e.g. "/posts/{id}"';
    if (pp) problems.push(`${where}.path: ${pp} (received ${JSON.stringify(path)})`);
    problems.push(...accessProblems(fn as FunctionDefinition & { method?: unknown; auth?: unknown; public?: unknown }, where));
  }
  if (options.functionsDir !== undefined) {
    const handler = resolveHandler(options.functionsDir, fn.handler);
    if ('problem' in handler) problems.push(`${where}.handler: ${handler.problem} (received ${JSON.stringify(fn.handler)})`);
  }
  const maxTimeout = route ? MAX_ROUTE_TIMEOUT_SECONDS : MAX_TASK_TIMEOUT_SECONDS;
  if (fn.timeoutSeconds !== undefined && !(Number.isInteger(fn.timeoutSeconds) && fn.timeoutSeconds >= 1 && fn.timeoutSeconds <= maxTimeout)) {
    problems.push(
      `${where}.timeoutSeconds: use a whole number from 1 to ${maxTimeout}${route ? " (API Gateway's 30 s integration limit)" : " (Lambda's 15 minute limit)"} (received ${fn.timeoutSeconds})`,
    );
  }
  if (fn.memoryMb !== undefined && !(Number.isInteger(fn.memoryMb) && fn.memoryMb >= MEMORY_MB.min && fn.memoryMb <= MEMORY_MB.max)) {
    problems.push(`${where}.memoryMb: use a whole number of MB from ${MEMORY_MB.min} to ${MEMORY_MB.max} (received ${fn.memoryMb})`);
  }
  if (fn.reservedConcurrency !== undefined && !(Number.isInteger(fn.reservedConcurrency) && fn.reservedConcurrency >= 1)) {
    problems.push(`${where}.reservedConcurrency: use a positive whole number or leave it unset (received ${fn.reservedConcurrency})`);
  }
  problems.push(...dataProblems(fn, where, route, options.tableNames));
  problems.push(...publishProblems(fn, where, Object.keys(options.topics ?? definedTopics)));
  problems.push(...triggerProblems(fn as TaskDefinition, where, route, options.queues ?? definedQueues));
  return problems;
}

const quoted = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ');

function publishProblems(fn: FunctionDefinition, where: string, topicNames: readonly string[]): string[] {
  const publishes = fn.data?.publishes as unknown;
  if (publishes === undefined) return [];
  if (!Array.isArray(publishes) || publishes.length === 0 || publishes.some((t) => typeof t !== 'string')) {
    return [`${where}.data.publishes: use a non-empty list of topic names such as ["${topicNames[0] ?? 'registrations'}"], or leave it out (received ${JSON.stringify(publishes)})`];
  }
  return publishes
    .filter((t) => !topicNames.includes(t))
    .map((t) => `${where}.data.publishes: unknown topic "${t}"; use one of ${quoted(topicNames)} or define it in functions/messaging.ts`);
}

/** `rate(1 minute)`, `rate(5 minutes)` (EventBridge refuses `rate(1 minutes)` and `rate(5 minute)`), or a six-field `cron(...)`. */
export function scheduleProblem(expression: unknown): string | undefined {
  if (typeof expression !== 'string') return 'use "rate(<n> <unit>)" or "cron(<6 fields>)", e.g. "rate(1 minute)"';
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const n = Number(rate[1]);
    if (n < 1) return 'the rate must be at least 1';
    if ((n === 1) !== !rate[2]!.endsWith('s')) return `write "rate(${n} ${n === 1 ? rate[2]!.replace(/s$/, '') : `${rate[2]!.replace(/s$/, '')}s`})": EventBridge wants the singular unit for 1 and the plural otherwise`;
    return undefined;
  }
  if (/^cron\(\S+( \S+){5}\)$/.test(expression)) return undefined;
  return 'use "rate(<n> <unit>)" (minute(s), hour(s), day(s)) or "cron(<6 fields>)", e.g. "rate(1 minute)"';
}

/**
 * A task's trigger: one queue of functions/messaging.ts (batch 1-10, maximum
 * concurrency 2-1000, a visibility timeout of at least 6 x the task's
 * timeout) or one schedule. Routes are invoked by the API only.
 */
function triggerProblems(fn: TaskDefinition, where: string, route: boolean, queueDefs: Readonly<Record<string, QueueDefinition>>): string[] {
  const trigger = fn.trigger as unknown as Record<string, unknown> | undefined;
  if (trigger === undefined) return [];
  if (route) return [`${where}.trigger: only tasks take a trigger; routes are invoked by the API (move the function to tasks, or remove trigger)`];
  if (typeof trigger !== 'object' || trigger === null || ('queue' in trigger) === ('schedule' in trigger)) {
    return [`${where}.trigger: use { queue: "<queue>" } or { schedule: "rate(1 minute)" }, exactly one of them (received ${JSON.stringify(trigger)})`];
  }
  if ('schedule' in trigger) {
    const problem = scheduleProblem(trigger.schedule);
    return problem ? [`${where}.trigger.schedule: ${problem} (received ${JSON.stringify(trigger.schedule)})`] : [];
  }
  const problems: string[] = [];
  const queue = queueDefs[String(trigger.queue)];
  if (!queue) return [`${where}.trigger.queue: unknown queue ${JSON.stringify(trigger.queue)}; use one of ${quoted(Object.keys(queueDefs))} or define it in functions/messaging.ts`];
  const { batchSize, maximumConcurrency } = trigger;
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && (batchSize as number) >= 1 && (batchSize as number) <= 10)) {
    problems.push(`${where}.trigger.batchSize: use a whole number from 1 to 10 (received ${JSON.stringify(batchSize)})`);
  }
  if (maximumConcurrency !== undefined && !(Number.isInteger(maximumConcurrency) && (maximumConcurrency as number) >= 2 && (maximumConcurrency as number) <= 1000)) {
    problems.push(`${where}.trigger.maximumConcurrency: use a whole number from 2 to 1000, Lambda's range for SQS (received ${JSON.stringify(maximumConcurrency)})`);
  }
  const timeout = fn.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  if (queue.visibilityTimeoutSeconds < 6 * timeout) {
    problems.push(
      `${where}.trigger.queue: queue "${String(trigger.queue)}" has a visibility timeout of ${queue.visibilityTimeoutSeconds} s, under 6 x the task's ${timeout} s timeout (AWS's guidance for Lambda consumers, so a throttled batch is retried before the message reappears); set its visibilityTimeoutSeconds in functions/messaging.ts to at least ${6 * timeout}, or lower the task's timeoutSeconds (received ${queue.visibilityTimeoutSeconds})`,
    );
  }
  return problems;
}

/** Problems of functions/messaging.ts itself: subscriptions to unknown queues, values out of SQS's ranges. */
export function messagingProblems(topicDefs: Readonly<Record<string, TopicDefinition>>, queueDefs: Readonly<Record<string, QueueDefinition>>): string[] {
  const problems: string[] = [];
  const range = (where: string, value: unknown, [min, max]: readonly [number, number], unit: string) => {
    if (value !== undefined && !(Number.isInteger(value) && (value as number) >= min && (value as number) <= max)) {
      problems.push(`${where}: use a whole number from ${min} to ${max}${unit} (received ${JSON.stringify(value)})`);
    }
  };
  for (const [name, topic] of Object.entries(topicDefs)) {
    for (const queue of topic.subscriptions) {
      if (!(queue in queueDefs)) problems.push(`topics["${name}"].subscriptions: unknown queue "${queue}"; use one of ${quoted(Object.keys(queueDefs))} or define it in functions/messaging.ts`);
    }
  }
  const L = QUEUE_LIMITS;
  for (const [name, q] of Object.entries(queueDefs)) {
    range(`queues["${name}"].visibilityTimeoutSeconds`, q.visibilityTimeoutSeconds ?? 'missing', [L.visibilityTimeoutSeconds.min, L.visibilityTimeoutSeconds.max], ' s');
    range(`queues["${name}"].maxReceiveCount`, q.maxReceiveCount ?? 'missing', [L.maxReceiveCount.min, L.maxReceiveCount.max], '');
    range(`queues["${name}"].retentionSeconds`, q.retentionSeconds, [L.retentionSeconds.min, L.retentionSeconds.max], ' s');
    range(`queues["${name}"].deadLetterRetentionSeconds`, q.deadLetterRetentionSeconds, [L.retentionSeconds.min, L.retentionSeconds.max], ' s');
    if (name.endsWith('-dlq')) problems.push(`queues["${name}"]: names ending in "-dlq" are kept for dead-letter queues (every queue gets one); rename it`);
  }
  return problems;
}

/** A Cognito group name: 1-128 letters, marks, symbols, digits or punctuation (CreateGroup API, GroupName pattern). */
export const GROUP_NAME = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u;
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]{1,256}$/;

/** A route declares `auth` (who may call it) or `public` (why anyone may), never both and never neither. */
function accessProblems(fn: { method?: unknown; auth?: unknown; public?: unknown }, where: string): string[] {
  const { auth, public: reason } = fn;
  if (auth !== undefined && reason !== undefined) {
    return [`${where}: declares both auth and public; keep auth for a route that needs sign-in, or public with its reason`];
  }
  if (auth === undefined && reason === undefined) {
    return [
      `${where}: declares no access; add auth: {} (any signed-in user) or auth: { groups: ['<group>'] }, or public: '<why anyone may call it>' (for a route that writes data, also how abuse is bounded)`,
    ];
  }
  if (reason !== undefined) {
    const problem = publicReasonProblem(fn);
    return problem ? [`${where}.public: ${problem}`] : [];
  }
  const problems: string[] = [];
  const a = auth as { groups?: unknown; scopes?: unknown };
  if (typeof auth !== 'object' || auth === null || Array.isArray(auth)) return [`${where}.auth: use an object, e.g. {} or { groups: ['organizers'] } (received ${JSON.stringify(auth)})`];
  for (const key of Object.keys(a)) if (key !== 'groups' && key !== 'scopes') problems.push(`${where}.auth.${key}: unknown field; use groups or scopes`);
  // Cognito group names: 1-128 characters of \p{L}\p{M}\p{S}\p{N}\p{P} (CreateGroup API); scopes: RFC 6749 scope-token.
  for (const [field, pattern, example] of [['groups', GROUP_NAME, 'organizers'], ['scopes', SCOPE, 'aws.cognito.signin.user.admin']] as const) {
    const list = a[field];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.length === 0 || list.some((g) => typeof g !== 'string' || !pattern.test(g))) {
      problems.push(`${where}.auth.${field}: use a non-empty list of names such as ["${example}"], or leave it out (received ${JSON.stringify(list)})`);
    }
  }
  return problems;
}

function dataProblems(fn: FunctionDefinition, where: string, route: boolean, tableNames: readonly string[]): string[] {
  const problems: string[] = [];
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
  } else if (sqlUser === 'master' && (route || sql !== 'proxy')) {
    problems.push(
      `${where}.data.sqlUser: "master" is for the migration task only (a task with data.sql "proxy"); routes log in as the application role: remove sqlUser (received "master" on a ${route ? 'route' : `task with data.sql ${JSON.stringify(sql)}`})`,
    );
  }
  return problems;
}

/** Problems between entries: a name or a METHOD path used twice, a queue consumed by two functions. */
export function duplicateProblems(functions: readonly FunctionDefinition[]): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  const routeKeys = new Set<string>();
  const consumers = new Map<string, string>();
  for (const fn of functions) {
    const where = `${isRoute(fn) ? 'routes' : 'tasks'}["${fn.name}"]`;
    if (names.has(fn.name)) problems.push(`${where}.name: "${fn.name}" is used twice; give every route and task a unique name`);
    names.add(fn.name);
    if (isRoute(fn)) {
      const key = `${fn.method} ${fn.path}`;
      if (routeKeys.has(key)) problems.push(`${where}: route "${key}" is declared twice; keep one entry per method and path`);
      routeKeys.add(key);
    }
    const queue = ((fn as TaskDefinition).trigger as { queue?: unknown } | undefined)?.queue;
    if (typeof queue === 'string') {
      const other = consumers.get(queue);
      // Two consumers would each get a share of the messages, not each message.
      if (other) problems.push(`${where}.trigger.queue: queue "${queue}" already triggers "${other}"; give each consumer its own queue (subscribe both to the topic)`);
      consumers.set(queue, fn.name);
    }
  }
  return problems;
}
