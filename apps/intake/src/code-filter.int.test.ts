import { randomBytes } from 'node:crypto';
import { codeFilterPrefix, invalidateCodeFilter, rebuildCodeFilter } from '@dropgate/code-filter';
import { generateCodes } from '@dropgate/core';
import type { Store } from '@dropgate/store';
import { createPostgresStore } from '@dropgate/store-postgres';
import { counterValue, expectApiError, http, tempPgSchema, TEST_DATABASE_URL, waitFor } from '@dropgate/testkit';
import { createCampaignWithCodes, type CampaignFixture } from '../test/campaign-fixture';
import { startIntake, stopIntakeTest, type RunningIntake } from '../test/intake-harness';

/** The intake's code filter over HTTP: real PostgreSQL (codes), real Redis (filters, queue). */

const schema = tempPgSchema('dg_t');
const prefix = `dgt${randomBytes(4).toString('hex')}`;
let store: Store;
let fixture: CampaignFixture;
let app: RunningIntake;

const redeem = (code: string, customerId = `c-${randomBytes(4).toString('hex')}`) => ({ campaignId: fixture.campaign.id, code, customerId });

beforeAll(async () => {
  store = createPostgresStore({ connectionString: TEST_DATABASE_URL, schema: schema.name, applicationName: 'dropgate-intake-filter-test' });
  await store.migrate();
  fixture = await createCampaignWithCodes(store, { tiers: [{ name: 'standard', reward: 't-shirt', quantity: 30 }] });
  app = await startIntake({ store, env: { QUEUE_PREFIX: prefix, RATE_IP_POINTS: '100000', RATE_CUSTOMER_POINTS: '100000', RATE_SUBNET_POINTS: '100000', RATE_ADDRESS_CUSTOMERS: '100000', RATE_SUBNET_CUSTOMERS: '100000', CODE_FILTER_POLL_MS: '250' } });
  await app.catalog.refresh();
});

afterAll(() => stopIntakeTest({ apps: [app], store, schema, prefix }));

describe('intake code filter', () => {
  const wrongCode = (): string => generateCodes(fixture.campaign.codeSpec, 1)[0]!;

  it('queues every well-formed code while the campaign has no filter (never refuses a real code)', async () => {
    const res = await http(app.url, '/v1/redemptions', { body: redeem(wrongCode()) });
    expect(res.status).toBe(202);
  });

  it('answers a code certainly not in the campaign 404 code_not_found at once, nothing queued; real codes still 202', async () => {
    await rebuildCodeFilter(store, app.producer, codeFilterPrefix(prefix), fixture.campaign.id);
    await waitFor('intake loaded the filter', () => (app.codeFilter.get(fixture.campaign.id) ? true : undefined), 1000, 10);
    const queuedBefore = await app.queue.count();

    for (let i = 0; i < 5; i++) expectApiError(await http(app.url, '/v1/redemptions', { body: redeem(wrongCode()) }), 404, 'code_not_found');
    expect(await app.queue.count()).toBe(queuedBefore);
    const metrics = await (await fetch(`${app.internalUrl}/metrics`)).text();
    expect(counterValue(metrics, 'dropgate_intake_rejected_total', { reason: 'code_not_found' })).toBe(5);

    const real = await http(app.url, '/v1/redemptions', { body: redeem(fixture.codes.standard![0]!) });
    expect(real.status).toBe(202);
    expect(await app.queue.count()).toBe(queuedBefore + 1);
  });

  it('takes new codes within a second of their rebuild; refuses none while invalidated', async () => {
    const added = generateCodes(fixture.campaign.codeSpec, 3).filter((c) => !fixture.codes.standard!.includes(c));
    expectApiError(await http(app.url, '/v1/redemptions', { body: redeem(added[0]!) }), 404, 'code_not_found');

    // What a generation or import job does: invalidate, insert, rebuild.
    await invalidateCodeFilter(app.producer, codeFilterPrefix(prefix), fixture.campaign.id);
    await waitFor('filter dropped', () => (app.codeFilter.get(fixture.campaign.id) === undefined ? true : undefined), 1000, 10);
    expect((await http(app.url, '/v1/redemptions', { body: redeem(added[0]!) })).status).toBe(202);
    await store.codes.insert(fixture.campaign.id, added.map((code) => ({ code, tier: 'standard' })));
    await rebuildCodeFilter(store, app.producer, codeFilterPrefix(prefix), fixture.campaign.id);
    const rebuilt = Date.now();
    await waitFor('rebuilt filter loaded', () => (app.codeFilter.get(fixture.campaign.id)?.count === 30 + added.length ? true : undefined), 1000, 10);
    expect(Date.now() - rebuilt).toBeLessThan(1000);
    expect((await http(app.url, '/v1/redemptions', { body: redeem(added[1]!) })).status).toBe(202);
    expectApiError(await http(app.url, '/v1/redemptions', { body: redeem(wrongCode()) }), 404, 'code_not_found');
  });
});
