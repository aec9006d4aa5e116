import { logLines, requestJson, runPool, startOwnRedis, startSystem, waitFor, type JsonResponse, type LogLine, type OwnRedis, type RunningSystem, openClaimsCampaign } from '@dropgate/testkit';

/**
 * Redis away at runtime (its own redis-server, never the shared one), as an operator sees it: the intake answers
 * every claim at once with 503 `unavailable` and Retry-After; the admin answers what needs only the store (the page's
 * polling, publications, locks) and refuses at once what needs Redis (jobs, their status, the queues' view) with
 * 503 `unavailable` and Retry-After; and each process (intake, worker, admin) logs the outage once when it begins,
 * at most one summary line per ~10 s while it lasts, and once when Redis is back — not a line per reconnect, poll,
 * request or BullMQ connection, and nothing else.
 */
const OUTAGE_MS = 12_000;

type ClaimResponse = JsonResponse<{ attemptId?: string; error?: { code: string } }>;
const APPS = ['intake', 'worker', 'admin'] as const;
/** The only lines an outage may log, in any process. */
const OUTAGE_LINES = [/^redis unavailable: .+, retrying$/, /^redis still unavailable after [\d.]+ s \(\d+ errors not logged since the last line\)$/, /^redis back after [\d.]+ s$/];

