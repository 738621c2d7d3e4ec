/**
 * `npm run new:handler` on a temporary copy of the repository: it scaffolds a
 * handler that works, its test and its registry line, and refuses bad input
 * and duplicates. The real checkout is never touched.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { handlerPathFor } from '../../functions/registry-schema';
import { scaffoldHandler } from '../../scripts/new-handler';
import type { HttpHandler } from '../../functions/lib/http';
import { captureLogs, httpEvent, lambdaContext } from './events';

const ROOT = process.cwd();
let tmp: string;
const logs = captureLogs();

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-new-handler-'));
  cpSync(path.join(ROOT, 'functions'), path.join(tmp, 'functions'), { recursive: true });
  mkdirSync(path.join(tmp, 'test', 'functions'), { recursive: true });
  cpSync(path.join(ROOT, 'test', 'functions', 'events.ts'), path.join(tmp, 'test', 'functions', 'events.ts'));
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(tmp, 'node_modules'), 'dir');
});

afterAll(() => {
  logs.restore();
  rmSync(tmp, { recursive: true, force: true });
});

const registry = () => readFileSync(path.join(tmp, 'functions', 'registry.ts'), 'utf8');

test('GIVEN name, METHOD and path WHEN run as `npm run new:handler` THEN it writes the handler, its test and one registry line', () => {
  const out = execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'scripts', 'new-handler.ts'), '--root', tmp, 'comments-create', 'post', '/posts/{id}/comments'], {
    encoding: 'utf8',
  });
  expect(out).toContain('created functions/comments/create.ts');
  expect(existsSync(path.join(tmp, 'functions', 'comments', 'create.ts'))).toBe(true);
  expect(existsSync(path.join(tmp, 'test', 'functions', 'comments', 'create.test.ts'))).toBe(true);
  // More scaffolds before any generated module (and so the copied registry) is imported.
  scaffoldHandler({ root: tmp, name: 'status', method: 'GET', path: '/status' });
  scaffoldHandler({ root: tmp, name: 'comments-delete', method: 'DELETE', path: '/posts/{id}/comments/{commentId}' });
  expect(registry()).toContain("  { name: 'comments-create', method: 'POST', path: '/posts/{id}/comments', handler: 'comments/create.ts' },\n");
  expect(registry().indexOf("name: 'comments-create'")).toBeLessThan(registry().indexOf('] as const satisfies readonly RouteDefinition[];'));
});

test('the scaffolded handler runs: typed path and body, 201, and 400 validation_failed', async () => {
  const { handler } = (await import(path.join(tmp, 'functions', 'comments', 'create.ts'))) as { handler: HttpHandler };
  const ok = await handler(httpEvent('POST', '/posts/p1/comments', { pathParameters: { id: 'p1' }, json: { message: 'hi' } }), lambdaContext());
  expect(ok.statusCode).toBe(201);
  expect(JSON.parse(ok.body)).toEqual({ ok: true, path: { id: 'p1' }, body: { message: 'hi' } });
  const bad = await handler(httpEvent('POST', '/posts/p1/comments', { pathParameters: { id: 'p1' }, json: {} }), lambdaContext());
  expect(bad.statusCode).toBe(400);
  const generatedTest = readFileSync(path.join(tmp, 'test', 'functions', 'comments', 'create.test.ts'), 'utf8');
  expect(generatedTest).toContain("from '../../../functions/comments/create'");
  // The generated test checks what the handler answers, with the same values the handler gets.
  expect(generatedTest).toContain("handler(httpEvent('POST', '/posts/test-id/comments', { pathParameters: { id: 'test-id' }, json: { message: 'hello' } }), lambdaContext())");
  expect(generatedTest).toContain("expect(JSON.parse(result.body)).toEqual({ ok: true, path: { id: 'test-id' }, body: { message: 'hello' } });");
  const answer = await handler(httpEvent('POST', '/posts/test-id/comments', { pathParameters: { id: 'test-id' }, json: { message: 'hello' } }), lambdaContext());
  expect(JSON.parse(answer.body)).toEqual({ ok: true, path: { id: 'test-id' }, body: { message: 'hello' } });
});

test('scaffolds GET and DELETE handlers without a body schema', async () => {
  const { handler } = (await import(path.join(tmp, 'functions', 'status.ts'))) as { handler: HttpHandler };
  expect((await handler(httpEvent('GET', '/status'), lambdaContext())).statusCode).toBe(200);
  const generatedTest = readFileSync(path.join(tmp, 'test', 'functions', 'status.test.ts'), 'utf8');
  expect(generatedTest).toContain("handler(httpEvent('GET', '/status'), lambdaContext())");
  expect(generatedTest).toContain("expect(JSON.parse(result.body)).toEqual({ ok: true });");
  const del = (await import(path.join(tmp, 'functions', 'comments', 'delete.ts'))) as { handler: HttpHandler };
  const r = await del.handler(httpEvent('DELETE', '/posts/a/comments/b', { pathParameters: { id: 'a', commentId: 'b' } }), lambdaContext());
  expect(r.statusCode).toBe(204);
});

test.each([
  [{ name: 'Bad_Name', method: 'GET', path: '/x' }, /routes\["Bad_Name"\]\.name: use kebab-case/],
  [{ name: 'x-y', method: 'FETCH', path: '/x' }, /routes\["x-y"\]\.method: use one of GET, POST, PUT, PATCH, DELETE \(received "FETCH"\)/],
  [{ name: 'x-y', method: 'GET', path: 'x' }, /\.path: start with "\/"/],
  [{ name: 'x-y', method: 'GET', path: '/x/' }, /\.path: start with "\/" and do not end with "\/"/],
  [{ name: 'x-y', method: 'GET', path: '/a/{id}/b/{id}' }, /use each \{param\} name once/],
  [{ name: 'lib-x', method: 'GET', path: '/x' }, /functions\/lib\/, which holds no handlers/],
  [{ name: 'x'.repeat(60), method: 'GET', path: '/x' }, /over AWS's 64/],
  [{ name: 'posts-create', method: 'GET', path: '/elsewhere' }, /"posts-create" is already registered/],
  [{ name: 'posts-again', method: 'POST', path: '/posts' }, /POST \/posts is already registered/],
  [{ name: 'comments-create', method: 'PUT', path: '/c' }, /already registered/],
])('fails on %o', (input, message) => {
  const before = registry();
  expect(() => scaffoldHandler({ root: tmp, ...input })).toThrow(message);
  expect(registry()).toBe(before);
});

test('refuses to overwrite an existing file', () => {
  expect(handlerPathFor('health')).toBe('health.ts');
  // health.ts exists but "health" is registered: use an unregistered name whose file exists.
  cpSync(path.join(tmp, 'functions', 'health.ts'), path.join(tmp, 'functions', 'orphan.ts'));
  expect(() => scaffoldHandler({ root: tmp, name: 'orphan', method: 'GET', path: '/orphan' })).toThrow(/functions\/orphan.ts already exists/);
});

test('--public records why the route needs no authorization in the registry line', () => {
  const r = scaffoldHandler({ root: tmp, name: 'ping', method: 'GET', path: '/ping', public: "Liveness probe; it's public by design" });
  expect(r.registryLine).toBe(`  { name: 'ping', method: 'GET', path: '/ping', handler: 'ping.ts', public: 'Liveness probe; it\\'s public by design' },`);
  expect(registry()).toContain(r.registryLine);
});

test('fails when the --public reason is shorter than 10 characters', () => {
  const before = registry();
  expect(() => scaffoldHandler({ root: tmp, name: 'pong', method: 'GET', path: '/pong', public: 'because' })).toThrow(/\.public: give the reason the route needs no sign-in in at least 10 characters/);
  expect(registry()).toBe(before);
});
