import { attemptJobOptions, type EnqueueOptions } from './enqueue-attempt';

const options: EnqueueOptions = { attempts: 5, backoffMs: 500, retentionS: 3600, holdMs: 1000 };
const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const msBefore = (ms: number): string => new Date(NOW - ms).toISOString();

describe('attemptJobOptions', () => {
  it('holds a job ATTEMPT_HOLD_MS from its acceptance, so held jobs come due in acceptance order', () => {
    expect(attemptJobOptions('att_1', options, msBefore(0), NOW).delay).toBe(1000);
    expect(attemptJobOptions('att_2', options, msBefore(250), NOW).delay).toBe(750);
    // Its hold already over (a slow enqueue): added ready, never with a negative delay.
    expect(attemptJobOptions('att_3', options, msBefore(1500), NOW).delay).toBeUndefined();
    // No acceptance time, or an unreadable one: held from now; never longer than the hold (clock skew).
    expect(attemptJobOptions('att_4', options, undefined, NOW).delay).toBe(1000);
    expect(attemptJobOptions('att_5', options, 'not a date', NOW).delay).toBe(1000);
    expect(attemptJobOptions('att_6', options, new Date(NOW + 5000).toISOString(), NOW).delay).toBe(1000);
  });

  it('does not hold at all with ATTEMPT_HOLD_MS 0, and keeps the job id, retries and retention', () => {
    const opts = attemptJobOptions('att_7', { ...options, holdMs: 0 }, msBefore(0), NOW);
    expect(opts).toEqual({ jobId: 'att_7', attempts: 5, backoff: { type: 'exponential', delay: 500 }, removeOnComplete: { age: 3600 }, removeOnFail: { age: 3600 } });
  });
});
