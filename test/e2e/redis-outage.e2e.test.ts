import { logLines, requestJson, runPool, startOwnRedis, startSystem, waitFor, type JsonResponse, type LogLine, type OwnRedis, type RunningSystem, openClaimsCampaign } from '@dropgate/testkit';

/**
 * Redis away at runtime (its own redis-server, never the shared one), as an operator sees it: the intake answers
 * every claim at once with 503 `unavailable` and Retry-After, and each process (intake, worker, admin) logs the
 * outage once when it begins, at most one summary line per ~10 s while it lasts, and once when Redis is back — not
 * a line per reconnect, poll or request.
 */
const OUTAGE_MS = 12_000;

type ClaimResponse = JsonResponse<{ attemptId?: string; error?: { code: string } }>;
const APPS = ['intake', 'worker', 'admin'] as const;

describe('Redis away at runtime (spawned processes, own redis-server)', () => {
  let redis: OwnRedis;
  let sys: RunningSystem;

  beforeAll(async () => {
    redis = await startOwnRedis();
    sys = await startSystem({ workers: 1, capture: true, env: { REDIS_URL: redis.url, RATE_LIMITS_ENABLED: 'false', CAMPAIGN_CACHE_TTL_MS: '200' } });
  }, 120_000);

  afterAll(async () => {
    await sys?.stop();
    await redis?.destroy();
  }, 60_000);

  /** Each process's log lines from the `from`-th on (per process). */
  const linesOf = (app: (typeof APPS)[number], from: number[] = []): LogLine[][] => sys.output(app).map((out, i) => logLines(out).slice(from[i] ?? 0));
  const counts = (): Record<string, number[]> => Object.fromEntries(APPS.map((app) => [app, linesOf(app).map((l) => l.length)]));
  const matching = (lines: LogLine[], pattern: RegExp): LogLine[] => lines.filter((l) => pattern.test(l.msg));

  it('503 unavailable with Retry-After while it is away; one line when it goes, few while away, one when it is back', async () => {
    const campaignId = await openClaimsCampaign(sys, 'outage', 1000);
    let customer = 0;
    const claims = (n: number): Promise<ClaimResponse[]> =>
      runPool(
        Array.from({ length: n }, () => () => requestJson<ClaimResponse['body']>(`${sys.intakeUrl}/v1/claims`, { body: { campaignId, customerId: `ro-${customer++}` } })),
        8,
      );
    const readyz = async (): Promise<number> => (await requestJson(`${sys.intakeInternalUrl}/readyz`, { timeoutMs: 5000 })).status;
    expect((await claims(5)).map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);

    // Redis goes away: claims all along the outage, each refused at once.
    const before = counts();
    await redis.stop();
    await waitFor('the intake to report Redis gone (/readyz 503)', async () => ((await readyz()) === 503 ? true : undefined));
    // Every process's readiness says so, not only the intake's (the worker's port used to answer /readyz with its
    // metrics, 200; the admin's /readyz looked at the store alone).
    const otherReadyz = (): Promise<number[]> => Promise.all([`${sys.adminUrl}/readyz`, ...sys.workerInternalUrls.map((u) => `${u}/readyz`)].map(async (u) => (await requestJson(u, { timeoutMs: 5000 })).status));
    await waitFor('the admin and the worker to report Redis gone (/readyz 503)', async () => ((await otherReadyz()).every((s) => s === 503) ? true : undefined));
    const until = Date.now() + OUTAGE_MS;
    let refused = 0;
    while (Date.now() < until) {
      for (const r of await claims(8)) {
        expect({ status: r.status, code: r.body.error?.code }).toEqual({ status: 503, code: 'unavailable' });
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        refused++;
      }
      await new Promise((resolve) => setTimeout(resolve, 100)); // pacing the load, not waiting for something
    }
    expect(refused).toBeGreaterThan(40);

    // While away: one line at the start, then at most a summary per 10 s. The first summary comes with the first
    // error past 10 s (reconnects about once a second by then), and reaches our pipe a moment later: waited for.
    const summary = /^redis still unavailable after [\d.]+ s \(\d+ errors not logged since the last line\)$/;
    const intakeDuring = await waitFor('the intake\'s first summary line', () => ((lines) => (matching(lines, summary).length > 0 ? lines : undefined))(linesOf('intake', before.intake)[0]!), 10_000, 100);
    expect(matching(intakeDuring, /^redis unavailable: .+, retrying$/)).toHaveLength(1);
    const summaries = matching(intakeDuring, summary);
    expect(summaries.length).toBeLessThanOrEqual(2);
    // Nothing else: no line per reconnect, per poll or per request (it was dozens in 12 s).
    expect(intakeDuring.filter((l) => l.level === 'warn' || l.level === 'error').map((l) => l.msg)).toHaveLength(1 + summaries.length);

    // Back: ready again, accepting, and one line saying so in every process.
    await redis.start();
    await waitFor('the intake to be ready again (/readyz 200)', async () => ((await readyz()) === 200 ? true : undefined), 30_000, 100);
    expect((await claims(5)).map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    await waitFor('the admin and the worker to be ready again (/readyz 200)', async () => ((await otherReadyz()).every((s) => s === 200) ? true : undefined), 30_000, 100);
    for (const app of APPS) {
      await waitFor(`the ${app} to log that Redis is back`, () => (linesOf(app, before[app]).every((lines) => matching(lines, /^redis back after [\d.]+ s$/).length > 0) ? true : undefined), 30_000, 100);
      for (const lines of linesOf(app, before[app])) {
        expect({ app, unavailable: matching(lines, /^redis unavailable: /).length, back: matching(lines, /^redis back after /).length }).toEqual({ app, unavailable: 1, back: 1 });
        // Bounded (the worker's and admin's BullMQ workers may report one error before their connections do).
        const warned = lines.filter((l) => l.level === 'warn' || l.level === 'error').map((l) => `${app}: ${l.msg}`);
        expect(warned.length <= 6 ? [] : warned).toEqual([]);
      }
    }
    expect(sys.workers.map((w) => w.exitCode)).toEqual([null]);
  }, 120_000);
});
