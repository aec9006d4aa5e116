import type { ContractContext } from './context';
import { attemptId, createCampaignWithCodes, NOW } from './fixtures';
import { INTACT } from './harness';
import { errorMessage } from '@dropgate/core';

/**
 * `sold_out` only when no code is left: never because the last codes are held, for now, by operations that have
 * not committed (and may still roll back: a batch that fails, a deadlock victim, a dropped connection).
 */
export function heldCodesContract(ctx: ContractContext): void {
  describe('codes held by operations still open', () => {
    it('a claim finding the last code held by an open transaction waits for it, and gets the code when that one rolls back', async () => {
      const [holderStore, claimerStore] = [ctx.stores()[0]!, ctx.stores()[1]!];
      const { campaign, codes } = await createCampaignWithCodes(ctx.store(), [{ name: 'standard', reward: 'x', quantity: 1 }]);
      const faults = ctx.faults();
      const holder = attemptId('holder');
      const stall = await faults.stall('claim.code', holder);
      const held = holderStore.redemptions.claim({ attemptId: holder, campaignId: campaign.id, customerId: 'holder', now: NOW });
      const heldSettled = held.then(
        () => 'committed',
        (err: unknown) => errorMessage(err),
      );
      await stall.reached;

      const late = claimerStore.redemptions.claim({ attemptId: attemptId('late'), campaignId: campaign.id, customerId: 'late', now: NOW });
      // While the holder's transaction is open, the claim may not answer: the code may come back.
      const stopWatching = new AbortController();
      const whileHeld = await Promise.race([late.then((r) => r.outcome), faults.waitingOnOthers(stopWatching.signal).then(() => 'waiting' as const)]);
      stopWatching.abort();
      expect(whileHeld).toBe('waiting');

      await stall.release('fail');
      expect(await heldSettled).toMatch(/injected fault/);
      expect(await late).toMatchObject({ outcome: 'claimed', code: codes.standard![0] });
      expect(await ctx.integrity(campaign.id)).toEqual(INTACT);
    });

    it('claims for codes a batch holds wait for it: when the batch fails they get the codes, when it commits they are sold out', async () => {
      for (const then of ['fail', 'continue'] as const) {
        const { campaign } = await createCampaignWithCodes(ctx.store(), [{ name: 'standard', reward: 'x', quantity: 2 }]);
        const batch = [0, 1].map((i) => ({ kind: 'claim' as const, attemptId: attemptId('bh'), campaignId: campaign.id, customerId: `batch${i}`, now: NOW }));
        // The batch has taken both codes and is about to count and commit.
        const stall = await ctx.faults().stall('batch.count', batch[0]!.attemptId);
        const held = ctx.stores()[0]!.redemptions.processMany(batch).then(
          (results) => results.map((r) => r.outcome).join(),
          (err: unknown) => errorMessage(err),
        );
        await stall.reached;
        const singles = [0, 1].map((i) =>
          ctx.stores()[1 + i]!.redemptions.claim({ attemptId: attemptId('bw'), campaignId: campaign.id, customerId: `single${i}`, now: NOW }),
        );
        await ctx.faults().waitingOnOthers();
        await stall.release(then);
        const outcomes = (await Promise.all(singles)).map((r) => r.outcome);
        if (then === 'fail') {
          expect(await held).toMatch(/injected fault/);
          expect(outcomes).toEqual(['claimed', 'claimed']);
        } else {
          expect(await held).toBe('claimed,claimed');
          expect(outcomes).toEqual(['sold_out', 'sold_out']);
        }
        expect(await ctx.integrity(campaign.id)).toEqual(INTACT);
        await ctx.faults().clear();
      }
    });
  });
}
