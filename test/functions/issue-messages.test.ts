/**
 * Validation messages: our compact English messages (functions/lib/http/issue-messages.ts)
 * for the issues the example app's zod/mini schemas raise, through a real handler.
 */
import * as z from 'zod/mini';
import { httpHandler } from '../../functions/lib/http';
import { errorOf } from './assertions';
import { httpEvent, lambdaContext } from './events';

const Body = z.strictObject({
  title: z.string().check(z.minLength(1), z.maxLength(5)),
  count: z.int().check(z.minimum(0), z.maximum(10)),
  email: z.optional(z.email()),
  startsAt: z.optional(z.iso.datetime({ offset: true })),
  kind: z.optional(z.enum(['a', 'b'])),
  tags: z.optional(z.array(z.string()).check(z.maxLength(2))),
  note: z.optional(z.string().check(z.refine((s) => !s.includes('x'), { message: 'Must not contain x' }))),
});

const handler = httpHandler({ body: Body }, () => ({ ok: true }));

async function messages(json: unknown): Promise<Record<string, string>> {
  const res = await handler(httpEvent('POST', '/things', { json }), lambdaContext());
  expect(res.statusCode).toBe(400);
  const error = errorOf(res);
  expect(error.code).toBe('validation_failed');
  return Object.fromEntries(error.details!.map((d) => [d.path, d.message]));
}

test('bounds, types, formats, options and unknown keys read as plain English', async () => {
  expect(await messages({ title: '', count: 11, email: 'nope', startsAt: 'soon', kind: 'c', tags: ['a', 'b', 'c'], extra: 1, other: 2 })).toEqual({
    'body.title': 'Too small: expected string to have >=1 characters',
    'body.count': 'Too big: expected number to be <=10',
    'body.email': 'Invalid email address',
    'body.startsAt': 'Invalid ISO datetime',
    'body.kind': 'Invalid option: expected one of "a"|"b"',
    'body.tags': 'Too big: expected array to have <=2 items',
    body: 'Unrecognized keys: "extra", "other"',
  });
  expect(await messages({ title: 'toolong', count: 1.5 })).toEqual({
    'body.title': 'Too big: expected string to have <=5 characters',
    'body.count': 'Invalid input: expected int, received number',
  });
  expect(await messages({ title: 7, count: null })).toEqual({
    'body.title': 'Invalid input: expected string, received number',
    'body.count': 'Invalid input: expected number, received null',
  });
  expect(await messages([])).toEqual({ body: 'Invalid input: expected object, received array' });
});

test('a custom message on a check is kept', async () => {
  expect(await messages({ title: 'a', count: 0, note: 'xyz' })).toEqual({ 'body.note': 'Must not contain x' });
});
