import { MAX_STALLED_COUNT, staleWorkHorizonMs } from './stale-work';

describe('staleWorkHorizonMs', () => {
  const defaults = { JOB_ATTEMPTS: 5, JOB_BACKOFF_MS: 500, WORKER_LOCK_DURATION_MS: 30_000 };

  it('outlasts the whole exponential backoff schedule', () => {
    // Delays of 60 s, 120 s, 240 s and 480 s: the last retry comes 15 minutes after the first failure.
    const slow = { ...defaults, JOB_BACKOFF_MS: 60_000 };
    expect(staleWorkHorizonMs(slow)).toBeGreaterThan(15 * 60_000 + 10 * 60_000);
  });

  it('outlasts every stalled takeover the queue allows', () => {
    const longLocks = { ...defaults, WORKER_LOCK_DURATION_MS: 3_600_000 };
    expect(staleWorkHorizonMs(longLocks)).toBeGreaterThan(3_600_000 * MAX_STALLED_COUNT * defaults.JOB_ATTEMPTS);
  });

  it('grows with every setting that lengthens delivery', () => {
    const base = staleWorkHorizonMs(defaults);
    expect(staleWorkHorizonMs({ ...defaults, JOB_ATTEMPTS: 6 })).toBeGreaterThan(base);
    expect(staleWorkHorizonMs({ ...defaults, JOB_BACKOFF_MS: 501 })).toBeGreaterThan(base);
    expect(staleWorkHorizonMs({ ...defaults, WORKER_LOCK_DURATION_MS: 30_001 })).toBeGreaterThan(base);
  });
});
