import http from 'node:http';
import { isRunning, parseMetrics, requestJson, startSystem, sumOf, waitFor, type RunningSystem } from '@dropgate/testkit';

/**
 * INTAKE_PROCESSES=2 (node:cluster) with the real processes, Redis and PostgreSQL: requests on new connections are
 * answered by both intake processes, the primary's /metrics is the sum over both, a killed intake process is
 * replaced, and SIGTERM to the primary drains and stops every one of them.
 */
const PROCESSES = 2;

/** One request on a connection of its own (the cluster hands out connections, not requests); a connection handed to
 * a process just killed is lost, hence the short timeout. */
function once(url: string, method = 'GET', body?: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(url, { method, agent: false, headers: payload ? { 'content-type': 'application/json' } : {}, timeout: 3_000 }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as unknown }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.end(payload);
  });
}

describe('the intake on every core (INTAKE_PROCESSES=2)', () => {
  let sys: RunningSystem;

  beforeAll(async () => {
    sys = await startSystem({ workers: 1, env: { INTAKE_PROCESSES: String(PROCESSES), RATE_LIMITS_ENABLED: 'false', LOG_LEVEL: 'info' } });
  }, 120_000);

  afterAll(async () => {
    await sys?.stop();
  }, 60_000);

  const healthzPid = async (): Promise<number> => {
    const res = await once(`${sys.intakeUrl}/healthz`);
    expect(res.status).toBe(200);
    return (res.json as { pid: number }).pid;
  };
  /** The pids answering 20 requests on new connections. */
  const answeringPids = async (): Promise<Set<number>> => {
    const pids = new Set<number>();
    for (let i = 0; i < 20; i++) pids.add(await healthzPid());
    return pids;
  };
  /** Both processes answering: /readyz is ready once one serves, the other may still be starting (loaded machine). */
  const bothServing = (): Promise<Set<number>> =>
    waitFor(`${PROCESSES} intake processes answering`, async () => {
      const pids = await answeringPids();
      return pids.size === PROCESSES ? pids : undefined;
    }, 30_000, 100);
  const scrape = async () => parseMetrics(await (await fetch(`${sys.intakeInternalUrl}/metrics`)).text());

  it('answers from both processes, serves claims end to end, and /metrics sums both', async () => {
    const pids = await bothServing();
    expect(pids.has(sys.intake.pid!)).toBe(false); // the primary serves no request
    const healthzBefore = sumOf(await scrape(), 'dropgate_intake_requests_total', { route: '/healthz' });
    for (let i = 0; i < 20; i++) await healthzPid();

    const admin = await requestJson<{ id: string }>(`${sys.adminUrl}/admin/v1/campaigns`, {
      headers: { authorization: `Bearer ${sys.adminToken}` },
      body: { name: 'cluster', tiers: [{ name: 'standard', reward: 'sticker', quantity: 10 }], perCustomerLimit: 1, code: { length: 10 }, status: 'active', settings: { claims: true } },
    });
    expect(admin.status).toBe(201);
    const campaignId = admin.body.id;
    // Both processes must see it open: ask on new connections until 10 in a row do.
    await waitFor('every intake process to see the campaign open', async () => {
      for (let i = 0; i < 10; i++) if ((await once(`${sys.intakeUrl}/v1/campaigns/${campaignId}`)).status !== 200) return undefined;
      return true;
    });
    const claims = await Promise.all(Array.from({ length: 12 }, (_, i) => once(`${sys.intakeUrl}/v1/claims`, 'POST', { campaignId, customerId: `c-${i}` })));
    expect(claims.map((c) => c.status)).toEqual(Array(12).fill(202));
    const outcomes = await Promise.all(
      claims.map(({ json }) =>
        waitFor('the claim to finish', async () => {
          const res = await requestJson<{ status: string; outcome?: string }>(`${sys.intakeUrl}/v1/attempts/${(json as { attemptId: string }).attemptId}`);
          return res.body.status === 'done' ? res.body.outcome : undefined;
        }, 30_000, 100),
      ),
    );
    expect(outcomes.filter((o) => o === 'claimed')).toHaveLength(10);
    expect(outcomes.filter((o) => o === 'sold_out')).toHaveLength(2);

    // Every request so far, whichever process answered it, is in the primary's one /metrics.
    const metrics = await scrape();
    expect(sumOf(metrics, 'dropgate_intake_requests_total', { route: '/healthz' }) - healthzBefore).toBe(20);
    expect(sumOf(metrics, 'dropgate_intake_requests_total', { route: '/v1/claims', status: '202' })).toBe(12);
    expect(sumOf(metrics, 'dropgate_intake_enqueued_total')).toBe(12);
    // Readiness asks each process.
    expect((await requestJson(`${sys.intakeInternalUrl}/readyz`)).status).toBe(200);
  }, 120_000);

  it('replaces an intake process that was killed, then stops them all on SIGTERM', async () => {
    const before = await bothServing();
    const [victim, survivor] = [...before] as [number, number];
    process.kill(victim, 'SIGKILL');
    const after = await waitFor('a new intake process to answer', async () => {
      const pids = await answeringPids();
      return pids.size === PROCESSES && !pids.has(victim) ? pids : undefined;
    }, 30_000, 200);
    expect(after.has(survivor)).toBe(true);

    const exited = new Promise<number | null>((resolve) => sys.intake.once('exit', (code) => resolve(code)));
    sys.intake.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const pid of after) expect(isRunning(pid)).toBe(false);
    await expect(once(`${sys.intakeUrl}/healthz`)).rejects.toThrow();
    await expect(fetch(`${sys.intakeInternalUrl}/metrics`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
  }, 120_000);
});
