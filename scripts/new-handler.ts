/**
 * Scaffolds an HTTP handler, its test and its registry entry:
 *
 *   npm run new:handler -- <name> <METHOD> <path>
 *   npm run new:handler -- comments-create POST /posts/{id}/comments
 *
 * - <name>: unique kebab-case function name (the Lambda is <project>-<env>-<name>).
 *   The handler file is derived from it: `comments-create` -> functions/comments/create.ts,
 *   `status` -> functions/status.ts.
 * - <METHOD>: GET, POST, PUT, PATCH or DELETE.
 * - <path>: API path with `{param}` segments, e.g. /posts/{id}/comments.
 *
 * `--public "<reason>"` records why the route needs no authorization (the
 * policy pack reports routes without an authorizer or such a reason).
 *
 * Refuses invalid input, a name or METHOD+path already registered, and
 * existing files. `--root <dir>` works on another checkout (used by tests).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { entryProblems, handlerPathFor, HTTP_METHODS, pathParams } from '../functions/registry-schema';
import { environments } from '../infra/config/environments';
import { REPO_ROOT } from '../infra/paths';

type Method = (typeof HTTP_METHODS)[number];

export class ScaffoldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScaffoldError';
  }
}

export interface ScaffoldInput {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  /** Repository root. @default - this checkout */
  readonly root?: string;
  /** Why the route needs no authorization (≥ 10 characters). @default - none: SPS-API-3 reports the route */
  readonly public?: string;
}

export interface ScaffoldResult {
  readonly handlerFile: string;
  readonly testFile: string;
  readonly registryLine: string;
}

/** The longest `<project>-<env>-` of the environments: the Lambda name must fit in every one. */
const longestPrefix = () =>
  Object.values(environments)
    .map((e) => `${e.project}-${e.name}-`)
    .sort((a, b) => b.length - a.length)[0];

/** The entry the scaffold would register, checked with the registry's own rules (functions/registry-schema.ts). */
function validate(input: ScaffoldInput, root: string): { name: string; method: Method; path: string; params: string[] } {
  const { name, path } = input;
  const method = input.method.toUpperCase() as Method;
  const entry = { name, method, path, handler: handlerPathFor(name), ...(input.public !== undefined ? { public: input.public } : {}) };
  const problems = entryProblems(entry, { tableNames: [], prefix: longestPrefix(), functionsDir: join(root, 'functions') });
  if (problems.length > 0) throw new ScaffoldError(problems.join('\n'));
  return { name, method, path, params: pathParams(path) };
}

/** Whether a scaffold of this method takes a JSON body. */
const takesBody = (method: Method) => method === 'POST' || method === 'PUT' || method === 'PATCH';
/** The status a scaffold of this method answers. */
const statusOf = (method: Method) => (method === 'POST' ? 201 : method === 'DELETE' ? 204 : 200);

function handlerSource(method: Method, params: string[], libImport: string): string {
  const hasBody = takesBody(method);
  const schemas: string[] = [];
  if (params.length > 0) schemas.push(`const Path = z.strictObject({ ${params.map((p) => `${p}: z.string().check(z.minLength(1), z.maxLength(100))`).join(', ')} });`);
  if (hasBody) schemas.push('const Body = z.strictObject({ message: z.string().check(z.minLength(1), z.maxLength(1000)) });');
  const options = [...(params.length > 0 ? ['path: Path'] : []), ...(hasBody ? ['body: Body'] : [])].join(', ');
  const args = [...(params.length > 0 ? ['path'] : []), ...(hasBody ? ['body'] : [])];
  const status = statusOf(method);
  const result =
    status === 204 ? 'reply(204)' : `reply(${status}, { ok: true${params.length > 0 ? ', path' : ''}${hasBody ? ', body' : ''} })`;
  return [
    "import * as z from 'zod/mini';",
    `import { httpHandler, reply } from '${libImport}';`,
    '',
    ...schemas,
    ...(schemas.length > 0 ? [''] : []),
    `export const handler = httpHandler({${options ? ` ${options} ` : ''}}, async (${args.length > 0 ? `{ ${args.join(', ')} }` : ''}) => ${result});`,
    '',
  ]
    .join('\n')
    .replace("import * as z from 'zod/mini';\n", schemas.length > 0 ? "import * as z from 'zod/mini';\n" : '');
}

/** A single-quoted TypeScript string literal, as the rest of the code base writes them. */
const tsString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;

