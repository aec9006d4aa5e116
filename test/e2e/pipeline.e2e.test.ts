import { Redis } from 'ioredis';
import { createAttemptQueue, type AttemptStatus } from '@dropgate/queue';
import { requestJson, runPool, startSystem, waitFor, type RunningSystem } from '@dropgate/testkit';
import { errorMessage } from '@dropgate/core';

/**
 * The whole pipeline as users run it: real intake, admin and worker processes, real Redis and PostgreSQL.
 * More attempts than codes arrive in a burst while one worker is killed with SIGKILL; every accepted attempt
 * must still reach a final outcome, with exactly as many successes as codes and no code handed out twice.
 */
const CONCURRENCY = 8;

/**
 * One atomic read of the queue: jobs waiting, jobs completed, and the active jobs per worker. An active job's lock
 * holds its worker's token, `<worker id>:<n>`; a job whose lock has expired (a dead worker's) is not counted.
 */
const SNAPSHOT_LUA = `
local waiting = redis.call('LLEN', ARGV[1] .. 'wait')
local completed = redis.call('ZCARD', ARGV[1] .. 'completed')
local tokens = {}
for _, id in ipairs(redis.call('LRANGE', ARGV[1] .. 'active', 0, -1)) do
  local token = redis.call('GET', ARGV[1] .. id .. ':lock')
  if token then tokens[#tokens + 1] = token end
end
return { waiting, completed, tokens }`;

async function queueSnapshot(redis: Redis, keyPrefix: string): Promise<{ waiting: number; completed: number; jobsByWorker: Map<string, number> }> {
  const [waiting, completed, tokens] = (await redis.eval(SNAPSHOT_LUA, 0, keyPrefix)) as [number, number, string[]];
  const jobsByWorker = new Map<string, number>();
  for (const token of tokens) {
    const worker = token.slice(0, token.lastIndexOf(':'));
    jobsByWorker.set(worker, (jobsByWorker.get(worker) ?? 0) + 1);
  }
  return { waiting, completed, jobsByWorker };
}

type QueueSnapshot = Awaited<ReturnType<typeof queueSnapshot>>;

const described = (q: QueueSnapshot | undefined): string =>
  q ? `${q.waiting} waiting, ${q.completed} completed, active jobs per worker ${JSON.stringify([...q.jobsByWorker.values()])}` : 'no read yet';

