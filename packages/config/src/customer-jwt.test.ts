import { generateKeyPairSync } from 'node:crypto';
import { ConfigError, loadIntakeConfig } from './index';

function issueOf(env: Record<string, string>): { variable: string; message: string } | undefined {
  try {
    loadIntakeConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues[0];
  }
  return undefined;
}

const pem = (kind: 'rsa' | 'ec', options: Record<string, unknown>) =>
  generateKeyPairSync(kind as 'rsa', { ...options, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } } as never) as unknown as {
    publicKey: string;
    privateKey: string;
  };

describe('customer token keys (CUSTOMER_JWT_*)', () => {
  it('takes an RSA key for RS256 and a P-256 key for ES256, with real or escaped line breaks', () => {
    const rsa = pem('rsa', { modulusLength: 2048 }).publicKey;
    expect(loadIntakeConfig({ CUSTOMER_JWT_PUBLIC_KEY: rsa }).CUSTOMER_JWT_PUBLIC_KEY).toEqual({ pem: rsa, algorithm: 'RS256' });
    const ec = pem('ec', { namedCurve: 'P-256' }).publicKey;
    expect(loadIntakeConfig({ CUSTOMER_JWT_PUBLIC_KEY: ec.replace(/\n/g, '\\n') }).CUSTOMER_JWT_PUBLIC_KEY).toEqual({ pem: ec, algorithm: 'ES256' });
    expect(loadIntakeConfig({}).CUSTOMER_JWT_PUBLIC_KEY).toBeUndefined();
  });

  it.each<[string, () => string]>([
    ['garbage', () => 'not a key'],
    ['a truncated PEM', () => pem('ec', { namedCurve: 'P-256' }).publicKey.slice(0, 80)],
    ['a short RSA key', () => pem('rsa', { modulusLength: 1024 }).publicKey],
    ['another curve', () => pem('ec', { namedCurve: 'P-384' }).publicKey],
    ['a private key', () => pem('ec', { namedCurve: 'P-256' }).privateKey],
  ])('refuses %s at start-up, naming the variable', (_what, value) => {
    expect(issueOf({ CUSTOMER_JWT_PUBLIC_KEY: value() })?.variable).toBe('CUSTOMER_JWT_PUBLIC_KEY');
  });

  it('wants a secret of at least 32 characters', () => {
    expect(issueOf({ CUSTOMER_JWT_SECRET: 'short-secret' })?.variable).toBe('CUSTOMER_JWT_SECRET');
    expect(loadIntakeConfig({ CUSTOMER_JWT_SECRET: 's'.repeat(32) }).CUSTOMER_JWT_SECRET).toBe('s'.repeat(32));
  });
});

describe('public surface settings', () => {
  it('keeps metrics off the public port', () => {
    expect(issueOf({ PORT: '4000', METRICS_PORT: '4000' })?.variable).toBe('METRICS_PORT');
    expect(loadIntakeConfig({ METRICS_HOST: '0.0.0.0', METRICS_PORT: '9300' })).toMatchObject({ METRICS_HOST: '0.0.0.0', METRICS_PORT: 9300 });
  });

  it('parses timeouts, the connection cap and the shedding threshold', () => {
    expect(
      loadIntakeConfig({ HTTP_HEADERS_TIMEOUT_MS: '5000', HTTP_REQUEST_TIMEOUT_MS: '20000', HTTP_KEEP_ALIVE_TIMEOUT_MS: '61000', HTTP_MAX_CONNECTIONS: '0', SHED_EVENT_LOOP_DELAY_MS: '0' }),
    ).toMatchObject({ HTTP_HEADERS_TIMEOUT_MS: 5000, HTTP_REQUEST_TIMEOUT_MS: 20_000, HTTP_KEEP_ALIVE_TIMEOUT_MS: 61_000, HTTP_MAX_CONNECTIONS: 0, SHED_EVENT_LOOP_DELAY_MS: 0 });
    expect(issueOf({ HTTP_HEADERS_TIMEOUT_MS: '10' })?.variable).toBe('HTTP_HEADERS_TIMEOUT_MS');
  });
});
