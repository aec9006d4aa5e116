import { randomBytes } from 'node:crypto';
import type { Store } from '@dropgate/store';
import { createPostgresStore } from '@dropgate/store-postgres';
import { http, type HttpResult, sampleValue, tempPgSchema, TEST_DATABASE_URL } from '@dropgate/testkit';
import { createCampaignWithCodes, type CampaignFixture } from '../test/campaign-fixture';
import { startIntake, stopIntakeTest, type RunningIntake } from '../test/intake-harness';

/**
 * The adaptive in-flight limit (SHED_TARGET_LATENCY_MS) on a real intake, real Redis and PostgreSQL, no worker: while
 * what it lets in is slow the limit shrinks to SHED_MIN_IN_FLIGHT, when it is fast again it grows back to
 * SHED_MAX_IN_FLIGHT; all along, every request is answered 202 (a job in the queue) or 503 overloaded + Retry-After.
 * The shedder's clock is the test's (each reading moves it on by `step` ms), so "slow" and "fast" do not depend on how
 * loaded the machine is.
 */

const schema = tempPgSchema('dg_t');
const prefix = `dgtas${randomBytes(4).toString('hex')}`;
let store: Store;
let fixture: CampaignFixture;
let app: RunningIntake;
let clock = 0;
let step = 1;

beforeAll(async () => {
  store = createPostgresStore({ connectionString: TEST_DATABASE_URL, schema: schema.name, applicationName: 'dropgate-adaptive-shedding-test' });
  await store.migrate();
  fixture = await createCampaignWithCodes(store, { tiers: [{ name: 'standard', reward: 'cap', quantity: 3 }] });
  app = await startIntake({
    store,
    env: { QUEUE_PREFIX: prefix, SHED_MAX_IN_FLIGHT: '8', SHED_MIN_IN_FLIGHT: '2', SHED_TARGET_LATENCY_MS: '50', SHED_EVENT_LOOP_DELAY_MS: '0', RATE_LIMITS_ENABLED: 'false' },
    shedderClock: () => (clock += step),
  });
  await app.catalog.refresh();
});

afterAll(() => stopIntakeTest({ apps: [app], store, schema, prefix }));

let sent = 0;
/** 24 attempts at once (three times the ceiling), each from its own customer. */
const burst = (): Promise<HttpResult[]> =>
  Promise.all(Array.from({ length: 24 }, () => http(app.url, '/v1/redemptions', { body: { campaignId: fixture.campaign.id, code: fixture.codes.standard![0]!, customerId: `c-${sent++}` } })));

/** Every answer is a queued attempt (its job is in the queue) or a 503 overloaded with Retry-After. */
async function expectServedOrShed(answers: HttpResult[]): Promise<{ accepted: number; shed: number }> {
  let accepted = 0;
  let shed = 0;
  for (const a of answers) {
    if (a.status === 503) {
      shed++;
      expect(a.headers.get('retry-after')).toBe('1');
      expect(a.json).toMatchObject({ error: { code: 'overloaded' } });
      continue;
    }
    expect(a.status).toBe(202);
    accepted++;
    const { attemptId } = a.json as { attemptId: string };
    expect(await app.queue.getJob(attemptId)).toBeDefined();
  }
  return { accepted, shed };
}

it('starts at SHED_MAX_IN_FLIGHT', () => {
  expect(app.shedder.inFlightLimit).toBe(8);
});

it('shrinks to SHED_MIN_IN_FLIGHT while what it lets in takes longer than the target, and grows back when it is fast', async () => {
  // Every reading of the clock 200 ms after the previous: each request let in took longer than 50 ms.
  step = 200;
  let totals = { accepted: 0, shed: 0 };
  for (let i = 0; i < 40 && app.shedder.inFlightLimit > 2; i++) {
    const { accepted, shed } = await expectServedOrShed(await burst());
    totals = { accepted: totals.accepted + accepted, shed: totals.shed + shed };
  }
  expect(app.shedder.inFlightLimit).toBe(2);
  expect(sampleValue((await http(app.internalUrl, '/metrics')).text, 'dropgate_intake_in_flight_limit')).toBe(2);
  expect(totals.accepted).toBeGreaterThan(0);
  expect(totals.shed).toBeGreaterThan(0);

  // Fast again (1 ms per reading): bursts refused at the limit make it grow, up to the ceiling and not past it.
  step = 1;
  for (let i = 0; i < 200 && app.shedder.inFlightLimit < 8; i++) {
    clock += 100; // a new window for each burst
    await expectServedOrShed(await burst());
  }
  expect(app.shedder.inFlightLimit).toBe(8);
  expect(sampleValue((await http(app.internalUrl, '/metrics')).text, 'dropgate_intake_in_flight_limit')).toBe(8);
  clock += 100;
  await expectServedOrShed(await burst());
  expect(app.shedder.inFlightLimit).toBe(8);
});
