import { loadAllConfigs, loadConfig, parseEnvironmentConfig, ConfigError } from '../infra/config';
import { environments } from '../infra/config/environments';
import { fixtureEnvironments } from './fixtures/environments';

describe('environment config', () => {
  test('every environment validates', () => {
    expect(loadAllConfigs().map((c) => c.name)).toEqual(Object.keys(environments));
  });

  test('fails when min ACU 0 is combined with the RDS Proxy', () => {
    const raw = { ...fixtureEnvironments.dev, aurora: { ...fixtureEnvironments.dev.aurora, minCapacity: 0 } };
    expect(() => parseEnvironmentConfig(raw)).toThrow(ConfigError);
    expect(() => parseEnvironmentConfig(raw)).toThrow(/aurora\.minCapacity: 0 ACU \(auto-pause\) cannot be combined with the RDS Proxy.*\(received 0\)/);
  });

  test('fails on an unknown environment with the fix', () => {
    const known = Object.keys(environments).map((e) => `"${e}"`).join(', ');
    expect(() => loadConfig('no-such-environment')).toThrow(`unknown environment "no-such-environment"; use one of ${known} or add it to infra/config/environments.ts`);
  });
});
