import { randomBytes } from 'node:crypto';
import { QUEUES } from '@dropgate/queue';
import type { Store } from '@dropgate/store';
import { createPostgresStore } from '@dropgate/store-postgres';
import { http, tempPgSchema, TEST_DATABASE_URL, waitFor } from '@dropgate/testkit';
import { createCampaignWithCodes, type CampaignFixture } from '../test/campaign-fixture';
import { startIntake, stopIntakeTest, type RunningIntake } from '../test/intake-harness';

/**
 * A `Prefer: wait` long poll waiting for its outcome does not hold one of the shedder's in-flight slots
 * (SHED_MAX_IN_FLIGHT): real PostgreSQL, real Redis, no worker (the wait runs out).
 */

const schema = tempPgSchema('dg_t');
const prefix = `dgtlp${randomBytes(4).toString('hex')}`;
let store: Store;
let fixture: CampaignFixture;
let app: RunningIntake;

beforeAll(async () => {
  store = createPostgresStore({ connectionString: TEST_DATABASE_URL, schema: schema.name, applicationName: 'dropgate-long-poll-shedding-test' });
  await store.migrate();
  fixture = await createCampaignWithCodes(store, { tiers: [{ name: 'standard', reward: 'cap', quantity: 3 }] });
  app = await startIntake({ store, env: { QUEUE_PREFIX: prefix, SHED_MAX_IN_FLIGHT: '1', SHED_EVENT_LOOP_DELAY_MS: '0', PREFER_WAIT_MAX_S: '10' } });
  await app.catalog.refresh();
});

afterAll(() => stopIntakeTest({ apps: [app], store, schema, prefix }));

it('lets other requests in while a long poll waits for its outcome, with SHED_MAX_IN_FLIGHT=1', async () => {
  let answered = false;
  const waiting = http(app.url, '/v1/redemptions', { body: { campaignId: fixture.campaign.id, code: fixture.codes.standard![0]!, customerId: 'patient' }, headers: { prefer: 'wait=8' } }).finally(
    () => (answered = true),
  );
  // Held (ATTEMPT_HOLD_MS): the attempt is in the queue's delayed set while its request waits.
  await waitFor('the attempt to be queued', async () => ((await app.producer.zcard(`${prefix}:${QUEUES.attempts}:delayed`)) > 0 ? true : undefined), 5000, 20);
  await waitFor('the waiting request to leave the in-flight count', () => (app.shedder.inFlight === 0 ? true : undefined), 5000, 10);
  for (let i = 0; i < 3; i++) expect((await http(app.url, '/v1/redemptions', { body: { campaignId: fixture.campaign.id, code: 'NOT-A-CODE!', customerId: `other-${i}` } })).status).toBe(400);
  expect(answered).toBe(false); // all of that while the long poll was still waiting
  const answer = await waiting;
  expect(answer.status).toBe(202); // no worker: the wait ran out, the attempt is queued
  expect(answer.headers.get('preference-applied')).toBe('wait=8');
  expect(answer.elapsedMs).toBeGreaterThanOrEqual(7900);
});
