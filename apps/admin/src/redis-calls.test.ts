import { ApiError } from '@dropgate/http';
import { redisCalls } from './redis-calls';

describe('redisCalls', () => {
  const setup = () => {
    let down = false;
    const errors: unknown[] = [];
    const calls = redisCalls({ isDown: () => down, onError: (err) => void errors.push(err) });
    return { calls, errors, goDown: () => void (down = true) };
  };

  it('answers what the call answers while Redis is up', async () => {
    const { calls, errors } = setup();
    await expect(calls.run(() => Promise.resolve('job-1'))).resolves.toBe('job-1');
    expect(errors).toEqual([]);
  });

  it('turns a failed call into 503 unavailable with Retry-After, telling onError why', async () => {
    const { calls, errors } = setup();
    const cause = new Error('Reached the max retries per request limit (which is 3).');
    const err = await calls.run(() => Promise.reject(cause)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect({ status: (err as ApiError).status, code: (err as ApiError).code, retryAfterS: (err as ApiError).options.retryAfterS }).toEqual({ status: 503, code: 'unavailable', retryAfterS: 1 });
    expect(errors).toEqual([cause]);
  });

  it('lets an ApiError of the call pass as it is (a 413 while staging is no outage)', async () => {
    const { calls, errors } = setup();
    const tooLarge = new ApiError('payload_too_large', 'too large');
    await expect(calls.run(() => Promise.reject(tooLarge))).rejects.toBe(tooLarge);
    expect(errors).toEqual([]);
  });

  it('while Redis is known to be away, refuses at once without making the call', async () => {
    const { calls, errors, goDown } = setup();
    goDown();
    let made = false;
    const err = await calls
      .run(() => {
        made = true;
        return Promise.resolve('never');
      })
      .catch((e: unknown) => e);
    expect({ made, isDown: calls.isDown, code: (err as ApiError).code, retryAfterS: (err as ApiError).options.retryAfterS }).toEqual({ made: false, isDown: true, code: 'unavailable', retryAfterS: 1 });
    expect(errors).toEqual([]);
  });
});
