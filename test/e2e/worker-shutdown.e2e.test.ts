import { Redis } from 'ioredis';
import { createAttemptQueue } from '@dropgate/queue';
import { requestJson, runPool, startSystem, waitFor, type RunningSystem, openClaimsCampaign } from '@dropgate/testkit';

const CONCURRENCY = 8;

/**
 * SIGTERM on a busy worker: it stops taking jobs, finishes the ones in flight, closes its connections and exits 0.
 * Nothing is left active or stalled; what it did not take waits for the next worker.
 */
describe('worker graceful shutdown (spawned processes)', () => {
  let sys: RunningSystem;

  beforeAll(async () => {
    // No bot-defence hold: the backlog must be waiting for the worker (not delayed) when it is told to stop.
    sys = await startSystem({ workers: 1, env: { RATE_LIMITS_ENABLED: 'false', CAMPAIGN_CACHE_TTL_MS: '200', WORKER_CONCURRENCY: String(CONCURRENCY), ATTEMPT_HOLD_MS: '0' } });
  }, 120_000);

  afterAll(async () => {
    await sys?.stop();
  }, 60_000);

  it('finishes in-flight jobs, leaves the rest queued, exits 0', async () => {
    const campaignId = await openClaimsCampaign(sys, 'shutdown', 500);

    const redis = new Redis(sys.env.REDIS_URL!);
    const queue = createAttemptQueue(redis, sys.queuePrefix);
    try {
      // A backlog first, so the worker is surely busy when it is told to stop.
      await queue.pause();
      const accepted = await runPool(
        Array.from({ length: 400 }, (_, i) => async () => {
          const res = await requestJson<{ attemptId: string }>(`${sys.intakeUrl}/v1/claims`, { body: { campaignId, customerId: `sd-${i}` } });
          expect(res.status).toBe(202);
          return res.body.attemptId;
        }),
        32,
      );
      await queue.resume();
      await waitFor('the worker busy', async () => {
        const c = await queue.getJobCounts('completed', 'active');
        return (c.completed ?? 0) >= 20 && (c.active ?? 0) > 0 ? c : undefined;
      }, 20_000, 10);

      const worker = sys.workers[0]!;
      const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
      worker.kill('SIGTERM');
      expect(await exited).toBe(0);

      const counts = await queue.getJobCounts('completed', 'active', 'wait', 'failed', 'delayed');
      expect(counts.active).toBe(0);
      expect(counts.failed).toBe(0);
      expect((counts.completed ?? 0) + (counts.wait ?? 0) + (counts.delayed ?? 0)).toBe(accepted.length);
      expect(counts.wait).toBeGreaterThan(0);
      const stalled = await Promise.all(accepted.map((id) => redis.hget(`${sys.queuePrefix}:attempts:${id}`, 'stc')));
      expect(stalled.filter((n) => Number(n) > 0)).toEqual([]);

      // The next worker takes over what was left, and every attempt ends.
      await sys.addWorker();
      await waitFor('the backlog drained', async () => ((await queue.getJobCounts('completed')).completed === accepted.length ? true : undefined), 60_000, 100);
    } finally {
      await queue.close();
      await redis.quit();
    }
  }, 180_000);
});
