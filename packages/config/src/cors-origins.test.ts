import { ConfigError, loadIntakeConfig, parseCorsOrigins } from './index';

describe('PUBLIC_CORS_ORIGINS', () => {
  it('is empty by default: no origin may call from a browser', () => {
    expect(loadIntakeConfig({}).PUBLIC_CORS_ORIGINS).toEqual([]);
    expect(loadIntakeConfig({ PUBLIC_CORS_ORIGINS: ' ' }).PUBLIC_CORS_ORIGINS).toEqual([]);
  });

  it.each<[string, unknown]>([
    ['*', '*'],
    ['https://shop.example', ['https://shop.example']],
    // As a browser sends Origin: lower case, default port left out, a trailing slash dropped, each once.
    ['HTTPS://Shop.Example:443/, http://localhost:8080 ,https://shop.example', ['https://shop.example', 'http://localhost:8080']],
  ])('parses %p', (raw, expected) => {
    expect(parseCorsOrigins(raw)).toEqual(expected);
    expect(loadIntakeConfig({ PUBLIC_CORS_ORIGINS: raw }).PUBLIC_CORS_ORIGINS).toEqual(expected);
  });

  it.each(['shop.example', 'https://shop.example/page', 'https://shop.example?x=1', 'ftp://shop.example', 'https://user@shop.example', 'https://a.example,,https://b.example', '*,https://shop.example'])(
    'refuses %p at start-up, naming the variable',
    (raw) => {
      expect(parseCorsOrigins(raw)).toBeUndefined();
      let error: unknown;
      try {
        loadIntakeConfig({ PUBLIC_CORS_ORIGINS: raw });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues[0]?.variable).toBe('PUBLIC_CORS_ORIGINS');
      expect((error as Error).message).toMatch(/PUBLIC_CORS_ORIGINS must be empty, '\*', or a comma-separated list of origins/);
    },
  );
});
