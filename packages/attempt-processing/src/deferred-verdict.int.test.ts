import type { AttemptResult, Campaign, HoldVerdict } from '@dropgate/core';
import { clientSource } from '@dropgate/guard';
import { attemptJobOptions, getAttemptStatus, type AttemptQueue, type AttemptSource } from '@dropgate/queue';
import type { Store } from '@dropgate/store';
import { jobResult, waitFor } from '@dropgate/testkit';
import { attemptId, holdRule, sourceGuards, startAttemptHarness, type AttemptHarness, type RunningWorker, type SourceGuards } from '../test/attempt-harness';
import { attemptProcessor, batchingRedemptions, processAttempt, type ProcessDeps, type ReceivedAttemptJob } from './index';

/**
 * The deferred verdict and the hold, wired as apps/worker and apps/intake wire them, on real Redis (random prefix), a
 * real PostgreSQL store (random schema) and a real BullMQ worker: an attempt accepted while its source was still
 * allowed, whose source is blocked before a worker takes it, ends `source_blocked`, recorded; one whose source looks
 * shared by several customers is looked at again one step later, and held again while it keeps naming new ones, up to
 * the hold's maximum.
 */

const HOLD_MS = 600;
/** The hold's rule: looks STEP_MS apart, up to HOLD_MAX_MS from acceptance. */
const STEP_MS = 800;
const HOLD_MAX_MS = 4000;

type Data = ReceivedAttemptJob['data'];

let harness: AttemptHarness;
let store: Store;
let queue: AttemptQueue;
let running: RunningWorker;
let deps: ProcessDeps;
/** The intake's mirror and rate guard (distinct customers per address and subnet, blocks over the caps), the worker's reads. */
let guards: SourceGuards;
let campaign: Campaign;
let codes: string[];
const verdictErrors: unknown[] = [];
const verdicts: Array<{ attemptId: string; verdict: HoldVerdict }> = [];
const verdictsOf = (id: string) => verdicts.filter((v) => v.attemptId === id).map((v) => v.verdict);

const sourceOf = (ip: string): AttemptSource => clientSource(ip);

async function accept(data: Data, id: string, holdMs = HOLD_MS): Promise<void> {
  await queue.add('redeem', data as never, attemptJobOptions(id, { attempts: 3, backoffMs: 60_000, retentionS: 3600, holdMs }));
}

function outcome(id: string): Promise<AttemptResult> {
  return jobResult<AttemptResult>(queue, id, 10_000);
}

/** What the worker reads: is the source blocked now? */
async function blockedNow(source: AttemptSource): Promise<true | undefined> {
  return (await deps.sourceEvidence!(source)).blocked ? true : undefined;
}

const nameCustomers = (ip: string, ids: string[]): Promise<boolean[]> => guards.nameCustomers(ip, ids);

/** A BullMQ worker running the processor, as apps/worker runs it (every verdict is noted in `verdicts`). */
const startWorker = (): Promise<RunningWorker> => harness.startWorker(attemptProcessor(deps), 8);

beforeAll(async () => {
  harness = await startAttemptHarness({ label: 'dv', pattern: 'DV-####-####', reward: 't-shirt', codes: 16 });
  ({ store, queue, campaign, codes } = harness);
  guards = sourceGuards(harness);
  // The worker's side, as apps/worker/src/main.ts wires it.
  deps = {
    redemptions: batchingRedemptions(store.redemptions, { max: 8, waitMs: 0 }),
    now: () => new Date(),
    sourceEvidence: guards.sourceEvidence,
    onVerdictError: (err) => verdictErrors.push(err),
    holdRule: holdRule(STEP_MS, HOLD_MAX_MS),
    onHoldVerdict: (verdict, attemptId) => verdicts.push({ attemptId, verdict }),
  };
  running = await startWorker();
});

afterAll(() => harness?.close());

