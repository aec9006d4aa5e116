import { OUTCOME_NAMES, type AttemptResult, type ClaimRequest, type Outcome, type RedeemRequest } from '@dropgate/core';
import { checkedRefusal, withNormalizedCustomer, type AttemptRequest, type FaultHook, type RedemptionService, type RefusalRequest } from '@dropgate/store';
import type { Connection } from 'mongoose';
import { batchOrder, countsByCampaign } from './batch-order';
import { toAttemptResult, type Models } from './models';
import { claimIn, redeemIn, undoSuccess } from './redemption-steps';
import { countSuccesses } from './success-counter';
import { inTransaction } from './transaction';
import { isDuplicateKeyError } from './mongo-errors';

/**
 * redeem/claim: ONE transaction each (redemption-steps.ts), retried as a whole on conflicts. processMany: ONE
 * transaction for the whole batch; its successes are counted once per campaign at the end, and those the target
 * has no room for are undone (sold_out), as on PostgreSQL. A transaction that does not commit leaves nothing, so a
 * dead worker leaves nothing half-done: a redelivery starts from scratch or finds the recorded attempt.
 */
export class MongoRedemptionService implements RedemptionService {
  constructor(
    private readonly conn: Connection,
    private readonly models: Models,
    private readonly faults: FaultHook | undefined,
  ) {}

  async redeem(raw: RedeemRequest): Promise<AttemptResult> {
    const request = withNormalizedCustomer(raw);
    const result = await inTransaction(this.conn, this.faults, request.attemptId, async (tx) =>
      toAttemptResult((await redeemIn(tx, this.models, request, true)).attempt),
    );
    await this.faults?.at('redeem.commit', request.attemptId);
    return result;
  }

  async claim(raw: ClaimRequest): Promise<AttemptResult> {
    const request = withNormalizedCustomer(raw);
    const result = await inTransaction(this.conn, this.faults, request.attemptId, async (tx) =>
      toAttemptResult((await claimIn(tx, this.models, request, true)).attempt),
    );
    await this.faults?.at('claim.commit', request.attemptId);
    return result;
  }

  async processMany(raw: readonly AttemptRequest[]): Promise<AttemptResult[]> {
    const requests = raw.map((r) => withNormalizedCustomer(r));
    if (requests.length === 0) return [];
    if (requests.length === 1) {
      const only = requests[0]!;
      return [only.kind === 'redeem' ? await this.redeem(only) : await this.claim(only)];
    }
    const key = requests[0]!.attemptId;
    const results = await inTransaction(this.conn, this.faults, key, async (tx) => {
      const toCount: Array<{ campaignId: string; attemptId: string }> = [];
      for (const req of batchOrder(requests)) {
        const step = req.kind === 'redeem' ? await redeemIn(tx, this.models, req, false) : await claimIn(tx, this.models, req, false);
        if (step.toCount) toCount.push({ campaignId: req.campaignId, attemptId: req.attemptId });
      }
      for (const [campaignId, ids] of countsByCampaign(toCount)) {
        const granted = await countSuccesses(tx, this.models, campaignId, ids.length);
        for (const id of ids.slice(granted)) await undoSuccess(tx, this.models, id);
      }
      await tx.at('batch.count', key);
      const docs = await tx.find(this.models.attempts, { _id: { $in: [...new Set(requests.map((r) => r.attemptId))] } });
      return new Map(docs.map((d) => [d._id, toAttemptResult(d)]));
    });
    await this.faults?.at('batch.commit', key);
    return requests.map((req) => {
      const result = results.get(req.attemptId);
      if (!result) throw new Error(`batch recorded no result for attempt ${req.attemptId}`);
      return result;
    });
  }

  /**
   * One insert of the final attempt document (a single-document write: atomic, no transaction needed); a duplicate
   * key means the attempt is already recorded, and that record is the answer.
   */
  async refuse(raw: RefusalRequest): Promise<AttemptResult> {
    const request = checkedRefusal(raw);
    try {
      await this.models.attempts.create([
        {
          _id: request.attemptId,
          kind: request.kind,
          campaignId: request.campaignId,
          customerId: request.customerId,
          outcome: request.outcome,
          code: null,
          tier: null,
          reward: null,
          finishedAt: request.now,
          rolledBackAt: null,
        },
      ]);
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    const recorded = await this.getAttempt(request.attemptId);
    if (!recorded) throw new Error(`attempt ${request.attemptId} is neither recorded nor insertable`);
    return recorded;
  }

  async getAttempt(attemptId: string): Promise<AttemptResult | null> {
    const doc = await this.models.attempts.findById(attemptId).lean();
    return doc ? toAttemptResult(doc) : null;
  }

  async outcomeCounts(campaignId: string): Promise<Partial<Record<Outcome, number>>> {
    const rows = await this.models.attempts.aggregate<{ _id: Outcome; n: number }>([{ $match: { campaignId } }, { $group: { _id: '$outcome', n: { $sum: 1 } } }]);
    const counts: Partial<Record<Outcome, number>> = {};
    for (const row of rows) if (OUTCOME_NAMES.includes(row._id)) counts[row._id] = row.n;
    return counts;
  }
}
