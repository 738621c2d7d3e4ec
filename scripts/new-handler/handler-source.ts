/**
 * The source of a scaffolded handler: a typed middy chain whose zod schemas
 * are the types it receives, and the smallest real use of the data the route
 * declares (an item of its table by key, or parameterised SQL as the
 * application role), so it runs against the local stand-ins as written.
 */
import type { KeyPart, ScaffoldPlan } from './plan';

/** A property name as TypeScript needs it written. */
export const property = (name: string) => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : `'${name}'`);

/** The value expression of a key attribute in the handler: its path parameter, or a new value on create. */
const keyValue = (k: KeyPart) => (k.param ? `path.${k.param}` : k.type === 'N' ? 'Date.now()' : 'randomUUID()');
const keyObject = (key: readonly KeyPart[]) => `{ ${key.map((k) => `${property(k.attribute)}: ${keyValue(k)}`).join(', ')} }`;

function schemas(plan: ScaffoldPlan): string[] {
  const lines: string[] = [];
  if (plan.params.length > 0) {
    const fields = plan.params.map((p) =>
      p.number
        ? `${p.name}: z.pipe(z.string().check(z.regex(/^\\d{1,15}$/, { message: 'Must be a whole number' })), z.coerce.number<string>())`
        : `${p.name}: z.string().check(z.minLength(1), z.maxLength(100))`,
    );
    const oneLine = `const Path = z.strictObject({ ${fields.join(', ')} });`;
    lines.push(oneLine.length <= 140 ? oneLine : ['const Path = z.strictObject({', ...fields.map((f) => `  ${f},`), '});'].join('\n'));
  }
  if (plan.hasBody) lines.push('const Body = z.strictObject({ message: z.string().check(z.minLength(1), z.maxLength(1000)) });');
  return lines;
}

/** `httpHandler({ path: Path, body: Body }, async ({ path, body }) =>`, with the arguments the body uses. */
function handlerHead(plan: ScaffoldPlan, uses: { path: boolean; body: boolean }): string {
  const options = [...(plan.params.length > 0 ? ['path: Path'] : []), ...(plan.hasBody ? ['body: Body'] : [])];
  const args = [...(uses.path ? ['path'] : []), ...(uses.body ? ['body'] : [])];
  return `export const handler = httpHandler({${options.length > 0 ? ` ${options.join(', ')} ` : ''}}, async (${args.length > 0 ? `{ ${args.join(', ')} }` : ''}) =>`;
}

interface Parts {
  readonly imports: string[];
  readonly helpers: string[];
  readonly head: string;
  /** The arrow function's body: an expression, or a block starting with `{`. */
  readonly body: string;
}

function withoutData(plan: ScaffoldPlan): Parts {
  const hasPath = plan.params.length > 0;
  const result =
    plan.status === 204 ? 'reply(204)' : `reply(${plan.status}, { ok: true${hasPath ? ', path' : ''}${plan.hasBody ? ', body' : ''} })`;
  return {
    imports: ["import { httpHandler, reply } from '../lib/http';"],
    helpers: [],
    head: handlerHead(plan, { path: hasPath && plan.status !== 204, body: plan.hasBody && plan.status !== 204 }),
    body: result,
  };
}

