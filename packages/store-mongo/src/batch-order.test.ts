import type { AttemptRequest } from '@dropgate/store';
import { batchOrder, countsByCampaign } from './batch-order';

const NOW = new Date('2026-06-01T12:00:00Z');
const claim = (attemptId: string, campaignId: string, customerId: string): AttemptRequest => ({ kind: 'claim', attemptId, campaignId, customerId, now: NOW });
const redeem = (attemptId: string, campaignId: string, code: string, customerId: string): AttemptRequest => ({ kind: 'redeem', attemptId, campaignId, code, customerId, now: NOW });

describe('batchOrder', () => {
  it('orders by campaign, then code (redeems before claims), customer and attempt id, like dg_attempt_many', () => {
    const reqs = [claim('a3', 'c2', 'u1'), claim('a2', 'c1', 'u2'), redeem('a1', 'c1', 'B', 'u9'), redeem('a0', 'c1', 'A', 'u9'), claim('a1b', 'c1', 'u1')];
    expect(batchOrder(reqs).map((r) => r.attemptId)).toEqual(['a0', 'a1', 'a1b', 'a2', 'a3']);
    expect(reqs.map((r) => r.attemptId)).toEqual(['a3', 'a2', 'a1', 'a0', 'a1b']); // the input is left as it was
  });

  it('decides attempts on one code, and claims, first come first served (by acceptance time, before customer id)', () => {
    const at = (ms: number) => new Date(NOW.getTime() + ms);
    const reqs: AttemptRequest[] = [
      { kind: 'redeem', attemptId: 'late', campaignId: 'c1', code: 'A', customerId: 'aaa', now: at(20) },
      { kind: 'redeem', attemptId: 'early', campaignId: 'c1', code: 'A', customerId: 'zzz', now: at(10) },
      { kind: 'claim', attemptId: 'claim-late', campaignId: 'c1', customerId: 'aaa', now: at(5) },
      { kind: 'claim', attemptId: 'claim-early', campaignId: 'c1', customerId: 'zzz', now: at(1) },
    ];
    expect(batchOrder(reqs).map((r) => r.attemptId)).toEqual(['early', 'late', 'claim-early', 'claim-late']);
  });

  it('keeps an attempt id given twice next to itself', () => {
    const ordered = batchOrder([claim('x', 'c1', 'u1'), claim('y', 'c1', 'u0'), claim('x', 'c1', 'u1')]);
    expect(ordered.map((r) => r.attemptId)).toEqual(['y', 'x', 'x']);
  });
});

describe('countsByCampaign', () => {
  it('groups the successes to count per campaign, campaigns in id order, attempts in decision order', () => {
    expect(
      countsByCampaign([
        { campaignId: 'c2', attemptId: 'a' },
        { campaignId: 'c1', attemptId: 'b' },
        { campaignId: 'c2', attemptId: 'c' },
      ]),
    ).toEqual([
      ['c1', ['b']],
      ['c2', ['a', 'c']],
    ]);
    expect(countsByCampaign([])).toEqual([]);
  });
});
