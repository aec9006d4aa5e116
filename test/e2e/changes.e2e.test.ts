import { requestJson, startSystem, waitFor, type RunningSystem } from '@dropgate/testkit';

/**
 * Campaign changes reach the intake at once (spawned processes, real Redis + PostgreSQL). The intake's periodic
 * reload is set to an hour, so only the change events can make these pass: each request follows the admin's answer
 * immediately, with no wait and no retry.
 */
describe('changes reach the intake at once', () => {
  let sys: RunningSystem;

  beforeAll(async () => {
    sys = await startSystem({ workers: 1, env: { CAMPAIGN_CACHE_TTL_MS: '3600000', RATE_IP_POINTS: '100000', RATE_CUSTOMER_POINTS: '1000' } });
  }, 120_000);

  afterAll(async () => {
    await sys?.stop();
  }, 60_000);

  const admin = <T>(path: string, body?: unknown) => requestJson<T>(`${sys.adminUrl}/admin/v1${path}`, { body, headers: { authorization: `Bearer ${sys.adminToken}` } });
  const claim = (campaignId: string, customerId: string) =>
    requestJson<{ outcome?: string; code?: string; error?: { code: string } }>(`${sys.intakeUrl}/v1/claims`, { body: { campaignId, customerId }, headers: { prefer: 'wait=10' } });

  it('redeems in the request right after the campaign is created, and follows pause and resume the same way', async () => {
    const created = await admin<{ id: string }>('/campaigns', {
      name: 'instant',
      tiers: [{ name: 'standard', reward: 't-shirt', quantity: 20 }],
      perCustomerLimit: 1,
      code: { pattern: 'SYN-####-####' },
      status: 'active',
      // Claims are opt-in per campaign.
      settings: { claims: true },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;

    const first = await claim(id, 'first-customer');
    expect({ status: first.status, outcome: first.body.outcome }).toEqual({ status: 200, outcome: 'claimed' });

    const pause = await admin(`/campaigns/${id}/status`, { status: 'paused' });
    expect({ status: pause.status, body: pause.body }).toMatchObject({ status: 200, body: { status: 'paused' } });
    const paused = await claim(id, 'second-customer');
    expect({ status: paused.status, code: paused.body.error?.code }).toEqual({ status: 409, code: 'campaign_not_active' });
    expect((await requestJson<{ open: boolean }>(`${sys.intakeUrl}/v1/campaigns/${id}`)).body.open).toBe(false);

    expect((await admin(`/campaigns/${id}/status`, { status: 'active' })).status).toBe(200);
    const resumed = await claim(id, 'second-customer');
    expect({ status: resumed.status, outcome: resumed.body.outcome }).toEqual({ status: 200, outcome: 'claimed' });
  });

  it('a campaign stopped at its target by a worker is refused by the intake at once, not at its next reload', async () => {
    const created = await admin<{ id: string }>('/campaigns', {
      name: 'target two',
      tiers: [{ name: 'standard', reward: 't-shirt', quantity: 10 }],
      perCustomerLimit: 1,
      code: { pattern: 'TGT-####-####' },
      status: 'active',
      target: 2,
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const codes = (await requestJson<Array<{ code: string }>>(`${sys.adminUrl}/admin/v1/campaigns/${id}/codes`, { headers: { authorization: `Bearer ${sys.adminToken}` } })).body;
    const redeem = (code: string, customerId: string) =>
      requestJson<{ outcome?: string; error?: { code: string } }>(`${sys.intakeUrl}/v1/redemptions`, { body: { campaignId: id, code, customerId }, headers: { prefer: 'wait=10' } });

    for (const [i, c] of codes.slice(0, 2).entries()) expect((await redeem(c.code, `fan-${i}`)).body.outcome).toBe('redeemed');
    // The intake's reload is an hour away: only the worker's announcement can close the campaign this soon.
    await waitFor('the intake to see the campaign closed', async () => ((await requestJson<{ open: boolean }>(`${sys.intakeUrl}/v1/campaigns/${id}`)).body.open === false ? true : undefined), 2_000, 20);
    const refused = await redeem(codes[2]!.code, 'fan-late');
    // A campaign stopped by its target is sold out to a customer: 409 from the intake's catalog, nothing queued.
    expect({ status: refused.status, code: refused.body.error?.code }).toEqual({ status: 409, code: 'sold_out' });
  });
});
