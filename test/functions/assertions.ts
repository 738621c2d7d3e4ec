import type { ProxyResult } from '../../functions/lib/http/types';

/** What API Gateway requires of a payload 2.0 result (else "Malformed Lambda proxy response"). */
export function expectValidProxyResult(result: unknown): asserts result is ProxyResult {
  expect(typeof result).toBe('object');
  const r = result as ProxyResult;
  expect(Number.isInteger(r.statusCode)).toBe(true);
  expect(r.statusCode).toBeGreaterThanOrEqual(100);
  expect(r.statusCode).toBeLessThanOrEqual(599);
  expect(typeof r.body).toBe('string');
  expect(typeof r.isBase64Encoded).toBe('boolean');
  expect(typeof r.headers).toBe('object');
  for (const [k, v] of Object.entries(r.headers)) {
    expect(k).toBe(k.toLowerCase());
    expect(typeof v).toBe('string');
  }
  expect(typeof r.headers['content-type']).toBe('string');
  if (r.cookies !== undefined) {
    expect(Array.isArray(r.cookies)).toBe(true);
    for (const c of r.cookies) expect(typeof c).toBe('string');
  }
  if (r.isBase64Encoded) expect(r.body).toMatch(/^[A-Za-z0-9+/]*={0,2}$/);
  // Survives the JSON round trip the Lambda runtime does.
  expect(JSON.parse(JSON.stringify(r))).toEqual(r);
}

export function errorOf(result: ProxyResult): { code: string; message: string; details?: { path: string; message: string }[] } {
  expect(result.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(result.body) as { error: { code: string; message: string; details?: { path: string; message: string }[] } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(typeof body.error.code).toBe('string');
  expect(typeof body.error.message).toBe('string');
  return body.error;
}
