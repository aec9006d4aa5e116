import { logLines, requestJson, runPool, SentryIngest, startSystem, startTcpRelay, TEST_DATABASE_URL, waitFor, type LogLine, type RunningSystem, type TcpRelay, openClaimsCampaign } from '@dropgate/testkit';

/**
 * PostgreSQL away from the workers at runtime. The shared server is never stopped: the workers reach it through a
 * TCP relay that the test cuts (every connection reset, new ones refused) and restores. Attempts accepted meanwhile
 * must not be lost — not failed for good once their few tries are spent — and must finish once the store is back;
 * each worker logs the outage once when it begins (nothing before it, not even the batch that failed first), at most
 * a summary per ~10 s, and once when it is back, and reports it to Sentry once (a stand-in for Sentry's ingest), not
 * once per failed job.
 */
const CODES = 60;
const BEFORE = 20;
const DURING = 80;
/** Well past the tries' budget below (2 tries, 100 ms apart), and past one summary period. */
const OUTAGE_MS = 12_000;

type Attempt = { status: string; outcome?: string; code?: string };

describe('PostgreSQL away from the workers at runtime (a relay cut; spawned processes)', () => {
  let relay: TcpRelay;
  let sys: RunningSystem;
  const ingest = new SentryIngest();

  beforeAll(async () => {
    await ingest.listen();
    relay = await startTcpRelay(TEST_DATABASE_URL);
    sys = await startSystem({
      workers: 2,
      capture: true,
      // Few, quick tries: without the hold every attempt taken during the outage would fail for good in 0.1 s.
      env: { RATE_LIMITS_ENABLED: 'false', CAMPAIGN_CACHE_TTL_MS: '200', JOB_ATTEMPTS: '2', JOB_BACKOFF_MS: '100' },
      // Only the workers go through the relay: the intake and the admin keep the store.
      workerEnv: { DATABASE_URL: relay.url, SENTRY_DSN: ingest.dsn, SENTRY_ENVIRONMENT: 'e2e' },
    });
  }, 120_000);

  afterAll(async () => {
    await sys?.stop();
    await relay?.close();
    await ingest.close();
  }, 60_000);

  const workerLines = (from: number[] = []): LogLine[][] => sys.output('worker').map((out, i) => logLines(out).slice(from[i] ?? 0));
  const matching = (lines: LogLine[], pattern: RegExp): LogLine[] => lines.filter((l) => pattern.test(l.msg));

  it('attempts accepted while it is away keep their tries and finish once it is back; each worker logs it once', async () => {
    const campaignId = await openClaimsCampaign(sys, 'store-outage', CODES);
    let customer = 0;
    const claims = async (n: number): Promise<string[]> => {
      const responses = await runPool(
        Array.from({ length: n }, () => () => requestJson<{ attemptId?: string }>(`${sys.intakeUrl}/v1/claims`, { body: { campaignId, customerId: `so-${customer++}` } })),
        16,
      );
      expect(responses.map((r) => r.status)).toEqual(responses.map(() => 202));
      return responses.map((r) => r.body.attemptId!);
    };
    const attempt = async (id: string): Promise<Attempt> => (await requestJson<Attempt>(`${sys.intakeUrl}/v1/attempts/${id}`)).body;
    const finished = (ids: string[]): Promise<Attempt[]> =>
      runPool(
        ids.map((id) => () => waitFor(`attempt ${id}`, async () => ((a) => (a.status === 'done' || a.status === 'failed' ? a : undefined))(await attempt(id)), 60_000, 100)),
        16,
      );

    // The store up: attempts finish, through the relay.
    const before = await finished(await claims(BEFORE));
    expect(before.map((a) => a.outcome)).toEqual(before.map(() => 'claimed'));
    expect(relay.connections).toBeGreaterThan(0);

    // The store away from the workers: the intake still accepts (it does not need the store to enqueue).
    const linesBefore = workerLines().map((l) => l.length);
    await relay.cut();
    const during = await claims(DURING);
    // The workers' readiness says so (their port used to answer /readyz with the metrics, 200, whatever the store).
    const workerReadyz = (): Promise<number[]> => Promise.all(sys.workerInternalUrls.map(async (u) => (await requestJson(`${u}/readyz`, { timeoutMs: 5000 })).status));
    await waitFor('the workers to report the store gone (/readyz 503)', async () => ((await workerReadyz()).every((s) => s === 503) ? true : undefined), 15_000, 100);
    // Naming what does not answer: the operator knows where to look.
    expect((await requestJson(`${sys.workerInternalUrls[0]!}/readyz`, { timeoutMs: 5000 })).body).toEqual({ error: { code: 'unavailable', message: 'not ready: the postgres store does not answer' } });
    await waitFor('a worker to log the outage', () => (workerLines(linesBefore).some((l) => matching(l, /^postgres store unavailable: .+, retrying$/).length > 0) ? true : undefined), 15_000, 100);
    const until = Date.now() + OUTAGE_MS;
    while (Date.now() < until) {
      // None is failed meanwhile (a sample each round: the rest of the check is the final outcomes below).
      const sample = await runPool(during.slice(0, 10).map((id) => () => attempt(id)), 10);
      expect(sample.filter((a) => a.status === 'failed')).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 500)); // pacing the checks, not waiting for something
    }

    // Back: every attempt finishes, none failed, no code twice.
    await relay.restore();
    const finals = await finished(during);
    await waitFor('the workers to be ready again (/readyz 200)', async () => ((await workerReadyz()).every((s) => s === 200) ? true : undefined), 30_000, 100);
    expect(finals.filter((a) => a.status !== 'done')).toEqual([]);
    const claimed = [...before, ...finals].filter((a) => a.outcome === 'claimed');
    expect(claimed).toHaveLength(CODES);
    expect(new Set(claimed.map((a) => a.code)).size).toBe(CODES);
    for (const a of finals) expect(['claimed', 'sold_out']).toContain(a.outcome);

    // Logs: every worker that met the outage says so once, and once that it is back; bounded in between.
    await waitFor('each worker that logged the outage to log its end', () =>
      workerLines(linesBefore).every((l) => matching(l, /^postgres store unavailable: /).length === matching(l, /^postgres store back after [\d.]+ s$/).length) ? true : undefined,
    );
    const perWorker = workerLines(linesBefore).map((lines) => {
      const warned = lines.filter((l) => l.level === 'warn' || l.level === 'error');
      const backAt = warned.findIndex((l) => /^postgres store back after /.test(l.msg));
      return {
        unavailable: matching(warned, /^postgres store unavailable: /).length,
        back: matching(warned, /^postgres store back after /).length,
        failedAttempts: matching(lines, /^attempt failed$/).length,
        // Until it is back: the outage's own lines only (a batch failing as the store goes is part of the outage).
        whileAway: (backAt === -1 ? warned : warned.slice(0, backAt)).map((l) => l.msg),
        // Once it is back: only batches that fell back to one by one with the store answering (the held jobs all
        // run at once and may meet each other's locks), a few at most.
        afterwards: backAt === -1 ? [] : warned.slice(backAt + 1).map((l) => l.msg),
      };
    });
    expect(perWorker.some((w) => w.unavailable === 1)).toBe(true);
    const outageLine = /^postgres store (unavailable: .+, retrying|still unavailable after [\d.]+ s \(\d+ errors not logged since the last line\))$/;
    for (const w of perWorker) {
      expect(w.unavailable).toBeLessThanOrEqual(1);
      expect(w.failedAttempts).toBe(0);
      expect(w.whileAway.filter((msg) => !outageLine.test(msg))).toEqual([]);
      expect(w.whileAway.length).toBeLessThanOrEqual(1 + 2); // the start and at most two summaries
      expect(w.afterwards.filter((msg) => msg !== 'batched store call failed; running its attempts one by one')).toEqual([]);
      expect(w.afterwards.length).toBeLessThanOrEqual(2);
    }
    // Sentry: one event per worker that met the outage, none per attempt.
    const reporting = perWorker.filter((w) => w.unavailable === 1).length;
    const storeEvents = () => ingest.events().filter((e) => e.tags?.part === 'store');
    await waitFor('the outage reports', () => (storeEvents().length >= reporting ? true : undefined));
    expect(storeEvents().map((e) => ({ app: e.tags?.app, part: e.tags?.part }))).toEqual(Array.from({ length: reporting }, () => ({ app: 'worker', part: 'store' })));
    expect(ingest.events().filter((e) => e.tags?.attemptId !== undefined)).toEqual([]);
    expect(sys.workers.map((w) => w.exitCode)).toEqual([null, null]);
  }, 180_000);
});
