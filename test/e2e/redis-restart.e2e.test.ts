import { startOwnRedis, type OwnRedis } from '../../scripts/src/lib/redis-server';
import { requestJson, runPool } from '../../scripts/src/lib/http-json';
import { startSystem, type RunningSystem } from '../../scripts/src/lib/system';
import { waitFor } from '../../scripts/src/lib/wait-for';

/**
 * Redis restarts in the middle of a burst (its own redis-server with AOF, never the shared one). Requests during
 * the outage are refused with 503 (not accepted); every request that was accepted (202) still reaches a final
 * outcome, and no code is handed out twice.
 */
describe('Redis restart mid-burst (spawned processes, own redis-server with AOF)', () => {
  let redis: OwnRedis;
  let sys: RunningSystem;

  beforeAll(async () => {
    redis = await startOwnRedis();
    sys = await startSystem({
      workers: 2,
      env: {
        REDIS_URL: redis.url,
        RATE_LIMITS_ENABLED: 'false',
        CAMPAIGN_CACHE_TTL_MS: '200',
        WORKER_LOCK_DURATION_MS: '3000',
        WORKER_STALLED_INTERVAL_MS: '1000',
      },
    });
  }, 120_000);

  afterAll(async () => {
    await sys?.stop();
    await redis?.destroy();
  }, 60_000);

  it('loses no accepted attempt and assigns no code twice', async () => {
    const auth = { authorization: `Bearer ${sys.adminToken}` };
    const created = await requestJson<{ id: string }>(`${sys.adminUrl}/admin/v1/campaigns`, {
      headers: auth,
      body: { name: 'restart', tiers: [{ name: 'standard', reward: 'x', quantity: 120 }], perCustomerLimit: 1, code: { length: 10 }, status: 'active' },
    });
    expect(created.status).toBe(201);
    const campaignId = created.body.id;
    await waitFor('intake to see the campaign open', async () => ((await requestJson<{ open?: boolean }>(`${sys.intakeUrl}/v1/campaigns/${campaignId}`)).body.open === true ? true : undefined));

    let sent = 0;
    let restart: Promise<void> | undefined;
    const responses = await runPool(
      Array.from({ length: 400 }, (_, i) => async () => {
        if (++sent === 150) restart = redis.stop().then(() => redis.start());
        const res = await requestJson<{ attemptId?: string; error?: { code: string } }>(`${sys.intakeUrl}/v1/claims`, {
          body: { campaignId, customerId: `rr-${i}` },
        });
        return res;
      }),
      16,
    );
    await restart;
    const accepted = responses.filter((r) => r.status === 202).map((r) => r.body.attemptId!);
    const refused = responses.filter((r) => r.status !== 202);
    for (const r of refused) {
      expect(r.status).toBe(503);
      expect(r.body.error!.code).toBe('unavailable');
    }
    // The outage really happened mid-burst: some requests met it, and most were accepted.
    expect(refused.length).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThan(120);

    const finals = await runPool(
      accepted.map((id) => () =>
        waitFor(
          `attempt ${id}`,
          async () => {
            const res = await requestJson<{ status: string; outcome?: string; code?: string }>(`${sys.intakeUrl}/v1/attempts/${id}`);
            return res.status === 200 && (res.body.status === 'done' || res.body.status === 'failed') ? res.body : undefined;
          },
          60_000,
          100,
        ),
      ),
      16,
    );
    expect(finals.filter((f) => f.status !== 'done')).toEqual([]);
    const claimed = finals.filter((f) => f.outcome === 'claimed');
    expect(claimed).toHaveLength(120);
    expect(new Set(claimed.map((f) => f.code)).size).toBe(120);
    for (const f of finals) expect(['claimed', 'sold_out']).toContain(f.outcome);
  }, 180_000);
});
