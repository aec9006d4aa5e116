import type { AttemptResult, ClaimRequest, RedeemRequest } from '@dropgate/core';
import { faultSteps, type FaultStep } from '../src/faults';
import type { AttemptRequest, Store } from '../src/store';
import type { ContractContext } from './context';
import { attemptId, createCampaignWithCodes, NOW } from './fixtures';
import { INTACT } from './harness';

const INJECTED = /injected fault/;
/** The steps a successful single redeem/claim passes, in order (`count` included: a single call counts in place). */
const SINGLE_STEPS = { redeem: faultSteps('redeem'), claim: faultSteps('claim') };
/** Steps that leave the operation committed when they fail (the caller just never hears the answer). */
const committedAt = (step: FaultStep): boolean => step.endsWith('.commit');

type Kind = 'redeem' | 'claim';

function send(store: Store, kind: Kind, req: RedeemRequest): Promise<AttemptResult> {
  if (kind === 'redeem') return store.redemptions.redeem(req);
  const claim: ClaimRequest = { attemptId: req.attemptId, campaignId: req.campaignId, customerId: req.customerId, now: req.now };
  return store.redemptions.claim(claim);
}

/**
 * Failure injection (packages/store/src/faults.ts): an operation that dies at any step leaves nothing a redelivery
 * cannot finish, two deliveries of one attempt never both count, a batch that fails half-way leaves nothing. After
 * each scenario the DATABASE is checked (harness.integrity): no code held twice, nobody over a limit, counters equal
 * to the records, every attempt final.
 */