function withSql(plan: ScaffoldPlan, adapter: 'proxy' | 'data-api'): Parts {
  const factory = adapter === 'proxy' ? 'proxyDatabase' : 'dataApiDatabase';
  const hasPath = plan.params.length > 0;
  const columns = [...(hasPath ? ['path'] : []), ...(plan.hasBody ? ['body'] : [])];
  const select = [...columns.map((c) => `:${c}::jsonb AS "${c}"`), 'current_user AS "role"'].join(', ');
  const rowType = [...(hasPath ? ['path: typeof path'] : []), ...(plan.hasBody ? ['body: typeof body'] : []), 'role: string'].join('; ');
  const params = columns.length > 0 ? `, { ${columns.map((c) => `${c}: sqlParam.json(${c})`).join(', ')} }` : '';
  const query = `await db.query<{ ${rowType} }>('SELECT ${select}'${params})`;
  const statements = plan.status === 204 ? [`${query};`, 'return reply(204);'] : [`const { rows } = ${query};`, `return reply(${plan.status}, rows[0]);`];
  return {
    imports: [
      `import { ${factory} } from '../lib/data/${adapter}';`,
      ...(columns.length > 0 ? ["import { sqlParam } from '../lib/data/sql';"] : []),
      "import { httpHandler, reply } from '../lib/http';",
    ],
    helpers: [`// Created once per container; data.sql: '${adapter}' in the registry line gives the function its environment and grants.`, `const db = ${factory}();`],
    head: handlerHead(plan, { path: hasPath, body: plan.hasBody }),
    body: ['{', '  // Parameterised SQL (values as :name parameters), run as the application role.', ...statements.map((l) => `  ${l}`), '}'].join('\n'),
  };
}

const DYNAMO_FAILED = [
  "/** DynamoDB throttled or unreachable is a 503 `unavailable` (the error contract); anything else stays a 500. */",
  'const dynamoFailed = (err: unknown): never => {',
  '  throw isDynamoUnavailable(err) ? unavailable(err) : err;',
  '};',
];
const CONDITION_FAILED = ["const isConditionFailure = (err: unknown) => (err as { name?: unknown }).name === 'ConditionalCheckFailedException';"];

