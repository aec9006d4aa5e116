import { EventEmitter } from 'node:events';
import { installSignalHandlers, ShutdownRegistry, type ShutdownLogger } from './index';

const silent: ShutdownLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const emitSignal = (signal: NodeJS.Signals) => (process.emit as (event: string, ...args: unknown[]) => boolean)(signal, signal);

describe('installSignalHandlers', () => {
  let uninstall: () => void = () => undefined;
  afterEach(() => uninstall());

  it('shuts down on SIGTERM and exits 0 when done', async () => {
    const registry = new ShutdownRegistry(silent, 1000);
    const close = jest.fn();
    registry.register('server', close);
    const exited = new Promise<number>((resolve) => (uninstall = installSignalHandlers(registry, silent, { exit: resolve })));
    emitSignal('SIGTERM');
    expect(await exited).toBe(0);
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('exits 1 when the deadline passes', async () => {
    const registry = new ShutdownRegistry(silent, 20);
    registry.register('stuck', () => new Promise<void>(() => undefined));
    const exited = new Promise<number>((resolve) => (uninstall = installSignalHandlers(registry, silent, { exit: resolve })));
    emitSignal('SIGINT');
    expect(await exited).toBe(1);
  });

  it('exits 1 at once on a second signal after the repeat grace', async () => {
    const registry = new ShutdownRegistry(silent, 60_000);
    let release: () => void = () => undefined;
    registry.register('slow', () => new Promise<void>((resolve) => (release = resolve)));
    const exited = new Promise<number>((resolve) => (uninstall = installSignalHandlers(registry, silent, { exit: resolve, repeatGraceMs: 0 })));
    emitSignal('SIGTERM');
    emitSignal('SIGTERM');
    expect(await exited).toBe(1);
    release();
    await registry.shutdown('SIGTERM');
  });

  it('treats a repeat within the grace window as the same stop (group Ctrl-C + supervisor forward)', async () => {
    const registry = new ShutdownRegistry(silent, 60_000);
    let release: () => void = () => undefined;
    registry.register('slow', () => new Promise<void>((resolve) => (release = resolve)));
    const codes: number[] = [];
    const exited = new Promise<number>((resolve) => (uninstall = installSignalHandlers(registry, silent, { exit: (c) => (codes.push(c), resolve(c)), repeatGraceMs: 60_000 })));
    emitSignal('SIGINT');
    emitSignal('SIGTERM');
    expect(codes).toEqual([]);
    release();
    expect(await exited).toBe(0);
    expect(codes).toEqual([0]);
  });

  it('shuts down when the IPC channel to the parent closes (the supervisor is gone, even SIGKILLed)', async () => {
    const registry = new ShutdownRegistry(silent, 1000);
    const close = jest.fn();
    registry.register('server', close);
    const parent = new EventEmitter();
    const exited = new Promise<number>((resolve) => (uninstall = installSignalHandlers(registry, silent, { exit: resolve, parent })));
    expect(close).not.toHaveBeenCalled();
    parent.emit('disconnect');
    expect(await exited).toBe(0);
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('shuts down at once when the channel closed before the handlers were installed (the supervisor died during start-up)', async () => {
    // What `process` looks like then: `connected` false, and no 'disconnect' will ever come. It used to run on as an orphan.
    const registry = new ShutdownRegistry(silent, 1000);
    const close = jest.fn();
    registry.register('server', close);
    const parent = Object.assign(new EventEmitter(), { connected: false });
    const exited = new Promise<number>((resolve) => (uninstall = installSignalHandlers(registry, silent, { exit: resolve, parent })));
    expect(await exited).toBe(0);
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('does not stop while the channel is connected, nor without one', async () => {
    const registry = new ShutdownRegistry(silent, 1000);
    const close = jest.fn();
    registry.register('server', close);
    uninstall = installSignalHandlers(registry, silent, { exit: () => undefined, parent: Object.assign(new EventEmitter(), { connected: true }) });
    uninstall();
    uninstall = installSignalHandlers(registry, silent, { exit: () => undefined, parent: new EventEmitter() });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(close).not.toHaveBeenCalled();
  });

  it('stops on SIGHUP too (a closed terminal drains like Ctrl-C)', async () => {
    const registry = new ShutdownRegistry(silent, 1000);
    const exited = new Promise<number>((resolve) => (uninstall = installSignalHandlers(registry, silent, { exit: resolve })));
    emitSignal('SIGHUP');
    expect(await exited).toBe(0);
  });
});
