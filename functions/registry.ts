/**
 * The route registry: the single source of truth for every function.
 * Add an endpoint = add a handler file + one line here (`npm run new:handler`).
 */
import { ORGANIZERS } from './groups';
import type { RouteDefinition, TaskDefinition } from './registry-types';

export type { RouteDefinition, TaskDefinition, FunctionDefinition, HttpMethod, SqlAccess } from './registry-types';

/** Reading the board and the events is public by design; reads are bounded by stage throttling, reserved concurrency and paging. */
const PUBLIC_READ = 'Public reads of the board and of events (no personal data): bounded by stage throttling, reserved concurrency and page limits';

export const routes = [
  { name: 'health', method: 'GET', path: '/health', handler: 'health.ts', data: { tables: { posts: 'read' }, sql: 'proxy' }, memoryMb: 256, timeoutSeconds: 5, public: 'Health check probed by uptime monitors without credentials; returns no user data' },

  { name: 'posts-create', method: 'POST', path: '/posts', handler: 'posts/create.ts', data: { tables: { posts: 'read-write' } }, auth: {} },
  { name: 'posts-list', method: 'GET', path: '/posts', handler: 'posts/list.ts', data: { tables: { posts: 'read' } }, public: PUBLIC_READ },
  { name: 'posts-get', method: 'GET', path: '/posts/{id}', handler: 'posts/get.ts', data: { tables: { posts: 'read' } }, public: PUBLIC_READ },
  { name: 'posts-update', method: 'PUT', path: '/posts/{id}', handler: 'posts/update.ts', data: { tables: { posts: 'read-write' } }, auth: {} },
  { name: 'posts-delete', method: 'DELETE', path: '/posts/{id}', handler: 'posts/delete.ts', data: { tables: { posts: 'read-write' } }, auth: {} },

  { name: 'events-create', method: 'POST', path: '/events', handler: 'events/create.ts', data: { sql: 'data-api' }, auth: { groups: [ORGANIZERS] } },
  { name: 'events-list', method: 'GET', path: '/events', handler: 'events/list.ts', data: { sql: 'data-api' }, public: PUBLIC_READ },
  { name: 'events-get', method: 'GET', path: '/events/{id}', handler: 'events/get.ts', data: { sql: 'data-api' }, public: PUBLIC_READ },
  { name: 'registrations-create', method: 'POST', path: '/events/{id}/registrations', handler: 'registrations/create.ts', data: { sql: 'proxy', publishes: ['registrations'] }, timeoutSeconds: 15, auth: {} },
  { name: 'registrations-list', method: 'GET', path: '/events/{id}/registrations', handler: 'registrations/list.ts', data: { sql: 'proxy' }, auth: { groups: [ORGANIZERS] } },
  { name: 'registrations-delete', method: 'DELETE', path: '/events/{id}/registrations/{registrationId}', handler: 'registrations/delete.ts', data: { sql: 'proxy' }, auth: {} },
  { name: 'me-registrations', method: 'GET', path: '/me/registrations', handler: 'me/registrations.ts', data: { sql: 'proxy' }, auth: {} },
  { name: 'me-registrations-get', method: 'GET', path: '/me/registrations/{id}', handler: 'me/registrations-get.ts', data: { sql: 'proxy' }, auth: {} },
] as const satisfies readonly RouteDefinition[];

/**
 * Functions not behind the API. `migrate` is invoked by the stack on apply;
 * `confirmations` by its queue (functions/messaging.ts); `outbox-sweep` every
 * minute, publishing what registrations-create could not.
 */
export const tasks = [
  { name: 'migrate', handler: 'migrate.ts', data: { sql: 'proxy', sqlUser: 'master' }, memoryMb: 256, timeoutSeconds: 300 },
  { name: 'confirmations', handler: 'confirmations.ts', data: { sql: 'proxy' }, timeoutSeconds: 10, trigger: { queue: 'confirmations', batchSize: 10, maximumConcurrency: 2 } },
  { name: 'outbox-sweep', handler: 'outbox/sweep.ts', data: { sql: 'proxy', publishes: ['registrations'] }, timeoutSeconds: 30, trigger: { schedule: 'rate(1 minute)' } },
] as const satisfies readonly TaskDefinition[];
