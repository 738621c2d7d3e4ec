/**
 * RDS Proxy authentication: IAM tokens signed for the proxy host and port (the
 * signing is local, with static test credentials), cached, and renewed before
 * their 15-minute expiry.
 */
import { Signer } from '@aws-sdk/rds-signer';
import { proxyOptionsFromEnv, TOKEN_RENEW_AFTER_MS, TokenCache } from '../../functions/lib/data/proxy';

const ENV = {
  DB_PROXY_ENDPOINT: 'app-dev.proxy-abc123.eu-west-1.rds.amazonaws.com',
  DB_PORT: '5432',
  DB_USER: 'app_user',
  DB_NAME: 'app',
  AWS_REGION: 'eu-west-1',
};

describe('IAM auth tokens', () => {
  const saved = { ...process.env };
  beforeAll(() => Object.assign(process.env, ENV, { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }));
  afterAll(() => {
    process.env = saved;
  });

  test('the proxy adapter signs an rds-db connect token for host:port as DB_USER, with TLS verified', async () => {
    const options = proxyOptionsFromEnv();
    expect(options.ssl).toBe(true);
    expect(typeof options.password).toBe('function');
    const token = await (options.password as () => Promise<string>)();
    expect(token.startsWith(`${ENV.DB_PROXY_ENDPOINT}:5432/?`)).toBe(true);
    const query = new URLSearchParams(token.slice(token.indexOf('?') + 1));
    expect(query.get('Action')).toBe('connect');
    expect(query.get('DBUser')).toBe('app_user');
    expect(query.get('X-Amz-Expires')).toBe('900');
    expect(query.get('X-Amz-Credential')).toMatch(/\/eu-west-1\/rds-db\/aws4_request$/);
  });

  test('tokens are cached, shared by concurrent callers, and renewed after 10 minutes', async () => {
    let now = 1_000_000;
    let signed = 0;
    const signer = new Signer({ hostname: ENV.DB_PROXY_ENDPOINT, port: 5432, username: 'app_user', region: 'eu-west-1' });
    const cache = new TokenCache({ getAuthToken: () => ((signed += 1), signer.getAuthToken()) }, () => now);
    const [a, b] = await Promise.all([cache.get(), cache.get()]);
    expect(a).toBe(b);
    expect(signed).toBe(1);
    now += TOKEN_RENEW_AFTER_MS - 1;
    await cache.get();
    expect(signed).toBe(1);
    now += 2;
    await cache.get();
    expect(signed).toBe(2);
    expect(TOKEN_RENEW_AFTER_MS).toBeLessThan(15 * 60 * 1000);
  });

  test('a failed signing is retried on the next connection', async () => {
    let calls = 0;
    const cache = new TokenCache({
      getAuthToken: async () => {
        calls += 1;
        if (calls === 1) throw new Error('no credentials');
        return 'token';
      },
    });
    await expect(cache.get()).rejects.toThrow('no credentials');
    await expect(cache.get()).resolves.toBe('token');
  });
});
