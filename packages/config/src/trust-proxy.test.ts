import { ConfigError, loadAdminConfig, loadIntakeConfig, parseTrustProxy } from './index';

function variableOf(load: () => unknown): string | undefined {
  try {
    load();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues[0]?.variable;
  }
  return undefined;
}

describe('TRUST_PROXY', () => {
  const trust = (raw: string) => loadIntakeConfig({ TRUST_PROXY: raw }).TRUST_PROXY;

  it.each<[string, unknown]>([
    ['false', false],
    ['0', 0],
    ['2', 2],
    ['loopback', ['loopback']],
    ['loopback, 10.0.0.0/8 ,192.168.1.1', ['loopback', '10.0.0.0/8', '192.168.1.1']],
    ['::1,fd00::/8', ['::1', 'fd00::/8']],
    ['10.0.0.0/255.0.0.0', ['10.0.0.0/255.0.0.0']],
    ['linklocal,uniquelocal', ['linklocal', 'uniquelocal']],
  ])('parses %p into what Express accepts', (raw, expected) => {
    expect(trust(raw)).toEqual(expected);
  });

  it("refuses 'true' at start-up (any client could pick its address), saying what to set instead", () => {
    let message = '';
    try {
      trust('true');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues[0]?.variable).toBe('TRUST_PROXY');
      message = (err as Error).message;
    }
    expect(message).toMatch(/TRUST_PROXY must not be 'true'.*number of proxies.*subnets/);
    // The admin refuses it too; a hop count or subnets are fine.
    expect(variableOf(() => loadAdminConfig({ ADMIN_TOKENS: `ops:read:${'a'.repeat(64)}`, TRUST_PROXY: 'true' }))).toBe('TRUST_PROXY');
    expect(loadAdminConfig({ ADMIN_TOKENS: `ops:read:${'a'.repeat(64)}`, TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1);
  });

  it.each(['yes', 'localhost', '10.0.0.0/33', '10.0.0.1,,10.0.0.2', '300.1.1.1', '-1', '1.5', '::1/129'])('rejects %p', (raw) => {
    expect(variableOf(() => trust(raw))).toBe('TRUST_PROXY');
    expect(parseTrustProxy(raw)).toBeUndefined();
  });
});
