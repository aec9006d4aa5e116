import { dependencyChecks, readyUntilShutdown } from './dependency-checks';
import { ShutdownRegistry } from './shutdown-registry';

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

describe('readyUntilShutdown', () => {
  it('answers as its checks do until shutdown starts, then is not ready without asking them', async () => {
    const shutdown = new ShutdownRegistry({ info: () => undefined, warn: () => undefined, error: () => undefined }, 1000);
    let asked = 0;
    const ready = readyUntilShutdown(shutdown, () => {
      asked += 1;
      return Promise.resolve();
    });
    await expect(ready()).resolves.toBeUndefined();
    let release!: () => void;
    shutdown.register('draining http', () => new Promise<void>((resolve) => (release = resolve)));
    const done = shutdown.shutdown('SIGTERM');
    await expect(ready()).rejects.toThrow('shutting down');
    expect(asked).toBe(1);
    release();
    await done;
  });
});
