import { loadAllConfigs, loadConfig, parseEnvironmentConfig, ConfigError } from '../infra/config';
import { environments } from '../infra/config/environments';

describe('environment config', () => {
  test('every environment validates', () => {
    expect(loadAllConfigs().map((c) => c.name)).toEqual(Object.keys(environments));
  });

  test('fails when min ACU 0 is combined with the RDS Proxy', () => {
    const raw = { ...environments.dev, aurora: { ...environments.dev.aurora, minCapacity: 0 } };
    expect(() => parseEnvironmentConfig(raw)).toThrow(ConfigError);
    expect(() => parseEnvironmentConfig(raw)).toThrow(/aurora\.minCapacity: 0 ACU \(auto-pause\) cannot be combined with the RDS Proxy.*\(received 0\)/);
  });

  test('fails on an unknown environment with the fix', () => {
    expect(() => loadConfig('staging')).toThrow(/unknown environment "staging"; use one of "dev", "prod"/);
  });
});