/** An admin answer as the test checks it: status, error code, Retry-After, and how long it took. */
interface AdminAnswer {
  what: string;
  status: number;
  code: string | undefined;
  retryAfter: number | null;
  ms: number;
  body: Record<string, unknown>;
}

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

  /** One admin request (the API with the token, the queues' view with the page's session), timed. */
  const adminCall = async (what: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<AdminAnswer> => {
    const started = Date.now();
    const res = await requestJson<Record<string, unknown> & { error?: { code: string } }>(`${sys.adminUrl}${path}`, {
      method,
      body,
      headers: { authorization: `Bearer ${sys.adminToken}`, ...headers },
      timeoutMs: 20_000,
    });
    const retryAfter = res.headers.get('retry-after');
    return { what, status: res.status, code: res.body?.error?.code, retryAfter: retryAfter === null ? null : Number(retryAfter), ms: Date.now() - started, body: res.body };
  };

  it('503 unavailable with Retry-After while it is away; one line when it goes, few while away, one when it is back', async () => {
    const campaignId = await openClaimsCampaign(sys, 'outage', 1000);
    // Before the outage: a background job to ask about, and a page session for the queues' view.
    const generated = await adminCall('generate', 'POST', `/admin/v1/campaigns/${campaignId}/codes/generate`, { tier: 'standard', count: 5 });
    expect(generated.status).toBe(202);
    const jobId = String(generated.body.jobId);
    const signIn = await requestJson(`${sys.adminUrl}/session`, { body: { token: sys.adminToken } });
    expect(signIn.status).toBe(204);
    const session = { cookie: signIn.headers.get('set-cookie')!.split(';')[0]! };
    expect((await adminCall('queues', 'GET', '/admin/queues/api/queues', undefined, session)).status).toBe(200);
    const releaseAt = new Date(Date.now() + 3600_000).toISOString();
    /** What an operator (the page polls the first three) and a script do with the admin during the outage. */
    const adminRound = (): Promise<AdminAnswer[]> =>
      Promise.all([
        adminCall('list', 'GET', '/admin/v1/campaigns'),
        adminCall('stats', 'GET', `/admin/v1/campaigns/${campaignId}/stats`),
        adminCall('locks', 'GET', `/admin/v1/campaigns/${campaignId}/locks`),
        adminCall('job status', 'GET', `/admin/v1/jobs/${jobId}`),
        adminCall('generate', 'POST', `/admin/v1/campaigns/${campaignId}/codes/generate`, { tier: 'standard', count: 5 }),
        adminCall('publish', 'POST', `/admin/v1/campaigns/${campaignId}/publications`, { tier: 'standard', count: 1 }),
        adminCall('timed lock', 'POST', `/admin/v1/campaigns/${campaignId}/locks`, { tier: 'standard', count: 1, releaseAt }),
        adminCall('queues', 'GET', '/admin/queues/api/queues', undefined, session),
      ]);
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
    const adminAnswers: AdminAnswer[] = [];
    await Promise.all([
      (async () => {
        while (Date.now() < until) {
          for (const r of await claims(8)) {
            expect({ status: r.status, code: r.body.error?.code }).toEqual({ status: 503, code: 'unavailable' });
            expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
            refused++;
          }
          await new Promise((resolve) => setTimeout(resolve, 100)); // pacing the load, not waiting for something
        }
      })(),
      (async () => {
        while (Date.now() < until) {
          adminAnswers.push(...(await adminRound()));
          await new Promise((resolve) => setTimeout(resolve, 500)); // pacing, as the page polls
        }
      })(),
    ]);
    expect(refused).toBeGreaterThan(40);

    // The admin: what needs only the store is answered, what needs Redis is refused with 503 unavailable and
    // Retry-After; each at once (no request waits for Redis's reconnects), none a 500.
    const seen = (a: AdminAnswer) => ({ what: a.what, status: a.status, code: a.code, retryAfter: a.retryAfter !== null && a.retryAfter >= 1 });
    const expected: Record<string, ReturnType<typeof seen>> = {
      list: { what: 'list', status: 200, code: undefined, retryAfter: false },
      stats: { what: 'stats', status: 200, code: undefined, retryAfter: false },
      locks: { what: 'locks', status: 200, code: undefined, retryAfter: false },
      'job status': { what: 'job status', status: 503, code: 'unavailable', retryAfter: true },
      generate: { what: 'generate', status: 503, code: 'unavailable', retryAfter: true },
      publish: { what: 'publish', status: 201, code: undefined, retryAfter: false },
      'timed lock': { what: 'timed lock', status: 201, code: undefined, retryAfter: false },
      queues: { what: 'queues', status: 503, code: 'unavailable', retryAfter: true },
    };
    expect(adminAnswers.length).toBeGreaterThanOrEqual(3 * Object.keys(expected).length);
    expect(adminAnswers.map(seen)).toEqual(adminAnswers.map((a) => expected[a.what]));
    // The stats leave out what Redis holds; the timed lock stands without its release job (the sweep ends it).
    for (const a of adminAnswers.filter((x) => x.what === 'stats')) expect(a.body.wrongCodes).toBeNull();
    for (const a of adminAnswers.filter((x) => x.what === 'timed lock')) expect({ locked: a.body.locked, releaseJobId: a.body.releaseJobId }).toEqual({ locked: 1, releaseJobId: null });
    expect(adminAnswers.filter((a) => a.ms > 1500).map((a) => `${a.what}: ${a.ms} ms`)).toEqual([]);

    // While away: one line at the start, then at most a summary per 10 s. The first summary comes with the first
    // error past 10 s (reconnects about once a second by then), and reaches our pipe a moment later: waited for.
    const summary = /^redis still unavailable after [\d.]+ s \(\d+ errors not logged since the last line\)$/;
    const intakeDuring = await waitFor('the intake\'s first summary line', () => ((lines) => (matching(lines, summary).length > 0 ? lines : undefined))(linesOf('intake', before.intake)[0]!), 10_000, 100);
    expect(matching(intakeDuring, /^redis unavailable: .+, retrying$/)).toHaveLength(1);
    const summaries = matching(intakeDuring, summary);
    expect(summaries.length).toBeLessThanOrEqual(2);
    // Nothing else: no line per reconnect, per poll or per request (it was dozens in 12 s).
    expect(intakeDuring.filter((l) => l.level === 'warn' || l.level === 'error').map((l) => l.msg)).toHaveLength(1 + summaries.length);
    // Nor in the admin, whatever the requests above met.
    for (const lines of linesOf('admin', before.admin)) {
      const warned = lines.filter((l) => l.level === 'warn' || l.level === 'error');
      expect(warned.filter((l) => !OUTAGE_LINES.some((p) => p.test(l.msg))).map((l) => l.msg)).toEqual([]);
      expect(matching(warned, /^redis unavailable: /)).toHaveLength(1);
    }

    // Back: ready again, accepting, and one line saying so in every process.
    await redis.start();
    await waitFor('the intake to be ready again (/readyz 200)', async () => ((await readyz()) === 200 ? true : undefined), 30_000, 100);
    expect((await claims(5)).map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    await waitFor('the admin and the worker to be ready again (/readyz 200)', async () => ((await otherReadyz()).every((s) => s === 200) ? true : undefined), 30_000, 100);
    for (const app of APPS) {
      await waitFor(`the ${app} to log that Redis is back`, () => (linesOf(app, before[app]).every((lines) => matching(lines, /^redis back after [\d.]+ s$/).length > 0) ? true : undefined), 30_000, 100);
      for (const lines of linesOf(app, before[app])) {
        expect({ app, unavailable: matching(lines, /^redis unavailable: /).length, back: matching(lines, /^redis back after /).length }).toEqual({ app, unavailable: 1, back: 1 });
        // Nothing but the outage's own lines: no "worker error" from a BullMQ connection before the outage was known,
        // no "unexpected error" per admin request.
        const warned = lines.filter((l) => l.level === 'warn' || l.level === 'error');
        expect(warned.filter((l) => !OUTAGE_LINES.some((p) => p.test(l.msg))).map((l) => `${app}: ${l.msg}`)).toEqual([]);
        expect(warned.length).toBeLessThanOrEqual(4);
      }
    }
    expect(sys.workers.map((w) => w.exitCode)).toEqual([null]);
  }, 120_000);
});
