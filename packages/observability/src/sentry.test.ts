import { captureException, closeSentry, flushSentry, initSentry } from './index';

describe('Sentry without a DSN', () => {
  it('is a no-op that never throws', async () => {
    expect(initSentry({ dsn: undefined, environment: 'test', app: 'worker' })).toBe(false);
    expect(captureException(new Error('ignored'))).toBeUndefined();
    await expect(flushSentry(100)).resolves.toBe(true);
    await expect(closeSentry(100)).resolves.toBe(true);
  });

  it('does not throw on a malformed DSN', () => {
    const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(() => initSentry({ dsn: 'definitely not a dsn', environment: 'test', app: 'worker' })).not.toThrow();
    expect(captureException(new Error('ignored'))).toBeUndefined();
    expect(consoleError).toHaveBeenCalledWith(expect.stringContaining('Invalid Sentry Dsn'));
    consoleError.mockRestore();
  });
});