describe('the hold and the deferred verdict', () => {
  it('holds an accepted attempt ATTEMPT_HOLD_MS (queued meanwhile), then judges it: one customer alone is never held longer', async () => {
    const id = attemptId('held');
    // The intake counted the customer for its address and /24 when it accepted the attempt.
    expect(await nameCustomers('192.0.2.10', ['held-customer'])).toEqual([true]);
    await accept({ campaignId: campaign.id, customerId: 'held-customer', code: codes[0]!, acceptedAt: new Date().toISOString(), source: sourceOf('192.0.2.10') }, id);
    expect(await getAttemptStatus(queue, id)).toEqual({ attemptId: id, status: 'queued' });
    expect((await outcome(id)).outcome).toBe('redeemed');
    const job = await queue.getJob(id);
    expect(job!.processedOn! - job!.timestamp).toBeGreaterThanOrEqual(HOLD_MS);
    expect(verdictsOf(id)).toEqual([{ action: 'judge', held: false }]);
  });

  it('refuses an attempt whose subnet was blocked after it was accepted (source_blocked, recorded); a source still allowed is served', async () => {
    const bot = sourceOf('198.51.100.23');
    const botId = attemptId('bot');
    const honestId = attemptId('honest');
    const acceptedAt = new Date().toISOString();
    await accept({ campaignId: campaign.id, customerId: 'bot-1', code: codes[1]!, acceptedAt, source: bot }, botId);
    await accept({ campaignId: campaign.id, customerId: 'honest-1', code: codes[2]!, acceptedAt, source: sourceOf('192.0.2.77') }, honestId);
    // Moments later the intake's subnet limit trips on the bot's next requests (from another address of its /24).
    guards.intakeMirror.block(`subnet:${sourceOf('198.51.100.99').subnet}`, 60_000);

    const [refused, served] = await Promise.all([outcome(botId), outcome(honestId)]);
    expect(refused).toMatchObject({ attemptId: botId, outcome: 'source_blocked', code: null, customerId: 'bot-1' });
    expect(served).toMatchObject({ attemptId: honestId, outcome: 'redeemed', code: codes[2] });
    expect(await store.redemptions.getAttempt(botId)).toMatchObject({ outcome: 'source_blocked', finishedAt: new Date(acceptedAt) });
    expect(await store.codes.get(campaign.id, codes[1]!)).toMatchObject({ state: 'available', customerId: null });
    expect(await getAttemptStatus(queue, botId)).toEqual({ attemptId: botId, status: 'done', outcome: 'source_blocked' });
    expect(await store.redemptions.outcomeCounts(campaign.id)).toMatchObject({ source_blocked: 1 });
  });

  it('is idempotent on redelivery: a refused attempt stays refused once unblocked, a served one stays served once blocked', async () => {
    const address = sourceOf('203.0.113.5');
    const refusedId = attemptId('redelivered-refused');
    guards.intakeMirror.block(`address:${address.address}`, 1_000);
    await waitFor('the block shared', () => blockedNow(address), 2000, 10);
    const refusedJob = { id: refusedId, name: 'redeem', data: { campaignId: campaign.id, customerId: 'c-refused', code: codes[3]!, acceptedAt: new Date().toISOString(), source: address } };
    expect((await processAttempt(refusedJob, deps)).outcome).toBe('source_blocked');
    await waitFor('the block to expire', async () => ((await blockedNow(address)) ? undefined : true), 3000, 50);
    expect((await processAttempt(refusedJob, deps)).outcome).toBe('source_blocked');
    expect(await store.codes.get(campaign.id, codes[3]!)).toMatchObject({ state: 'available' });

    const other = sourceOf('203.0.113.6');
    const servedId = attemptId('redelivered-served');
    const servedJob = { id: servedId, name: 'redeem', data: { campaignId: campaign.id, customerId: 'c-served', code: codes[4]!, acceptedAt: new Date().toISOString(), source: other } };
    const first = await processAttempt(servedJob, deps);
    expect(first.outcome).toBe('redeemed');
    guards.intakeMirror.block(`address:${other.address}`, 60_000);
    await waitFor('the block shared', () => blockedNow(other), 2000, 10);
    expect(await processAttempt(servedJob, deps)).toEqual(first);
    expect(await store.codes.get(campaign.id, codes[4]!)).toMatchObject({ state: 'redeemed', attemptId: servedId });
  });

  it('judges the attempt as usual when the blocks cannot be read (the intake checks held), and says so; a job without a source is never refused', async () => {
    const failing: ProcessDeps = { ...deps, sourceEvidence: () => Promise.reject(new Error('redis down')) };
    const before = verdictErrors.length;
    const id = attemptId('no-verdict');
    const r = await processAttempt({ id, name: 'redeem', data: { campaignId: campaign.id, customerId: 'c-open', code: codes[5]!, acceptedAt: new Date().toISOString(), source: sourceOf('203.0.113.200') } }, failing);
    expect(r.outcome).toBe('redeemed');
    expect(verdictErrors.slice(before).map((e) => (e as Error).message)).toEqual(['redis down']);

    // An old intake's job (no source) while everything is blocked: judged as usual.
    const blockedAll: ProcessDeps = { ...deps, sourceEvidence: () => Promise.resolve({ blocked: true, addressCustomers: 0, subnetCustomers: 0 }) };
    const legacy = await processAttempt({ id: attemptId('legacy'), name: 'redeem', data: { campaignId: campaign.id, customerId: 'c-legacy', code: codes[6]!, acceptedAt: new Date().toISOString() } }, blockedAll);
    expect(legacy.outcome).toBe('redeemed');
    // A claim with a blocked source is refused like a redeem.
    const claim = await processAttempt({ id: attemptId('claim'), name: 'claim', data: { campaignId: campaign.id, customerId: 'c-claim', acceptedAt: new Date().toISOString(), source: sourceOf('203.0.113.201') } }, blockedAll);
    expect(claim).toMatchObject({ kind: 'claim', outcome: 'source_blocked', code: null });
  });

  it('holds a /24 rotating customer ids past the hold (queued, nothing recorded) and refuses the attempt once its cap blocks it (source_blocked, as of its acceptance)', async () => {
    // 6 customers named by the /24 so far, the last one with this attempt.
    expect(await nameCustomers('198.51.102.1', ['rot-1', 'rot-2'])).toEqual([true, true]);
    expect(await nameCustomers('198.51.102.2', ['rot-3', 'rot-4', 'rot-5', 'rot-6'])).toEqual([true, true, true, true]);
    const id = attemptId('rotating');
    const acceptedAt = new Date().toISOString();
    await accept({ campaignId: campaign.id, customerId: 'rot-6', code: codes[7]!, acceptedAt, source: sourceOf('198.51.102.2') }, id);

    await waitFor('the first look', () => Promise.resolve(verdictsOf(id).length > 0 ? true : undefined), 5000, 20);
    expect(verdictsOf(id)).toEqual([{ action: 'defer', untilMs: expect.any(Number) as number, seen: { addressCustomers: 4, subnetCustomers: 6 } }]);
    expect(await getAttemptStatus(queue, id)).toEqual({ attemptId: id, status: 'queued' });
    expect(await store.redemptions.getAttempt(id)).toBeNull();
    expect(await store.codes.get(campaign.id, codes[7]!)).toMatchObject({ state: 'available' });
    expect((await queue.getJob(id))!.data).toMatchObject({ holdSeen: { addressCustomers: 4, subnetCustomers: 6 } });

    // The rotation goes on, one new id per address of the /24, until its cap blocks it (the 51st id).
    const more: boolean[] = [];
    for (let i = 0; i < 45; i++) more.push(...(await nameCustomers(`198.51.102.${10 + i}`, [`rot-${7 + i}`])));
    expect(more.slice(0, 44).every(Boolean)).toBe(true);
    expect(more[44]).toBe(false);

    const refused = await outcome(id);
    expect(refused).toMatchObject({ attemptId: id, outcome: 'source_blocked', code: null });
    expect(await store.redemptions.getAttempt(id)).toMatchObject({ outcome: 'source_blocked', finishedAt: new Date(acceptedAt) });
    expect(await store.codes.get(campaign.id, codes[7]!)).toMatchObject({ state: 'available', customerId: null });
    const job = await queue.getJob(id);
    expect(job!.processedOn! - Date.parse(acceptedAt)).toBeGreaterThanOrEqual(HOLD_MS + STEP_MS);
    expect(verdictsOf(id).at(-1)).toEqual({ action: 'refuse' });
    expect(verdictsOf(id).slice(0, -1).every((v) => v.action === 'defer')).toBe(true);
  });

  it('judges a household (a count that stands still) at the next look, also when the worker that held it is gone', async () => {
    expect(await nameCustomers('198.51.103.7', ['home-1', 'home-2'])).toEqual([true, true]);
    const id = attemptId('household');
    const acceptedAt = new Date().toISOString();
    await accept({ campaignId: campaign.id, customerId: 'home-2', code: codes[8]!, acceptedAt, source: sourceOf('198.51.103.7') }, id);
    await waitFor('the first look', () => Promise.resolve(verdictsOf(id).length > 0 ? true : undefined), 5000, 20);
    expect(verdictsOf(id)).toEqual([{ action: 'defer', untilMs: expect.any(Number) as number, seen: { addressCustomers: 2, subnetCustomers: 2 } }]);

    // Held again (back in the delayed set), its worker goes away; the job is in Redis, owned by nobody: another takes it.
    await waitFor('held again', async () => ((await queue.getJobState(id)) === 'delayed' ? true : undefined), 5000, 10);
    await running.close(true);
    expect(await getAttemptStatus(queue, id)).toEqual({ attemptId: id, status: 'queued' });
    running = await startWorker();

    const judged = await outcome(id);
    expect(judged).toMatchObject({ attemptId: id, outcome: 'redeemed', code: codes[8] });
    expect(await store.redemptions.getAttempt(id)).toMatchObject({ outcome: 'redeemed', finishedAt: new Date(acceptedAt) });
    const job = await queue.getJob(id);
    expect(job!.processedOn! - Date.parse(acceptedAt)).toBeGreaterThanOrEqual(HOLD_MS + STEP_MS);
    // Held once: no try spent on it (a later infrastructure failure still gets every retry).
    expect(job!.attemptsMade).toBe(1);
    expect(verdictsOf(id).map((v) => v.action)).toEqual(['defer', 'judge']);
    expect(verdictsOf(id)[1]).toEqual({ action: 'judge', held: true });
    expect(await getAttemptStatus(queue, id)).toEqual({ attemptId: id, status: 'done', outcome: 'redeemed', code: codes[8], tier: 'standard', reward: 't-shirt' });
  });

  it('judges a source that keeps naming new customers but is never blocked once the maximum is reached', async () => {
    // A busy /24 (carrier-grade NAT, say): a new customer every 150 ms from a new address, never 50 in the test.
    expect(await nameCustomers('198.51.104.1', ['cgn-0', 'cgn-1'])).toEqual([true, true]);
    const id = attemptId('busy-subnet');
    const acceptedAt = new Date().toISOString();
    let named = 2;
    const growing = setInterval(() => void nameCustomers(`198.51.104.${named + 1}`, [`cgn-${named++}`]), 150);
    try {
      await accept({ campaignId: campaign.id, customerId: 'cgn-1', code: codes[9]!, acceptedAt, source: sourceOf('198.51.104.1') }, id);
      expect(await outcome(id)).toMatchObject({ attemptId: id, outcome: 'redeemed', code: codes[9] });
    } finally {
      clearInterval(growing);
    }
    expect(named).toBeLessThan(50);
    const job = await queue.getJob(id);
    expect(job!.processedOn! - Date.parse(acceptedAt)).toBeGreaterThanOrEqual(HOLD_MAX_MS);
    const looks = verdictsOf(id);
    expect(looks.length).toBeGreaterThanOrEqual(3);
    expect(looks.slice(0, -1).every((v) => v.action === 'defer')).toBe(true);
    expect(looks.at(-1)).toEqual({ action: 'judge', held: true });
    expect(await store.redemptions.getAttempt(id)).toMatchObject({ outcome: 'redeemed', finishedAt: new Date(acceptedAt) });
  });
});
