/**
 * What the front end's edge does, defined once for CloudFront and the local
 * runtime: the security headers (infra/web-headers.ts) and the single-page
 * app's routing (infra/web-routing.ts, the CloudFront Function's own code).
 */
import { cognitoOrigin, contentSecurityPolicy, cspDirectives, webSecurityHeaders } from '../../infra/web-headers';
import { SPA_REWRITE_FUNCTION_CODE, spaRewrite } from '../../infra/web-routing';

const origins = { api: 'https://abc123.execute-api.eu-west-1.amazonaws.com', auth: [cognitoOrigin('eu-west-1')] };

describe('security headers', () => {
  test('the CSP lets the page load its own files only and call the API and Cognito only', () => {
    expect(contentSecurityPolicy(origins)).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
        "connect-src 'self' https://abc123.execute-api.eu-west-1.amazonaws.com https://cognito-idp.eu-west-1.amazonaws.com; " +
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    );
  });

  test('no directive allows a wildcard, inline code or eval', () => {
    for (const [, sources] of cspDirectives(origins)) {
      for (const source of sources) expect(source).not.toMatch(/\*|unsafe-/);
    }
  });

  test('the local runtime gets the same headers for its own API origin', () => {
    expect(webSecurityHeaders({ api: 'http://127.0.0.1:3000', auth: origins.auth })).toEqual({
      'content-security-policy': expect.stringContaining("connect-src 'self' http://127.0.0.1:3000 https://cognito-idp.eu-west-1.amazonaws.com;"),
      'strict-transport-security': 'max-age=63072000; includeSubDomains; preload',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'strict-origin-when-cross-origin',
    });
  });

  test.each(['*', 'https://*.example.com', "https://a.example.com 'unsafe-inline'", 'https://a.example.com; script-src *'])(
    'fails on a connect origin that is not a single origin: %s',
    (api) => {
      expect(() => contentSecurityPolicy({ api, auth: [] })).toThrow(/is not a single origin; use e\.g\. "https:\/\/api\.example\.com"/);
    },
  );
});

describe('single-page app routing', () => {
  test.each([
    ['/', '/index.html'],
    ['/events', '/index.html'],
    ['/events/42', '/index.html'],
    ['/me/registrations/', '/index.html'],
    ['/index.html', '/index.html'],
    ['/assets/app-3f2a1c.js', '/assets/app-3f2a1c.js'],
    ['/assets/missing-123456.js', '/assets/missing-123456.js'],
    ['/favicon.ico', '/favicon.ico'],
    ['/config.json', '/config.json'],
  ])('%s is served from %s', (path, served) => {
    expect(spaRewrite(path)).toBe(served);
  });

  test('the code is a CloudFront Function handler in the 2.0 runtime\'s language (no import, no export)', () => {
    expect(SPA_REWRITE_FUNCTION_CODE).toMatch(/^function handler\(event\) \{/);
    expect(SPA_REWRITE_FUNCTION_CODE).not.toMatch(/\b(import|export|require)\b/);
  });
});
