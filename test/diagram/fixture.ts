/**
 * A 17-function app for the diagram tests (16 routes and the migrate task):
 * two DynamoDB tables read and written by different functions, SQL through
 * the RDS Proxy and through the Data API, one function with both, in three
 * zones with NAT on, so that every kind of node and edge is drawn at a size
 * where a careless layout stops being readable. Synthesized on stand-in zips
 * (no bundling).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import type { DataNeeds, RouteDefinition, TaskDefinition } from '../../functions/registry-types';
import type { TableDefinition } from '../../functions/tables';
import { PlatformStack } from '../../infra/stack';
import { configFor, FakeArchives } from '../infra/helpers';
import { fixtureFunctionsDir } from '../fixtures/registry';

/** Table needs by name: the registry's type only knows the example app's tables. */
const uses = (tables: Record<string, 'read' | 'read-write'>) => tables as DataNeeds['tables'];

const route = (name: string, method: RouteDefinition['method'], path: string, data: DataNeeds): RouteDefinition => ({
  name,
  method,
  path,
  handler: 'plain.ts',
  data,
  public: 'Diagram fixture route; abuse bounded by stage throttling',
});

export const manyRoutes: readonly RouteDefinition[] = [
  route('health', 'GET', '/health', { tables: uses({ posts: 'read' }), sql: 'proxy' }),
  route('posts-list', 'GET', '/posts', { tables: uses({ posts: 'read' }) }),
  route('posts-get', 'GET', '/posts/{id}', { tables: uses({ posts: 'read' }) }),
  route('posts-create', 'POST', '/posts', { tables: uses({ posts: 'read-write' }) }),
  route('posts-update', 'PUT', '/posts/{id}', { tables: uses({ posts: 'read-write' }) }),
  route('posts-delete', 'DELETE', '/posts/{id}', { tables: uses({ posts: 'read-write' }) }),
  route('comments-list', 'GET', '/posts/{id}/comments', { tables: uses({ comments: 'read', posts: 'read' }) }),
  route('comments-create', 'POST', '/posts/{id}/comments', { tables: uses({ comments: 'read-write', posts: 'read' }) }),
  route('comments-delete', 'DELETE', '/posts/{id}/comments/{commentId}', { tables: uses({ comments: 'read-write', posts: 'read' }) }),
  route('events-list', 'GET', '/events', { sql: 'data-api' }),
  route('events-create', 'POST', '/events', { sql: 'data-api' }),
  route('events-get', 'GET', '/events/{id}', { sql: 'data-api' }),
  route('events-update', 'PATCH', '/events/{id}', { sql: 'data-api' }),
  route('registrations-create', 'POST', '/events/{id}/registrations', { sql: 'proxy' }),
  route('registrations-list', 'GET', '/events/{id}/registrations', { sql: 'proxy' }),
  route('registrations-delete', 'DELETE', '/events/{id}/registrations/{registrationId}', { sql: 'proxy' }),
];

export const manyTasks: readonly TaskDefinition[] = [{ name: 'migrate', handler: 'plain.ts', data: { sql: 'proxy', sqlUser: 'master' }, timeoutSeconds: 300 }];

export const manyTables: Readonly<Record<string, TableDefinition>> = {
  posts: { partitionKey: { name: 'id', type: 'S' } },
  comments: { partitionKey: { name: 'postId', type: 'S' }, sortKey: { name: 'id', type: 'S' } },
};

export const manyConfig = configFor('dev', {
  availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
  natGateways: true,
});

/** The synthesized Terraform JSON of the fixture stack (no temporary folder left behind). */
export function synthManyFunctions(): Record<string, unknown> {
  const archives = new FakeArchives();
  const outdir = mkdtempSync(join(tmpdir(), 'sps-diagram-test-'));
  try {
    const stack = new PlatformStack(Testing.app({ outdir }), manyConfig.name, {
      config: manyConfig,
      routes: manyRoutes,
      tasks: manyTasks,
      tables: manyTables,
      functionsDir: fixtureFunctionsDir,
      migrationsDir: join(import.meta.dirname, '..', 'infra', 'fixtures', 'migrations'),
      archives: new Map([...manyRoutes, ...manyTasks].map((fn) => [fn.name, archives.archive(fn.name)])),
      stateBackend: {},
    });
    return JSON.parse(Testing.synth(stack)) as Record<string, unknown>;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