function withTable(plan: ScaffoldPlan, data: Extract<ScaffoldPlan['data'], { kind: 'table' }>): Parts {
  const { table, operation, key } = data;
  const tableName = `tableName('${table}')`;
  const pk = key[0]!;
  const names = `'#pk': '${pk.attribute}'`;
  const command = { get: 'GetCommand', query: 'QueryCommand', scan: 'ScanCommand', put: 'PutCommand', update: 'UpdateCommand', delete: 'DeleteCommand' }[operation];
  const httpNames = new Set(['httpHandler', 'unavailable']);
  const helpers = [...DYNAMO_FAILED];
  const conditional = operation === 'update' || (operation === 'put' && key.some((k) => k.param));
  if (conditional) helpers.push(...CONDITION_FAILED);
  let lines: string[];
  switch (operation) {
    case 'get':
      httpNames.add('notFound');
      lines = [
        `const { Item } = await documentClient.send(new GetCommand({ TableName: ${tableName}, Key: ${keyObject(key)} })).catch(dynamoFailed);`,
        "if (!Item) throw notFound('Item not found');",
        'return Item;',
      ];
      break;
    case 'query':
      lines = [
        '// The first 25 items of the partition, in sort key order (functions/lib/domain/posts.ts pages with a cursor).',
        'const { Items = [] } = await documentClient',
        `  .send(new QueryCommand({ TableName: ${tableName}, KeyConditionExpression: '#pk = :pk', ExpressionAttributeNames: { ${names} }, ExpressionAttributeValues: { ':pk': ${keyValue(pk)} }, Limit: 25 }))`,
        '  .catch(dynamoFailed);',
        'return { items: Items };',
      ];
      break;
    case 'scan':
      lines = [
        '// The first 25 items (functions/lib/domain/posts.ts lists through an index, with a cursor).',
        `const { Items = [] } = await documentClient.send(new ScanCommand({ TableName: ${tableName}, Limit: 25 })).catch(dynamoFailed);`,
        'return { items: Items };',
      ];
      break;
    case 'put':
      httpNames.add('reply');
      if (conditional) httpNames.add('conflict');
      lines = [
        `const item = { ${key.map((k) => `${property(k.attribute)}: ${keyValue(k)}`).join(', ')}, message: body.message, createdAt: new Date().toISOString() };`,
        ...(conditional
          ? [
              'await documentClient',
              `  .send(new PutCommand({ TableName: ${tableName}, Item: item, ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { ${names} } }))`,
              '  .catch((err: unknown) => {',
              "    if (isConditionFailure(err)) throw conflict('already_exists', 'An item with this key already exists');",
              '    return dynamoFailed(err);',
              '  });',
            ]
          : [`await documentClient.send(new PutCommand({ TableName: ${tableName}, Item: item })).catch(dynamoFailed);`]),
        'return reply(201, item);',
      ];
      break;
    case 'update':
      httpNames.add('notFound');
      lines = [
        'const { Attributes } = await documentClient',
        '  .send(',
        '    new UpdateCommand({',
        `      TableName: ${tableName},`,
        `      Key: ${keyObject(key)},`,
        "      UpdateExpression: 'SET #message = :message, #updatedAt = :now',",
        "      ConditionExpression: 'attribute_exists(#pk)',",
        `      ExpressionAttributeNames: { ${names}, '#message': 'message', '#updatedAt': 'updatedAt' },`,
        "      ExpressionAttributeValues: { ':message': body.message, ':now': new Date().toISOString() },",
        "      ReturnValues: 'ALL_NEW',",
        '    }),',
        '  )',
        '  .catch((err: unknown) => {',
        "    if (isConditionFailure(err)) throw notFound('Item not found');",
        '    return dynamoFailed(err);',
        '  });',
        'return Attributes;',
      ];
      break;
    case 'delete':
      httpNames.add('notFound').add('reply');
      lines = [
        `const { Attributes } = await documentClient.send(new DeleteCommand({ TableName: ${tableName}, Key: ${keyObject(key)}, ReturnValues: 'ALL_OLD' })).catch(dynamoFailed);`,
        "if (!Attributes) throw notFound('Item not found');",
        'return reply(204);',
      ];
      break;
  }
  const usesPath = key.some((k) => k.param) && operation !== 'scan';
  const others = data.otherTables.length > 0 ? [`// The registry line also grants ${data.otherTables.map((t) => `tableName('${t}')`).join(', ')}.`] : [];
  return {
    imports: [
      ...(operation === 'put' && key.some((k) => !k.param && k.type === 'S') ? ["import { randomUUID } from 'node:crypto';"] : []),
      `import { ${command} } from '@aws-sdk/lib-dynamodb';`,
      "import { documentClient, isDynamoUnavailable, tableName } from '../lib/data/dynamo';",
      `import { ${[...httpNames].sort().join(', ')} } from '../lib/http';`,
    ],
    helpers,
    head: handlerHead(plan, { path: usesPath, body: operation === 'put' || operation === 'update' }),
    body: ['{', ...[...others, ...lines].map((l) => `  ${l}`), '}'].join('\n'),
  };
}

/** The handler file's text; `libDir` is the functions/lib folder relative to the handler (`../lib`). */
export function handlerSource(plan: ScaffoldPlan, libDir: string): string {
  const parts = plan.data.kind === 'sql' ? withSql(plan, plan.data.adapter) : plan.data.kind === 'table' ? withTable(plan, plan.data) : withoutData(plan);
  const zodSchemas = schemas(plan);
  const imports = [...(zodSchemas.length > 0 ? ["import * as z from 'zod/mini';"] : []), ...parts.imports].map((l) => l.replace("'../lib/", `'${libDir}/`));
  // Node built-ins first, then packages, then our modules (as the code base orders them).
  const rank = (l: string) => (l.includes("'node:") ? 0 : l.includes(`'${libDir}/`) ? 2 : 1);
  const from = (l: string) => l.slice(l.lastIndexOf(' from '));
  imports.sort((a, b) => rank(a) - rank(b) || from(a).localeCompare(from(b)));
  return [
    ...imports,
    '',
    ...(zodSchemas.length > 0 ? [...zodSchemas, ''] : []),
    ...(parts.helpers.length > 0 ? [...parts.helpers, ''] : []),
    `${parts.head} ${parts.body});`,
    '',
  ].join('\n');
}
