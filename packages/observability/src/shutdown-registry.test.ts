import { ShutdownRegistry, type ShutdownLogger } from './index';

function recordingLogger(): ShutdownLogger & { lines: { level: string; msg: string; obj: Record<string, unknown> }[] } {
  const lines: { level: string; msg: string; obj: Record<string, unknown> }[] = [];
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, msg, obj: obj as Record<string, unknown> });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

/** A promise that never settles: a hook that hangs. It holds no handle, so it cannot keep jest alive. */
const forever = () => new Promise<void>(() => undefined);

describe('ShutdownRegistry', () => {
  it('closes in reverse registration order, one at a time, logging each', async () => {
    const logger = recordingLogger();
    const registry = new ShutdownRegistry(logger, 1000);
    const events: string[] = [];
    for (const name of ['redis', 'queue', 'http']) {
      registry.register(name, async () => {
        events.push(`start ${name}`);
        await Promise.resolve();
        events.push(`end ${name}`);
      });
    }
    expect(registry.order).toEqual(['http', 'queue', 'redis']);

    const result = await registry.shutdown('SIGTERM');
    expect(events).toEqual(['start http', 'end http', 'start queue', 'end queue', 'start redis', 'end redis']);
    expect(result).toMatchObject({ reason: 'SIGTERM', ok: true, timedOut: false, failed: [], pending: [] });
    expect(logger.lines.filter((l) => l.msg === 'closed').map((l) => l.obj.hook)).toEqual(['http', 'queue', 'redis']);
  });

  it('goes on past a hook that throws (sync or async) and reports it', async () => {
    const logger = recordingLogger();
    const registry = new ShutdownRegistry(logger, 1000);
    const closed: string[] = [];
    registry.register('pool', () => void closed.push('pool'));
    registry.register('sync-bad', () => {
      throw new Error('sync boom');
    });
    registry.register('async-bad', () => Promise.reject(new Error('async boom')));

    const result = await registry.shutdown('test');
    expect(closed).toEqual(['pool']);
    expect(result).toMatchObject({ ok: false, timedOut: false, failed: ['async-bad', 'sync-bad'] });
    expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.obj.hook)).toEqual(['async-bad', 'sync-bad']);
  });

  it('stops waiting at the deadline and names what was left', async () => {
    const logger = recordingLogger();
    const registry = new ShutdownRegistry(logger, 50);
    const closed: string[] = [];
    registry.register('redis', () => void closed.push('redis'));
    registry.register('stuck-worker', forever);
    registry.register('http', () => void closed.push('http'));

    const started = Date.now();
    const result = await registry.shutdown('SIGTERM');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(closed).toEqual(['http']);
    expect(result).toMatchObject({ ok: false, timedOut: true, pending: ['stuck-worker', 'redis'] });
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'error', msg: 'shutdown deadline passed' }));
  });

  it('is idempotent: a second call returns the same run and closes nothing twice', async () => {
    const registry = new ShutdownRegistry(recordingLogger(), 1000);
    const close = jest.fn();
    registry.register('once', close);
    const first = registry.shutdown('SIGTERM');
    const second = registry.shutdown('SIGINT');
    expect(second).toBe(first);
    expect((await second).reason).toBe('SIGTERM');
    await registry.shutdown('again');
    expect(close).toHaveBeenCalledTimes(1);
    expect(registry.shuttingDown).toBe(true);
  });

  it('lets a hook be removed, and closes hooks registered during shutdown at once', async () => {
    const registry = new ShutdownRegistry(recordingLogger(), 1000);
    const removed = jest.fn();
    const unregister = registry.register('gone', removed);
    unregister();

    let late: () => void = () => undefined;
    const lateClosed = new Promise<void>((resolve) => (late = resolve));
    registry.register('trigger', () => {
      registry.register('late', late);
    });
    await registry.shutdown('test');
    await lateClosed;
    expect(removed).not.toHaveBeenCalled();
  });
});