export function failureContract(ctx: ContractContext): void {
  describe('failure injection', () => {
    describe.each(['redeem', 'claim'] as const)('a %s that dies at a step, then is delivered again', (kind) => {
      it.each(SINGLE_STEPS[kind].flatMap((step) => [[step, 'with a target'] as const, [step, 'without a target'] as const]))(
        'at %s (%s): nothing half-done, the redelivery finishes it exactly once',
        async (step, targeted) => {
          const store = ctx.store();
          const { campaign, codes } = await createCampaignWithCodes(store, [{ name: 'standard', reward: 'x', quantity: 3 }], {
            target: targeted === 'with a target' ? 2 : null,
          });
          const req: RedeemRequest = { attemptId: attemptId('crash'), campaignId: campaign.id, code: codes.standard![0]!, customerId: 'crasher', now: NOW };
          await ctx.faults().fail(step, req.attemptId);
          await expect(send(store, kind, req)).rejects.toThrow(INJECTED);

          const recorded = await store.redemptions.getAttempt(req.attemptId);
          if (committedAt(step)) {
            expect(recorded).toMatchObject({ outcome: kind === 'redeem' ? 'redeemed' : 'claimed' });
          } else {
            expect(recorded).toBeNull();
            expect((await store.codes.counts(campaign.id)).standard).toMatchObject({ available: 3, redeemed: 0 });
            expect((await store.campaigns.get(campaign.id))!.redeemedCount).toBe(0);
          }
          expect(await ctx.integrity(campaign.id)).toEqual(INTACT);

          await ctx.faults().clear();
          const again = await send(ctx.stores()[1]!, kind, req);
          expect(again.outcome).toBe(kind === 'redeem' ? 'redeemed' : 'claimed');
          if (recorded) expect(again).toEqual(recorded);
          expect(await store.redemptions.getAttempt(req.attemptId)).toEqual(again);
          expect(await store.codes.get(campaign.id, again.code!)).toMatchObject({ state: 'redeemed', attemptId: req.attemptId, customerId: 'crasher' });
          expect((await store.campaigns.get(campaign.id))!.redeemedCount).toBe(1);
          expect(await ctx.integrity(campaign.id)).toEqual(INTACT);
          // The quota holds exactly one unit: a second attempt of the same customer is refused.
          const second = await store.redemptions.claim({ attemptId: attemptId('crash2'), campaignId: campaign.id, customerId: 'crasher', now: NOW });
          expect(second.outcome).toBe('customer_limit_reached');
        },
      );
    });

    describe.each(['redeem', 'claim'] as const)('two deliveries of one %s, the first stalled', (kind) => {
      const steps = SINGLE_STEPS[kind].filter((s) => !committedAt(s));
      it.each(steps.flatMap((step) => [[step, 'continue'] as const, [step, 'fail'] as const]))(
        'stalled at %s, then let %s: one code, one count, both answers the same',
        async (step, then) => {
          const [first, second] = [ctx.stores()[0]!, ctx.stores()[1]!];
          const { campaign, codes } = await createCampaignWithCodes(ctx.store(), [{ name: 'standard', reward: 'x', quantity: 4 }], { perCustomerLimit: 2, target: 3 });
          const req: RedeemRequest = { attemptId: attemptId('twice'), campaignId: campaign.id, code: codes.standard![1]!, customerId: 'twice', now: NOW };
          const stall = await ctx.faults().stall(step, req.attemptId);
          const one = send(first, kind, req);
          const oneSettled = one.then(
            (r) => r,
            (err: unknown) => err as Error,
          );
          await stall.reached;
          const two = send(second, kind, req);
          await ctx.faults().waitingOnOthers();
          await stall.release(then);

          const [r1, r2] = await Promise.all([oneSettled, two]);
          expect(r2.outcome).toBe(kind === 'redeem' ? 'redeemed' : 'claimed');
          if (then === 'continue') expect(r1).toEqual(r2);
          else expect(r1).toBeInstanceOf(Error);
          expect(await ctx.store().redemptions.getAttempt(req.attemptId)).toEqual(r2);
          expect((await ctx.store().codes.counts(campaign.id)).standard!.redeemed).toBe(1);
          expect(await ctx.store().codes.get(campaign.id, r2.code!)).toMatchObject({ state: 'redeemed', attemptId: req.attemptId });
          expect((await ctx.store().campaigns.get(campaign.id))!.redeemedCount).toBe(1);
          expect(await ctx.integrity(campaign.id)).toEqual(INTACT);
        },
      );
    });

    describe('a batch rolled back mid-way', () => {
      const elementSteps: FaultStep[] = ['claim.quota', 'claim.code', 'claim.record', 'redeem.quota', 'redeem.code', 'redeem.record'];
      it.each([...elementSteps, ...faultSteps('batch')])('failing at %s: all of it or none of it, then delivered again', async (step) => {
        const store = ctx.store();
        const { campaign } = await createCampaignWithCodes(store, [{ name: 'standard', reward: 'x', quantity: 8 }], { target: 5 });
        // The redeemed codes are published to a channel, so the batch's claims (which never take published codes) cannot take them first.
        const web = await store.codes.publish({ campaignId: campaign.id, tier: 'standard', count: 3, publicationId: `pub_${attemptId('bw')}`, channel: 'web', now: NOW });
        const [c0, c1, c2] = web.codes as [string, string, string];
        const reqs: AttemptRequest[] = [
          { kind: 'claim', attemptId: attemptId('bc'), campaignId: campaign.id, customerId: 'b1', now: NOW },
          { kind: 'redeem', attemptId: attemptId('br'), campaignId: campaign.id, code: c0, customerId: 'b2', now: NOW },
          { kind: 'claim', attemptId: attemptId('bc'), campaignId: campaign.id, customerId: 'b3', now: NOW },
          { kind: 'redeem', attemptId: attemptId('br'), campaignId: campaign.id, code: c1, customerId: 'b4', now: NOW },
          { kind: 'claim', attemptId: attemptId('bc'), campaignId: campaign.id, customerId: 'b5', now: NOW },
          { kind: 'redeem', attemptId: attemptId('br'), campaignId: campaign.id, code: c2, customerId: 'b6', now: NOW },
        ];
        // Element steps: the fault hits the 3rd claim or the 3rd redeem, after other elements have written.
        const key = step.startsWith('batch.') ? reqs[0]!.attemptId : step.startsWith('claim.') ? reqs[4]!.attemptId : reqs[5]!.attemptId;
        await ctx.faults().fail(step, key);
        await expect(store.redemptions.processMany(reqs)).rejects.toThrow(INJECTED);

        if (committedAt(step)) {
          for (const r of reqs) expect(await store.redemptions.getAttempt(r.attemptId)).not.toBeNull();
        } else {
          for (const r of reqs) expect(await store.redemptions.getAttempt(r.attemptId)).toBeNull();
          expect((await store.codes.counts(campaign.id)).standard).toMatchObject({ available: 5, published: 3, redeemed: 0 });
          expect((await store.campaigns.get(campaign.id))!.redeemedCount).toBe(0);
        }
        expect(await ctx.integrity(campaign.id)).toEqual(INTACT);

        await ctx.faults().clear();
        const results = await ctx.stores()[2]!.redemptions.processMany(reqs);
        // Six successes wanted, a target of 5: exactly one sold out.
        expect(results.filter((r) => r.outcome === 'sold_out')).toHaveLength(1);
        expect(results.filter((r) => r.outcome === 'claimed' || r.outcome === 'redeemed')).toHaveLength(5);
        for (const [i, r] of reqs.entries()) expect(await store.redemptions.getAttempt(r.attemptId)).toEqual(results[i]);
        expect(await store.campaigns.get(campaign.id)).toMatchObject({ redeemedCount: 5, status: 'stopped', stopReason: 'target_reached' });
        expect(await ctx.integrity(campaign.id)).toEqual(INTACT);
      });
    });

    describe('a rollback that dies at a step', () => {
      it.each(faultSteps('rollback'))('at %s: the code, quota, count and attempt move together, and calling again finishes it', async (step) => {
        const store = ctx.store();
        const { campaign, codes } = await createCampaignWithCodes(store, [{ name: 'standard', reward: 'x', quantity: 3 }], { target: 3 });
        const code = codes.standard![0]!;
        const first = await store.redemptions.redeem({ attemptId: attemptId('rbk'), campaignId: campaign.id, code, customerId: 'rb', now: NOW });
        expect(first.outcome).toBe('redeemed');
        await ctx.faults().fail(step, code);
        await expect(store.codes.rollback({ campaignId: campaign.id, code, to: 'available', now: NOW })).rejects.toThrow(INJECTED);
        if (!committedAt(step)) {
          expect(await store.codes.get(campaign.id, code)).toMatchObject({ state: 'redeemed', attemptId: first.attemptId });
          expect(await store.redemptions.getAttempt(first.attemptId)).toEqual(first);
          expect((await store.campaigns.get(campaign.id))!.redeemedCount).toBe(1);
        }
        expect(await ctx.integrity(campaign.id)).toEqual(INTACT);

        await ctx.faults().clear();
        // Called again: it does the rollback, or (when the first one had committed) finds nothing left to do.
        expect(await store.codes.rollback({ campaignId: campaign.id, code, to: 'available', now: NOW })).toBe(!committedAt(step));
        expect(await store.codes.get(campaign.id, code)).toMatchObject({ state: 'available', attemptId: null, customerId: null });
        expect(await store.redemptions.getAttempt(first.attemptId)).toEqual({ ...first, rolledBackAt: NOW });
        expect((await store.campaigns.get(campaign.id))!.redeemedCount).toBe(0);
        expect(await ctx.integrity(campaign.id)).toEqual(INTACT);
        // The customer's quota came back, and the code goes to the next customer exactly once.
        const again = await store.redemptions.claim({ attemptId: attemptId('rbk2'), campaignId: campaign.id, customerId: 'rb', now: NOW });
        expect(again.outcome).toBe('claimed');
        const next = await store.redemptions.redeem({ attemptId: attemptId('rbk3'), campaignId: campaign.id, code, customerId: 'next', now: NOW });
        expect(next.outcome).toBe(again.code === code ? 'code_already_used' : 'redeemed');
        expect(await ctx.integrity(campaign.id)).toEqual(INTACT);
      });
    });

    describe('a publication that dies at a step', () => {
      it.each(faultSteps('publish'))('at %s: all of its codes or none, and publishing again answers the same', async (step) => {
        const store = ctx.store();
        const { campaign } = await createCampaignWithCodes(store, [{ name: 'standard', reward: 'x', quantity: 6 }]);
        const request = { campaignId: campaign.id, tier: 'standard', count: 4, publicationId: `pub_${attemptId('pf')}`, channel: 'web', now: NOW };
        await ctx.faults().fail(step, request.publicationId);
        await expect(store.codes.publish(request)).rejects.toThrow(INJECTED);
        const counts = (await store.codes.counts(campaign.id)).standard!;
        expect(counts).toMatchObject(committedAt(step) ? { available: 2, published: 4 } : { available: 6, published: 0 });

        await ctx.faults().clear();
        const publication = await store.codes.publish(request);
        expect(publication.codes).toHaveLength(4);
        expect(await store.codes.publish(request)).toEqual(publication);
        expect((await store.codes.counts(campaign.id)).standard).toMatchObject({ available: 2, published: 4 });
        const published = await store.codes.list({ campaignId: campaign.id, state: 'published', limit: 10 });
        expect(published.map((c) => c.code).sort()).toEqual([...publication.codes].sort());
        expect(await ctx.integrity(campaign.id)).toEqual(INTACT);
      });
    });
  });
}