function testSource(method: Method, path: string, params: string[], handlerImport: string, eventsImport: string): string {
  const hasBody = takesBody(method);
  const pathObject = `{ ${params.map((p) => `${p}: 'test-${p}'`).join(', ')} }`;
  const rawPath = path.replace(/\{([A-Za-z][A-Za-z0-9_]*)\+?\}/g, (_m, p: string) => `test-${p}`);
  const status = statusOf(method);
  const hello = "{ message: 'hello' }";
  const eventOf = (json: string | undefined) => {
    const init = [...(params.length > 0 ? [`pathParameters: ${pathObject}`] : []), ...(json ? [`json: ${json}`] : [])];
    return `httpEvent('${method}', '${rawPath}'${init.length > 0 ? `, { ${init.join(', ')} }` : ''})`;
  };
  // What the scaffolded handler answers: the path and body it received.
  const expected = `{ ok: true${params.length > 0 ? `, path: ${pathObject}` : ''}${hasBody ? `, body: ${hello}` : ''} }`;
  return [
    `import { handler } from '${handlerImport}';`,
    `import { captureLogs, httpEvent, lambdaContext } from '${eventsImport}';`,
    '',
    'const logs = captureLogs();',
    'afterAll(() => logs.restore());',
    '',
    `test('${method} ${path} answers ${status}', async () => {`,
    `  const result = await handler(${eventOf(hasBody ? hello : undefined)}, lambdaContext());`,
    `  expect(result.statusCode).toBe(${status});`,
    ...(status === 204 ? ["  expect(result.body).toBe('');"] : [`  expect(JSON.parse(result.body)).toEqual(${expected});`]),
    '});',
    ...(hasBody
      ? [
          '',
          `test('${method} ${path} rejects an invalid body with 400 validation_failed', async () => {`,
          `  const result = await handler(${eventOf("{ message: '' }")}, lambdaContext());`,
          '  expect(result.statusCode).toBe(400);',
          "  expect(JSON.parse(result.body).error.code).toBe('validation_failed');",
          '});',
        ]
      : []),
    '',
  ].join('\n');
}

const ROUTES_END = '] as const satisfies readonly RouteDefinition[];';

export function scaffoldHandler(input: ScaffoldInput): ScaffoldResult {
  const root = resolve(input.root ?? REPO_ROOT);
  const { name, method, path, params } = validate(input, root);
  const registryFile = join(root, 'functions', 'registry.ts');
  const registry = readFileSync(registryFile, 'utf8');
  if (new RegExp(`name: '${name}'`).test(registry)) throw new ScaffoldError(`name "${name}" is already registered in functions/registry.ts`);
  const routeRe = new RegExp(`method: '${method}', path: '${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`);
  if (routeRe.test(registry)) throw new ScaffoldError(`${method} ${path} is already registered in functions/registry.ts`);
  const end = registry.indexOf(ROUTES_END);
  if (end === -1) throw new ScaffoldError(`functions/registry.ts: cannot find the end of \`routes\` ("${ROUTES_END}")`);

  const handlerRel = handlerPathFor(name);
  const handlerFile = join(root, 'functions', handlerRel);
  const testFile = join(root, 'test', 'functions', handlerRel.replace(/\.ts$/, '.test.ts'));
  for (const f of [handlerFile, testFile]) {
    if (existsSync(f)) throw new ScaffoldError(`${relative(root, f)} already exists; choose another name or remove it`);
  }

  const rel = (from: string, to: string) => {
    const r = relative(dirname(from), to).replace(/\.ts$/, '');
    return r.startsWith('.') ? r : `./${r}`;
  };
  const registryLine = `  { name: '${name}', method: '${method}', path: '${path}', handler: '${handlerRel}'${input.public !== undefined ? `, public: ${tsString(input.public.trim())}` : ''} },`;
  mkdirSync(dirname(handlerFile), { recursive: true });
  mkdirSync(dirname(testFile), { recursive: true });
  writeFileSync(handlerFile, handlerSource(method, params, rel(handlerFile, join(root, 'functions', 'lib', 'http', 'index.ts')).replace(/\/index$/, '')));
  writeFileSync(testFile, testSource(method, path, params, rel(testFile, handlerFile), rel(testFile, join(root, 'test', 'functions', 'events.ts'))));
  writeFileSync(registryFile, `${registry.slice(0, end)}${registryLine}\n${registry.slice(end)}`);
  return { handlerFile, testFile, registryLine };
}

function main(argv: string[]): number {
  const args = [...argv];
  let root: string | undefined;
  const at = args.indexOf('--root');
  if (at !== -1) {
    root = args[at + 1];
    args.splice(at, 2);
  }
  let publicReason: string | undefined;
  const pub = args.indexOf('--public');
  if (pub !== -1) {
    publicReason = args[pub + 1] ?? '';
    args.splice(pub, 2);
  }
  if (args.length !== 3 || args.includes('--help')) {
    console.error('usage: npm run new:handler -- <name> <METHOD> <path> [--public "<why no authorization>"]\n  e.g. npm run new:handler -- comments-create POST /posts/{id}/comments');
    return 2;
  }
  const [name, method, path] = args as [string, string, string];
  try {
    const result = scaffoldHandler({ name, method, path, ...(root ? { root } : {}), ...(publicReason !== undefined ? { public: publicReason } : {}) });
    const base = root ?? process.cwd();
    console.log(`created ${relative(base, result.handlerFile)}`);
    console.log(`created ${relative(base, result.testFile)}`);
    console.log(`registered in functions/registry.ts:\n${result.registryLine}`);
    if (publicReason === undefined) {
      console.log('note: the policy pack (npm run check, npm test) reports this route until it gets an authorizer or a `public: \'<reason>\'` in its registry line');
    }
    console.log('next: add data needs (tables / sql), memory and timeout to the registry line if it needs them, then `npm test -- test/functions`');
    return 0;
  } catch (err) {
    if (err instanceof ScaffoldError) {
      console.error(`new:handler: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
