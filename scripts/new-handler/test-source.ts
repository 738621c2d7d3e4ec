/**
 * The source of a scaffolded handler's test: functions/testing.ts starts the
 * local stand-ins for the file and calls the handler with real payload 2.0
 * events; each test arranges the data it needs, then checks the status, the
 * body and what the handler stored. It passes as written.
 */
import { property } from './handler-source';
import type { KeyPart, PathParam, ScaffoldPlan } from './plan';

/** Code written as is inside a literal, e.g. `expect.any(String)`. */
class Code {
  constructor(readonly code: string) {}
}
type Literal = string | number | Code;

/** A TypeScript literal: `'text'`, `42`, `{ id: 'a', seq: 1 }`. */
const literal = (value: Literal | Record<string, Literal>): string =>
  value instanceof Code
    ? value.code
    : typeof value === 'number'
      ? String(value)
      : typeof value === 'string'
        ? `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
        : `{ ${Object.entries(value).map(([k, v]) => `${property(k)}: ${literal(v)}`).join(', ')} }`;
const anyOf = (type: 'S' | 'N') => new Code(type === 'N' ? 'expect.any(Number)' : 'expect.any(String)');

/** Sample path parameter values: `test-<name>` for strings, 42, 43… for numbers. */
function sampleParams(params: readonly PathParam[], missing = false): Record<string, string> {
  return Object.fromEntries(params.map((p, i) => [p.name, p.number ? String((missing ? 404 : 42) + i) : `${missing ? 'missing' : 'test'}-${p.name}`]));
}

/** The stored key attributes for path values (numbers as numbers), with generated parts as `expect.any(…)`. */
function keyOf(key: readonly KeyPart[], pathValues: Record<string, string>): Record<string, Literal> {
  return Object.fromEntries(
    key.map((k) => [k.attribute, k.param ? (k.type === 'N' ? Number(pathValues[k.param]) : pathValues[k.param]!) : anyOf(k.type)]),
  );
}

class TestWriter {
  readonly lines: string[] = [];
  constructor(private readonly plan: ScaffoldPlan) {}

  get title() {
    return `${this.plan.method} ${this.plan.entry.path}`;
  }

  /** `await local.invoke('<name>', { pathParameters, json, user })`; a signed-in route's calls carry a user of its groups. */
  invoke(path: Record<string, string>, json?: string, user: string | undefined = this.plan.entry.auth ? 'USER' : undefined): string {
    const init = [...(this.plan.params.length > 0 ? [`pathParameters: ${literal(path)}`] : []), ...(json ? [`json: ${json}`] : []), ...(user ? [`user: ${user}`] : [])];
    return `await local.invoke('${this.plan.entry.name}'${init.length > 0 ? `, { ${init.join(', ')} }` : ''})`;
  }

  /** The refusals of a signed-in route: no token (API Gateway's 401), and a user outside its groups (403). */
  accessTests(): void {
    const auth = this.plan.entry.auth;
    if (!auth) return;
    const path = sampleParams(this.plan.params);
    const json = this.plan.hasBody ? HELLO : undefined;
    this.test('refuses a call without a token: 401, as the authorizer does', [
      `const result = ${this.invoke(path, json, '')};`,
      "expect([result.statusCode, JSON.parse(result.body)]).toEqual([401, { message: 'Unauthorized' }]);",
    ]);
    if (auth.groups?.length) {
      this.test('refuses a signed-in user outside its groups: 403 forbidden', [
        `const result = ${this.invoke(path, json, "{ sub: 'scaffold-outsider', email: 'outsider@example.com' }")};`,
        "expect([result.statusCode, JSON.parse(result.body).error.code]).toEqual([403, 'forbidden']);",
      ]);
    }
  }

  test(name: string, body: readonly string[]): void {
    this.lines.push('', `test(${literal(`${this.title} ${name}`)}, async () => {`, ...body.map((l) => `  ${l}`), '});');
  }

  /** The 400 case every body route has. */
  validationTest(): void {
    if (!this.plan.hasBody) return;
    this.test('rejects an invalid body with 400 validation_failed', [
      `const result = ${this.invoke(sampleParams(this.plan.params), "{ message: '' }")};`,
      'expect(result.statusCode).toBe(400);',
      "expect(JSON.parse(result.body).error).toMatchObject({ code: 'validation_failed', details: [{ path: 'body.message' }] });",
    ]);
  }
}

const HELLO = "{ message: 'hello' }";
const requestLogged = (status: number) => `expect(logs.at(-1)).toMatchObject({ msg: 'request', status: ${status} });`;

function withoutData(w: TestWriter, plan: ScaffoldPlan): void {
  const path = sampleParams(plan.params);
  const expected = `{ ok: true${plan.params.length > 0 ? `, path: ${literal(path)}` : ''}${plan.hasBody ? `, body: ${HELLO}` : ''} }`;
  w.test(`answers ${plan.status}`, [
    `const result = ${w.invoke(path, plan.hasBody ? HELLO : undefined)};`,
    `expect(result.statusCode).toBe(${plan.status});`,
    plan.status === 204 ? "expect(result.body).toBe('');" : `expect(JSON.parse(result.body)).toEqual(${expected});`,
    requestLogged(plan.status),
  ]);
}

function withSql(w: TestWriter, plan: ScaffoldPlan): void {
  const path = sampleParams(plan.params);
  const expected = `{ ${[...(plan.params.length > 0 ? [`path: ${literal(path)}`] : []), ...(plan.hasBody ? [`body: ${HELLO}`] : []), 'role: local.cloud.config.aurora.appUsername'].join(', ')} }`;
  w.test(plan.status === 204 ? 'answers 204 after its SQL ran as the application role' : `answers ${plan.status} with what PostgreSQL read back, as the application role`, [
    `const result = ${w.invoke(path, plan.hasBody ? HELLO : undefined)};`,
    `expect(result.statusCode).toBe(${plan.status});`,
    plan.status === 204 ? "expect(result.body).toBe('');" : `expect(JSON.parse(result.body)).toEqual(${expected});`,
    requestLogged(plan.status),
  ]);
}

function withTable(w: TestWriter, plan: ScaffoldPlan, data: Extract<ScaffoldPlan['data'], { kind: 'table' }>): void {
  const { key, table } = data;
  const path = sampleParams(plan.params);
  const missing = sampleParams(plan.params, true);
  const tableName = `local.tableName('${table}')`;
  const stored = (k: Record<string, Literal>) => literal({ ...k, message: 'stored by the test' });
  const put = (item: string) => `await local.documentClient.send(new PutCommand({ TableName: ${tableName}, Item: ${item} }));`;
  const get = (k: string) => `(await local.documentClient.send(new GetCommand({ TableName: ${tableName}, Key: ${k} }))).Item`;
  const notFound = () =>
    w.test('answers 404 not_found for an item it does not hold', [
      `const result = ${w.invoke(missing, plan.hasBody ? HELLO : undefined)};`,
      'expect(result.statusCode).toBe(404);',
      "expect(JSON.parse(result.body).error.code).toBe('not_found');",
    ]);
  const item = keyOf(key, path);
  switch (data.operation) {
    case 'get':
      w.test('answers 200 with the stored item', [
        `const item = ${stored(item)};`,
        put('item'),
        `const result = ${w.invoke(path, plan.hasBody ? HELLO : undefined)};`,
        'expect(result.statusCode).toBe(200);',
        'expect(JSON.parse(result.body)).toEqual(item);',
        requestLogged(200),
      ]);
      notFound();
      break;
    case 'query': {
      // Two items of the partition the path names, one of another partition.
      const pk = key[0]!;
      const sk = key[1]!;
      const sortValues: Literal[] = sk.type === 'N' ? [1, 2] : ['a', 'b'];
      const other = pk.type === 'N' ? 99 : 'another-partition';
      w.test('answers 200 with the items of the partition, in sort key order', [
        `const items = [${sortValues.map((v) => stored({ ...item, [sk.attribute]: v })).join(', ')}];`,
        `const elsewhere = ${stored({ [pk.attribute]: other, [sk.attribute]: sortValues[0]! })};`,
        `for (const item of [...items, elsewhere]) ${put('item')}`,
        `const result = ${w.invoke(path, plan.hasBody ? HELLO : undefined)};`,
        'expect(result.statusCode).toBe(200);',
        'expect(JSON.parse(result.body)).toEqual({ items });',
        requestLogged(200),
      ]);
      break;
    }
    case 'scan': {
      const only = Object.fromEntries(key.map((k) => [k.attribute, k.type === 'N' ? 1 : `test-${k.attribute}`]));
      w.test('answers 200 with the stored items', [
        `const item = ${stored(only)};`,
        put('item'),
        `const result = ${w.invoke(path, plan.hasBody ? HELLO : undefined)};`,
        'expect(result.statusCode).toBe(200);',
        'expect(JSON.parse(result.body)).toEqual({ items: [item] });',
        requestLogged(200),
      ]);
      break;
    }
    case 'put': {
      const keyRead = `{ ${key.map((k) => `${property(k.attribute)}: created${/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k.attribute) ? `.${k.attribute}` : `['${k.attribute}']`}`).join(', ')} }`;
      w.test('creates the item: 201 with the item, and stores it', [
        `const result = ${w.invoke(path, HELLO)};`,
        'expect(result.statusCode).toBe(201);',
        'const created = JSON.parse(result.body);',
        `expect(created).toEqual(${literal({ ...item, message: 'hello', createdAt: anyOf('S') })});`,
        `expect(${get(keyRead)}).toEqual(created);`,
        requestLogged(201),
      ]);
      if (key.every((k) => k.param)) {
        w.test('answers 409 already_exists when the item exists', [
          put(stored(item)),
          `const result = ${w.invoke(path, HELLO)};`,
          'expect(result.statusCode).toBe(409);',
          "expect(JSON.parse(result.body).error.code).toBe('already_exists');",
        ]);
      }
      break;
    }
    case 'update':
      w.test('answers 200 with the updated item', [
        put(stored(item)),
        `const result = ${w.invoke(path, HELLO)};`,
        'expect(result.statusCode).toBe(200);',
        `expect(JSON.parse(result.body)).toEqual(${literal({ ...item, message: 'hello', updatedAt: anyOf('S') })});`,
        requestLogged(200),
      ]);
      notFound();
      break;
    case 'delete':
      w.test('deletes the item: 204, and it is gone', [
        put(stored(item)),
        `const result = ${w.invoke(path)};`,
        'expect(result.statusCode).toBe(204);',
        `expect(${get(literal(item))}).toBeUndefined();`,
        requestLogged(204),
      ]);
      notFound();
      break;
  }
}

/** The test file's text; `testing` and `log` are functions/testing.ts and functions/lib/log.ts relative to the test, without extension. */
export function testSource(plan: ScaffoldPlan, imports: { testing: string; log: string }): string {
  const w = new TestWriter(plan);
  if (plan.data.kind === 'table') withTable(w, plan, plan.data);
  else if (plan.data.kind === 'sql') withSql(w, plan);
  else withoutData(w, plan);
  w.validationTest();
  w.accessTests();
  const body = w.lines.join('\n');
  const commands = ['GetCommand', 'PutCommand'].filter((c) => body.includes(`new ${c}(`));
  const stands =
    plan.data.kind === 'table'
      ? 'dynalite with the tables of functions/tables.ts'
      : plan.data.kind === 'sql'
        ? 'PostgreSQL 17 behind the RDS Proxy emulator, migrated'
        : 'dynalite and PostgreSQL';
  return [
    '/**',
    ` * ${w.title} (${plan.entry.name}), called as API Gateway calls it. functions/testing.ts`,
    ` * starts the local stand-ins once for this file (${stands}),`,
    " * sets the function's environment from its registry entry and passes real payload 2.0 events.",
    ' */',
    ...(commands.length > 0 ? [`import { ${commands.join(', ')} } from '@aws-sdk/lib-dynamodb';`] : []),
    `import { setLogSink, type LogRecord } from '${imports.log}';`,
    `import { startLocalServices, type LocalServices${plan.entry.auth ? ', type TestUser' : ''} } from '${imports.testing}';`,
    '',
    ...(plan.entry.auth
      ? [
          '// The signed-in caller, as API Gateway\'s JWT authorizer passes its verified token to the function.',
          `const USER: TestUser = { sub: 'scaffold-user', email: 'user@example.com'${plan.entry.auth.groups?.length ? `, groups: [${plan.entry.auth.groups.map((g) => literal(g)).join(', ')}]` : ''} };`,
          '',
        ]
      : []),
    '// The handler logs one JSON line per request: keep them for assertions instead of printing them.',
    'const logs: LogRecord[] = [];',
    'const printLogs = setLogSink((record) => logs.push(record));',
    'let local: LocalServices;',
    '',
    'beforeAll(async () => {',
    `  local = await startLocalServices({ functions: ['${plan.entry.name}'] });`,
    '}, 60_000);',
    '',
    'afterAll(async () => {',
    '  await local?.stop();',
    '  setLogSink(printLogs);',
    '});',
    body,
    '',
  ].join('\n');
}
