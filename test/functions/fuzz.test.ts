/**
 * Fuzzing the parsers of the handler framework and the SQL layer that see
 * untrusted input: whatever the body, headers or query, the chain answers
 * with a well-formed result and a status from the contract, never a 500.
 * (Every route of the app is fuzzed over HTTP in test/reliability/routes.test.ts.)
 */
import fc from 'fast-check';
import { z } from 'zod';
import { toPositional } from '../../functions/lib/data/sql';
import { httpHandler, reply } from '../../functions/lib/http';
import { finalizeProxyResult } from '../../functions/lib/http/proxy';
import { expectValidProxyResult } from './assertions';
import { captureLogs, httpEvent, lambdaContext } from './events';

const logs = captureLogs();
afterAll(() => logs.restore());

const handler = httpHandler(
  {
    body: z.strictObject({ title: z.string().min(1).max(50), tags: z.array(z.string()).max(5).optional() }),
    query: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).optional() }),
  },
  ({ body }) => reply(201, body),
);

const contentTypes = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/problem+json', '', 'APPLICATION/JSON');

test('any body x content-type x query -> a contract status, never 500', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify(v)), fc.constant('{"__proto__":{"x":1},"title":"a"}')),
      contentTypes,
      fc.boolean(),
      fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
      async (body, contentType, base64, query) => {
        const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
        const event = httpEvent('POST', '/fuzz', { body: base64 ? Buffer.from(body) : body, headers, query });
        const result = await handler(event, lambdaContext());
        expectValidProxyResult(result);
        expect([201, 400, 415]).toContain(result.statusCode);
        if (result.statusCode !== 201) expect(JSON.parse(result.body).error.code).toMatch(/^(invalid_json|validation_failed|unsupported_media_type)$/);
      },
    ),
    { numRuns: 300 },
  );
});

test('any value handed to the last gate -> a valid proxy result', () => {
  fc.assert(
    fc.property(fc.anything({ withBigInt: true, withDate: true, withTypedArray: true, withMap: true, withSet: true, withNullPrototype: true }), (value) => {
      expectValidProxyResult(finalizeProxyResult(value));
      expectValidProxyResult(finalizeProxyResult({ statusCode: 200, body: value, headers: value }));
    }),
    { numRuns: 300 },
  );
});

test('named parameters: placeholders outside literals become $n; literals, casts and comments are kept', () => {
  const name = fc.stringMatching(/^[a-z_][a-z0-9_]{0,10}$/);
  const literal = fc.string().map((s) => `'${s.replace(/'/g, "''")}'`);
  fc.assert(
    fc.property(fc.array(fc.oneof(name.map((n) => ({ n })), literal.map((l) => ({ l }))), { maxLength: 8 }), (parts) => {
      const sql = parts.map((p) => ('n' in p ? `:${p.n}::text` : p.l)).join(' , ');
      const { text, names } = toPositional(sql);
      const expectedNames = [...new Set(parts.flatMap((p) => ('n' in p ? [p.n] : [])))];
      expect(names).toEqual(expectedNames);
      for (const p of parts) if ('l' in p) expect(text).toContain(p.l);
      expect(text.match(/\$\d+::text/g)?.length ?? 0).toBe(parts.filter((p) => 'n' in p).length);
    }),
  );
  const sql = String.raw`SELECT :a, ':b', E'it\'s :c', "x:d", $$ :e $$, $t$ :f $t$ -- :g
    /* :h */ :a::int, :i`;
  const { text, names } = toPositional(sql);
  expect(names).toEqual(['a', 'i']);
  expect(text).toContain("$1, ':b', E'it\\'s :c', \"x:d\", $$ :e $$, $t$ :f $t$ -- :g");
  expect(text).toContain('/* :h */ $1::int, $2');
});
