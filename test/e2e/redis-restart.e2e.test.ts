import { requestJson, runPool, startOwnRedis, startSystem, waitFor, type JsonResponse, type OwnRedis, type RunningSystem, openClaimsCampaign } from '@dropgate/testkit';

/**
 * Redis goes away and comes back (its own redis-server with AOF, never the shared one), in three deterministic
 * phases: a batch accepted while Redis is up, a batch refused with 503 while it is down (the intake stays up), the
 * rest accepted once it is back. Every request that was accepted (202) still reaches a final outcome, and no code
 * is handed out twice.
 */
const CODES = 120;
/** Claims per phase: more claims than codes in all, codes left over for the claims after the restart. */
const BEFORE = 60;
const DURING = 40;
const AFTER = 300;

type ClaimResponse = JsonResponse<{ attemptId?: string; error?: { code: string } }>;

describe('Redis restart between bursts (spawned processes, own redis-server with AOF)', () => {
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

  it('refuses requests while Redis is down, loses no accepted attempt and assigns no code twice', async () => {
    const campaignId = await openClaimsCampaign(sys, 'restart', CODES);

    let customer = 0;
    const claims = (n: number): Promise<ClaimResponse[]> =>
      runPool(
        Array.from({ length: n }, () => {
          const customerId = `rr-${customer++}`;
          return () => requestJson<ClaimResponse['body']>(`${sys.intakeUrl}/v1/claims`, { body: { campaignId, customerId } });
        }),
        16,
      );
    const readyz = async (): Promise<number> => (await requestJson(`${sys.intakeInternalUrl}/readyz`, { timeoutMs: 5000 })).status;
    const expectAccepted = (responses: ClaimResponse[]): string[] => {
      expect(responses.map((r) => r.status)).toEqual(responses.map(() => 202));
      return responses.map((r) => r.body.attemptId!);
    };

    // 1. Redis up: everything is accepted.
    const acceptedBefore = expectAccepted(await claims(BEFORE));

    // 2. Redis down (once the intake itself says so): everything is refused at once with 503, and the intake stays up.
    await redis.stop();
    await waitFor('the intake to report Redis gone (/readyz 503)', async () => ((await readyz()) === 503 ? true : undefined));
    const refused = await claims(DURING);
    for (const r of refused) {
      expect({ status: r.status, code: r.body.error?.code }).toEqual({ status: 503, code: 'unavailable' });
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    expect((await requestJson(`${sys.intakeUrl}/healthz`)).status).toBe(200);

    // 3. Redis back (same port, same AOF): the intake gets ready again and accepts the rest.
    await redis.start();
    await waitFor('the intake to be ready again (/readyz 200)', async () => ((await readyz()) === 200 ? true : undefined), 30_000, 100);
    const acceptedAfter = expectAccepted(await claims(AFTER));
    expect(sys.workers.map((w) => w.exitCode)).toEqual(sys.workers.map(() => null));

    const accepted = [...acceptedBefore, ...acceptedAfter];
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
    expect(claimed).toHaveLength(CODES);
    expect(new Set(claimed.map((f) => f.code)).size).toBe(CODES);
    for (const f of finals) expect(['claimed', 'sold_out']).toContain(f.outcome);
  }, 180_000);
});
