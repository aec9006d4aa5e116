import { MAX_QUICK_RESTARTS, nextRestart, STABLE_AFTER_MS } from './restart-rule';

describe('nextRestart', () => {
  it('backs off exponentially while a process keeps dying young', () => {
    expect(nextRestart(0, 100, 500)).toEqual({ giveUp: false, delayMs: 500, restarts: 1 });
    expect(nextRestart(1, 100, 500)).toEqual({ giveUp: false, delayMs: 1000, restarts: 2 });
    expect(nextRestart(3, 100, 500)).toEqual({ giveUp: false, delayMs: 4000, restarts: 4 });
  });

  it('caps the backoff at 30 s', () => {
    expect(nextRestart(4, 100, 10_000)).toEqual({ giveUp: false, delayMs: 30_000, restarts: 5 });
  });

  it('gives up after MAX_QUICK_RESTARTS early deaths in a row', () => {
    expect(nextRestart(MAX_QUICK_RESTARTS, 100, 500)).toEqual({ giveUp: true, exitsInARow: MAX_QUICK_RESTARTS + 1 });
  });

  it('starts counting afresh after a process ran stably', () => {
    expect(nextRestart(MAX_QUICK_RESTARTS, STABLE_AFTER_MS, 500)).toEqual({ giveUp: false, delayMs: 500, restarts: 1 });
  });
});
