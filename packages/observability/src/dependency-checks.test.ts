import { dependencyChecks } from './dependency-checks';

describe('dependencyChecks', () => {
  const ok = () => Promise.resolve('PONG');
  const down = () => Promise.reject(new Error('connect ECONNREFUSED'));
  const hangs = () => new Promise<never>(() => undefined);

  it('resolves when every dependency answers', async () => {
    await expect(dependencyChecks({ Redis: ok, 'the postgres store': ok })()).resolves.toBeUndefined();
  });

  it('names what failed, or did not answer in time', async () => {
    await expect(dependencyChecks({ Redis: down, 'the postgres store': ok })()).rejects.toThrow(/^Redis does not answer$/);
    await expect(dependencyChecks({ Redis: down, 'the postgres store': hangs }, 50)()).rejects.toThrow(/^Redis and the postgres store do not answer$/);
  });
});