describe('pipeline end to end (spawned processes, real Redis + PostgreSQL)', () => {
  let sys: RunningSystem;

  beforeAll(async () => {
    sys = await startSystem({
      workers: 2,
      env: {
        RATE_IP_POINTS: '100000',
        RATE_CUSTOMER_POINTS: '1000',
        RATE_SUBNET_POINTS: '100000',
        RATE_ADDRESS_CUSTOMERS: '100000',
        RATE_SUBNET_CUSTOMERS: '100000',
        WORKER_CONCURRENCY: String(CONCURRENCY),
        // Short locks so the killed worker's jobs are taken over within seconds.
        WORKER_LOCK_DURATION_MS: '3000',
        WORKER_STALLED_INTERVAL_MS: '1000',
        CAMPAIGN_CACHE_TTL_MS: '200',
        // No bot-defence hold: the kill below must find a backlog waiting for workers, not delayed in the queue.
        ATTEMPT_HOLD_MS: '0',
      },
    });
  }, 120_000);

  afterAll(async () => {
    await sys?.stop();
  }, 60_000);

  const admin = <T>(path: string, body?: unknown) =>
    requestJson<T>(`${sys.adminUrl}/admin/v1${path}`, { body, headers: { authorization: `Bearer ${sys.adminToken}` } });

  it('survives a burst with a worker killed mid-way: no loss, no double assignment', async () => {
    const created = await admin<{ id: string }>('/campaigns', {
      name: 'e2e drop',
      tiers: [
        { name: 'standard', reward: 't-shirt', quantity: 150 },
        { name: 'premium', reward: 'skate deck', quantity: 50 },
      ],
      perCustomerLimit: 1,
      code: { pattern: 'SYN-####-####' },
      status: 'active',
      settings: { claims: true },
    });
    expect(created.status).toBe(201);
    const campaignId = created.body.id;
    await waitFor('intake to see the campaign open', async () =>
      (await requestJson<{ open?: boolean }>(`${sys.intakeUrl}/v1/campaigns/${campaignId}`)).body.open === true ? true : undefined,
    );
    const premium = await admin<Array<{ code: string }>>(`/campaigns/${campaignId}/codes?tier=premium`);
    expect(premium.body).toHaveLength(50);

    // 400 claims for standard from 300 customers (100 of them twice) + 300 redemptions of the
    // 50 premium codes, six different customers per code.
    const requests: Array<{ path: string; body: Record<string, string> }> = [];
    for (let i = 0; i < 400; i++) requests.push({ path: '/v1/claims', body: { campaignId, customerId: `claimer-${i % 300}`, tier: 'standard' } });
    for (let i = 0; i < 300; i++) requests.push({ path: '/v1/redemptions', body: { campaignId, code: premium.body[i % 50]!.code.toLowerCase(), customerId: `redeemer-${i}` } });
    requests.sort(() => Math.random() - 0.5);

    // The first half arrives while the queue is paused, so when it resumes both workers are saturated with a
    // backlog; worker 0 is SIGKILLed while that backlog lasts, then the second half of the burst arrives. The kill
    // waits until each of the two workers holds jobs, read from the jobs' lock tokens: the queue's counts say how
    // many jobs are active, not whose, so on a loaded machine (worker 0 slow to take its share) the kill could land
    // on a worker holding none, with nothing left to recover. Nothing else runs in this process until the kill: the
    // backlog lasts a second or so under load, and polls competing with the second half's requests could miss it.
    const redis = new Redis(sys.env.REDIS_URL!);
    const queue = createAttemptQueue(redis, sys.queuePrefix);
    const send = (batch: typeof requests) =>
      runPool(
        batch.map((r) => async () => {
          const res = await requestJson<AttemptStatus>(`${sys.intakeUrl}${r.path}`, { body: r.body });
          expect(res.status).toBe(202);
          expect(res.headers.get('location')).toBe(`/v1/attempts/${res.body.attemptId}`);
          return { ...r, attemptId: res.body.attemptId };
        }),
        64,
      );
    let accepted: Array<(typeof requests)[number] & { attemptId: string }>;
    let finals: Array<(typeof accepted)[number] & { view: AttemptStatus }>;
    let stalled: Array<string | null>;
    // Closed whatever happens: a failure half-way must fail the test, not leave jest waiting on an open connection.
    try {
      try {
        await queue.pause();
        const firstHalf = await send(requests.slice(0, 350));
        await queue.resume();
        let last: QueueSnapshot | undefined;
        const atKill = await waitFor(
          'both workers busy with a backlog',
          async () => {
            const now = (last = await queueSnapshot(redis, queue.toKey('')));
            if (now.completed < 20 || now.waiting < 4 * CONCURRENCY || now.jobsByWorker.size < 2) return undefined;
            sys.workers[0]!.kill('SIGKILL');
            return now;
          },
          30_000,
          1,
        ).catch((err: unknown) => {
          throw new Error(`${errorMessage(err)}; last read: ${described(last)}`);
        });
        process.stdout.write(`at the kill: ${described(atKill)}\n`);
        accepted = [...firstHalf, ...(await send(requests.slice(350)))];
      } finally {
        await queue.resume().catch(() => undefined);
      }

      // One deadline for them all: an attempt that never finishes fails the test within the test's own time.
      const finishedBy = Date.now() + 120_000;
      finals = await runPool(
        accepted.map((a) => async () => {
          const view = await waitFor(
            `attempt ${a.attemptId} to finish`,
            async () => {
              const res = await requestJson<AttemptStatus>(`${sys.intakeUrl}/v1/attempts/${a.attemptId}`);
              return res.body.status === 'done' || res.body.status === 'failed' ? res.body : undefined;
            },
            Math.max(0, finishedBy - Date.now()),
            100,
          );
          return { ...a, view };
        }),
        32,
      );
      // The kill really interrupted work: jobs were taken over from the dead worker (stalled counter).
      stalled = await Promise.all(accepted.map((a) => redis.hget(`${sys.queuePrefix}:attempts:${a.attemptId}`, 'stc')));
    } finally {
      await queue.close();
      await redis.quit();
    }
    expect(finals.filter((f) => f.view.status !== 'done')).toEqual([]);
    process.stdout.write(`jobs recovered from the killed worker: ${stalled.filter((n) => Number(n) > 0).length}\n`);
    expect(stalled.filter((n) => Number(n) > 0).length).toBeGreaterThan(0);

    const claims = finals.filter((f) => f.path === '/v1/claims');
    const redemptions = finals.filter((f) => f.path === '/v1/redemptions');
    const claimed = claims.filter((f) => f.view.outcome === 'claimed');
    const redeemed = redemptions.filter((f) => f.view.outcome === 'redeemed');
    expect(claimed).toHaveLength(150);
    expect(redeemed).toHaveLength(50);
    for (const f of claims) expect(['claimed', 'sold_out', 'customer_limit_reached']).toContain(f.view.outcome);
    for (const f of redemptions) expect(['redeemed', 'code_already_used']).toContain(f.view.outcome);
    const codes = [...claimed, ...redeemed].map((f) => f.view.code);
    expect(new Set(codes).size).toBe(200);
    const winners = [...claimed, ...redeemed].map((f) => f.body.customerId);
    expect(new Set(winners).size).toBe(200);

    // The database agrees: 200 redeemed codes, each with its own customer.
    const stats = await admin<{ redemptions: number; codes: Record<string, Record<string, number>> }>(`/campaigns/${campaignId}/stats`);
    expect(stats.body.redemptions).toBe(200);
    expect(stats.body.codes.standard!.redeemed).toBe(150);
    expect(stats.body.codes.premium!.redeemed).toBe(50);
    const owned = await admin<Array<{ code: string; customerId: string | null }>>(`/campaigns/${campaignId}/codes?state=redeemed`);
    expect(owned.body).toHaveLength(200);
    expect(new Set(owned.body.map((c) => c.customerId)).size).toBe(200);
  }, 180_000);
});
