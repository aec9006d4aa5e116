import type { AttemptResult, Campaign, HoldVerdict } from '@dropgate/core';
import { CampaignGuessOverrides, clientSource, DEFAULT_GUESS_BUDGET, GuessBudget, guessBudgetPrefix, wrongCodeCounter } from '@dropgate/guard';
import { attemptJobOptions, type AttemptQueue } from '@dropgate/queue';
import type { Store } from '@dropgate/store';
import { jobResult, waitFor } from '@dropgate/testkit';
import { attemptId, holdRule, sourceGuards, startAttemptHarness, type AttemptHarness, type SourceGuards } from '../test/attempt-harness';
import { attemptProcessor, processAttempt, type ProcessDeps } from './index';

/**
 * RATE_LIMITS_ENABLED=false reaches the workers too (`ProcessDeps.rateLimitsEnabled`), wired with every guard a worker
 * has (as apps/worker's main.ts wires them): a wrong code that passed the filter is not counted, a blocked source is not
 * refused (`source_blocked`), and a source naming several customers is not held past the intake's hold. Real PostgreSQL
 * (random schema), real Redis (random prefix), a real BullMQ worker.
 */

const HOLD_MS = 300;
const STEP_MS = 1500;
const HOLD_MAX_MS = 6000;
const ADDRESS_BUDGET = 2;

let harness: AttemptHarness;
let store: Store;
let redis: AttemptHarness['redis'];
let prefix: string;
let queue: AttemptQueue;
let guards: SourceGuards;
let guesses: GuessBudget;
let campaign: Campaign;
let codes: string[];
/** Verdicts the switched-off processor took (none expected). */
const verdicts: HoldVerdict[] = [];

/** Every guard a worker has, with the switch as given. */
function depsWith(rateLimitsEnabled: boolean): ProcessDeps {
  return {
    redemptions: store.redemptions,
    now: () => new Date(),
    onWrongCode: wrongCodeCounter(guesses, new CampaignGuessOverrides({ load: () => Promise.resolve(undefined), ttlMs: 60_000 })),
    sourceEvidence: guards.sourceEvidence,
    holdRule: holdRule(STEP_MS, HOLD_MAX_MS),
    // Only the switched-off processor's verdicts are noted: it should take none.
    onHoldVerdict: rateLimitsEnabled ? undefined : (verdict) => verdicts.push(verdict),
    rateLimitsEnabled,
  };
}

beforeAll(async () => {
  harness = await startAttemptHarness({ label: 'rlo', pattern: 'RLO-####-####', reward: 'mug', codes: 8 });
  ({ store, redis, prefix, queue, campaign, codes } = harness);
  guesses = new GuessBudget({ redis, prefix: guessBudgetPrefix(prefix), limits: { ...DEFAULT_GUESS_BUDGET, addressGuesses: ADDRESS_BUDGET } });
  // Also what counts the distinct customers of an address (an intake with its limits on, or an earlier run's keys).
  guards = sourceGuards(harness);
});

afterAll(() => harness?.close());

describe('workers with RATE_LIMITS_ENABLED=false', () => {
  it('count no wrong code that passed the filter: an address never runs out of guesses', async () => {
    const source = clientSource('198.51.100.41');
    for (let n = 0; n < ADDRESS_BUDGET + 3; n++) {
      const job = { id: attemptId('wrong'), name: 'redeem', data: { campaignId: campaign.id, customerId: `w-${n}`, code: 'RLO-2222-2222', acceptedAt: new Date().toISOString(), source } };
      expect((await processAttempt(job, depsWith(false))).outcome).toBe('code_not_found');
    }
    expect(guesses.blocked(source).blocked).toBe(false);
    expect(await redis.exists(`${guessBudgetPrefix(prefix)}:address:${source.address}`)).toBe(0);

    // The same wrong codes with the switch on: blocked after the budget (the test can fail).
    const counted = clientSource('198.51.100.42');
    for (let n = 0; n <= ADDRESS_BUDGET; n++) {
      const job = { id: attemptId('wrong-on'), name: 'redeem', data: { campaignId: campaign.id, customerId: `v-${n}`, code: 'RLO-2222-2222', acceptedAt: new Date().toISOString(), source: counted } };
      await processAttempt(job, depsWith(true));
    }
    expect(guesses.blocked(counted).blocked).toBe(true);
  });

  it('never answer source_blocked: an attempt whose address was blocked meanwhile is judged', async () => {
    const source = clientSource('203.0.113.41');
    guards.intakeMirror.block(`address:${source.address}`, 60_000);
    await waitFor('the block shared', async () => ((await depsWith(true).sourceEvidence!(source)).blocked ? true : undefined), 2000, 10);
    const job = { id: attemptId('blocked'), name: 'redeem', data: { campaignId: campaign.id, customerId: 'c-blocked', code: codes[0]!, acceptedAt: new Date().toISOString(), source } };
    expect((await processAttempt(job, depsWith(false))).outcome).toBe('redeemed');
    expect(await store.codes.get(campaign.id, codes[0]!)).toMatchObject({ state: 'redeemed', customerId: 'c-blocked' });
  });

  it('hold no attempt past the intake hold, however many customers its address named', async () => {
    expect(await guards.nameCustomers('192.0.2.41', ['home-1', 'home-2', 'home-3', 'home-4'])).toEqual([true, true, true, true]);
    // With the switch on, this source is held (the rule defers it): the case the switch must turn off.
    const source = clientSource('192.0.2.41');
    const onDeps = depsWith(true);
    const evidence = await onDeps.sourceEvidence!(source);
    expect(evidence).toMatchObject({ blocked: false, addressCustomers: 4 });

    await harness.startWorker(attemptProcessor(depsWith(false)), 4);
    const id = attemptId('shared');
    const acceptedAt = new Date().toISOString();
    await queue.add('redeem', { campaignId: campaign.id, customerId: 'home-4', code: codes[1]!, acceptedAt, source }, attemptJobOptions(id, { attempts: 3, backoffMs: 60_000, retentionS: 3600, holdMs: HOLD_MS }));
    expect(await jobResult<AttemptResult>(queue, id, 10_000)).toMatchObject({ outcome: 'redeemed', code: codes[1] });
    const job = await queue.getJob(id);
    expect(job!.processedOn! - Date.parse(acceptedAt)).toBeLessThan(HOLD_MS + STEP_MS);
    expect(job!.data).not.toHaveProperty('holdSeen');
    expect(verdicts).toEqual([]);
  });
});
