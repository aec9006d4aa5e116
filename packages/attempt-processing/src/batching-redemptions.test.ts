import type { AttemptResult } from '@dropgate/core';
import type { AttemptRequest, RedemptionService } from '@dropgate/store';
import { batchingRedemptions } from './batching-redemptions';

const NOW = new Date('2026-06-01T12:00:00Z');

function resultOf(req: { attemptId: string; campaignId: string; customerId: string }, kind: 'redeem' | 'claim'): AttemptResult {
  return { attemptId: req.attemptId, kind, campaignId: req.campaignId, customerId: req.customerId, outcome: kind === 'claim' ? 'claimed' : 'redeemed', code: `code-${req.attemptId}`, tier: 't', reward: 'r', finishedAt: NOW, rolledBackAt: null };
}

/** A fake store that records its calls; processMany fails while `failBatches` is set. */
function fakeStore(failBatches = false) {
  const calls: string[] = [];
  const inner: RedemptionService = {
    redeem: (req) => (calls.push(`redeem:${req.attemptId}`), Promise.resolve(resultOf(req, 'redeem'))),
    claim: (req) => {
      calls.push(`claim:${req.attemptId}`);
      return req.attemptId === 'broken' ? Promise.reject(new Error('boom')) : Promise.resolve(resultOf(req, 'claim'));
    },
    processMany: (reqs: readonly AttemptRequest[]) => {
      calls.push(`many:${reqs.map((r) => r.attemptId).join(',')}`);
      if (failBatches) return Promise.reject(Object.assign(new Error('deadlock detected'), { code: '40P01' }));
      return Promise.resolve(reqs.map((r) => resultOf(r, r.kind)));
    },
    refuse: (req) => (calls.push(`refuse:${req.attemptId}`), Promise.resolve({ ...resultOf(req, req.kind), outcome: req.outcome, code: null, tier: null, reward: null })),
    getAttempt: () => Promise.resolve(null),
    outcomeCounts: () => Promise.resolve({}),
  };
  return { inner, calls };
}

const claim = (id: string) => ({ attemptId: id, campaignId: 'c', customerId: `u-${id}`, now: NOW });

describe('batchingRedemptions', () => {
  it('records refusals straight away, outside any batch', async () => {
    const { inner, calls } = fakeStore();
    const batching = batchingRedemptions(inner, { max: 8, waitMs: 0 });
    const [refused] = await Promise.all([
      batching.refuse({ attemptId: 'x', kind: 'redeem', campaignId: 'c', customerId: 'u', outcome: 'source_blocked', now: NOW }),
      batching.claim(claim('a')),
      batching.claim(claim('b')),
    ]);
    expect(refused.outcome).toBe('source_blocked');
    expect(calls).toEqual(['refuse:x', 'many:a,b']);
  });

  it('is the store itself when the batch size is 1', () => {
    const { inner } = fakeStore();
    expect(batchingRedemptions(inner, { max: 1, waitMs: 0 })).toBe(inner);
  });

  it('sends the attempts of one event-loop turn in one call, at most max, and answers each caller', async () => {
    const { inner, calls } = fakeStore();
    const sizes: number[] = [];
    const batched = batchingRedemptions(inner, { max: 3, waitMs: 0, onBatch: (n) => sizes.push(n) });
    const results = await Promise.all([
      batched.claim(claim('a')),
      batched.redeem({ ...claim('b'), code: 'X' }),
      batched.claim(claim('c')),
      batched.claim(claim('d')),
    ]);
    expect(results.map((r) => [r.attemptId, r.kind])).toEqual([['a', 'claim'], ['b', 'redeem'], ['c', 'claim'], ['d', 'claim']]);
    // a, b, c filled a batch; d was alone in the next one and went as a single call.
    expect(calls).toEqual(['many:a,b,c', 'claim:d']);
    expect(sizes).toEqual([3]);
  });

  it('waits up to waitMs for more attempts', async () => {
    const { inner, calls } = fakeStore();
    // 100 ms against a 1 ms pause: a loaded machine's pause between the two calls must stay inside the wait.
    const batched = batchingRedemptions(inner, { max: 10, waitMs: 100 });
    const first = batched.claim(claim('a'));
    await new Promise((r) => setTimeout(r, 1));
    const second = batched.claim(claim('b'));
    await Promise.all([first, second]);
    expect(calls).toEqual(['many:a,b']);
  });

  it('on a failed batch runs every attempt on its own; only a failing attempt fails', async () => {
    const { inner, calls } = fakeStore(true);
    const fellBack: boolean[] = [];
    const batched = batchingRedemptions(inner, { max: 10, waitMs: 0, onBatch: (_n, f) => fellBack.push(f) });
    const outcomes = await Promise.allSettled([batched.claim(claim('a')), batched.claim(claim('broken')), batched.redeem({ ...claim('c'), code: 'X' })]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(calls).toEqual(['many:a,broken,c', 'claim:a', 'claim:broken', 'redeem:c']);
    expect(fellBack).toEqual([true]);
  });
});
