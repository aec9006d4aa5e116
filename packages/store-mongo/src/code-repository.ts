import { CODE_STATES, statesAllowing, type CodeState } from '@dropgate/core';
import {
  StoreError,
  type CodeCounts,
  type CodeRecord,
  type CodeRepository,
  type InsertCodesResult,
  type ListCodesQuery,
  type LockCodesRequest,
  type NewCode,
  type Publication,
  type PublishRequest,
  type RollbackRequest,
} from '@dropgate/store';
import type { CampaignTarget } from './campaign-target';
import type { CodePublisher } from './code-publisher';
import type { CustomerQuota } from './customer-quota';
import { duplicateIndexes } from './mongo-errors';
import { byAttemptId, toCodeRecord, type CampaignDoc, type CodeDoc, type Models, type PendingRollback } from './models';

/** The fields of a code nobody holds: a fresh code, and a rolled-back one. */
const UNOWNED = {
  customerId: null,
  attemptId: null,
  redeemedAt: null,
  lockReleaseAt: null,
  publicationId: null,
  channel: null,
  publishedTo: null,
} as const;

/** Codes per insertMany: big enough for throughput, small enough for the 48 MB batch and our memory. */
const INSERT_CHUNK = 10_000;
const MAX_LIST = 10_000;
/** Rounds of a rollback whose code CAS lost (the code changed under it) before it answers from what it reads. */
const MAX_ROLLBACK_ROUNDS = 5;
/** Pending rollbacks finished per sweep call. */
const SWEEP_BATCH = 500;

export interface CodeRepositoryDeps {
  models: Models;
  publisher: CodePublisher;
  quota: CustomerQuota;
  target: CampaignTarget;
  /** Returns once the attempt has a recorded outcome: waits for a live run, settles a dead one (MongoRedemptionService.settle). */
  settleAttempt: (attemptId: string) => Promise<void>;
}

export class MongoCodeRepository implements CodeRepository {
  private readonly models: Models;

  constructor(private readonly deps: CodeRepositoryDeps) {
    this.models = deps.models;
  }

  async insert(campaignId: string, codes: NewCode[]): Promise<InsertCodesResult> {
    const campaign = await this.models.campaigns.findById(campaignId, { tiers: 1 }).lean<Pick<CampaignDoc, 'tiers'>>();
    if (!campaign) throw new StoreError('campaign_not_found', `campaign ${campaignId} not found`);
    const tiers = new Set(campaign.tiers.map((t) => t.name));
    const unknown = codes.find((c) => !tiers.has(c.tier));
    if (unknown) throw new StoreError('unknown_tier', `campaign ${campaignId} has no tier ${unknown.tier}`);

    let inserted = 0;
    const duplicates: string[] = [];
    for (let start = 0; start < codes.length; start += INSERT_CHUNK) {
      const chunk = codes.slice(start, start + INSERT_CHUNK);
      const docs = chunk.map((c) => ({
        campaignId,
        code: c.code,
        tier: c.tier,
        state: 'available' as const,
        ...UNOWNED,
        rnd: Math.random(),
      }));
      try {
        // Unordered: one duplicate must not stop the rest. `lean`: these are complete documents, skip hydration.
        await this.models.codes.insertMany(docs, { ordered: false, lean: true });
        inserted += chunk.length;
      } catch (err) {
        const refused = duplicateIndexes(err);
        if (!refused) throw err;
        inserted += chunk.length - refused.length;
        for (const i of refused) duplicates.push(chunk[i]!.code);
      }
    }
    return { inserted, duplicates };
  }

  async get(campaignId: string, code: string): Promise<CodeRecord | null> {
    const doc = await this.models.codes.findOne({ campaignId, code }).lean<CodeDoc>();
    return doc ? toCodeRecord(doc) : null;
  }

  async list(query: ListCodesQuery): Promise<CodeRecord[]> {
    const limit = Math.min(Math.floor(query.limit), MAX_LIST);
    if (!(limit > 0)) return [];
    const filter: Record<string, unknown> = { campaignId: query.campaignId };
    if (query.tier !== undefined) filter.tier = query.tier;
    if (query.state !== undefined) filter.state = query.state;
    if (query.after !== undefined) filter.code = { $gt: query.after };
    const docs = await this.models.codes.find(filter).sort({ code: 1 }).limit(limit).lean<CodeDoc[]>();
    return docs.map(toCodeRecord);
  }

  async counts(campaignId: string): Promise<CodeCounts> {
    const [campaign, rows] = await Promise.all([
      this.models.campaigns.findById(campaignId, { tiers: 1 }).lean<Pick<CampaignDoc, 'tiers'>>(),
      this.models.codes.aggregate<{ _id: { tier: string; state: CodeState }; n: number }>([
        { $match: { campaignId } },
        { $group: { _id: { tier: '$tier', state: '$state' }, n: { $sum: 1 } } },
      ]),
    ]);
    if (!campaign) throw new StoreError('campaign_not_found', `campaign ${campaignId} not found`);
    const counts: CodeCounts = {};
    const zeros = (): Record<CodeState, number> => Object.fromEntries(CODE_STATES.map((s) => [s, 0])) as Record<CodeState, number>;
    for (const tier of campaign.tiers) counts[tier.name] = zeros();
    for (const { _id, n } of rows) (counts[_id.tier] ??= zeros())[_id.state] = n;
    return counts;
  }

  async lock(request: LockCodesRequest): Promise<number> {
    return this.move(request.campaignId, request.codes, statesAllowing('lock'), { state: 'locked', lockReleaseAt: request.releaseAt ?? null });
  }

  async unlock(campaignId: string, codes: string[]): Promise<number> {
    return this.move(campaignId, codes, statesAllowing('unlock'), { state: 'available', lockReleaseAt: null });
  }

  async releaseDueLocks(now: Date): Promise<number> {
    const res = await this.models.codes.updateMany({ state: 'locked', lockReleaseAt: { $lte: now } }, { $set: { state: 'available', lockReleaseAt: null } });
    return res.modifiedCount;
  }

  async disable(campaignId: string, codes: string[]): Promise<number> {
    return this.move(campaignId, codes, statesAllowing('disable'), { state: 'disabled', lockReleaseAt: null });
  }

  publish(request: PublishRequest): Promise<Publication> {
    return this.deps.publisher.publish(request);
  }

  /**
   * redeemed → available|disabled. Order, so that calling it again after a kill finishes the job:
   *   R0  the attempt that holds the code must be finished: a live run is waited for (its lease is renewed), a
   *       dead one is settled first (MongoRedemptionService.settle) — so its count (W4) is done before we give it
   *       back, as PostgreSQL's rollback waits on the code's row lock for the redeem's transaction;
   *   R1  the code's CAS (conditional on the very redemption read), leaving `rollbackOf` = {attemptId, customer,
   *       tier} on the code: from here on the rollback has happened, and the marker says what is left to do;
   *   R2  the customer's quota freed (idempotent `$pull` of the attempt id);
   *   R3  the campaign counter given back, idempotent by attempt id (`uncountedRecent`, same write as the `$inc`);
   *   R4  the marker removed.
   * A kill after R1 leaves the marker: the next rollback call of that code (which finishes any marker it finds
   * before anything else) or the sweeper (`finishPendingRollbacks`) repeats R2-R4, each idempotent. A call that
   * only finished someone else's marker answers false: the code was no longer redeemed.
   * A campaign stopped by its target stays stopped (resuming is an operator's decision), as in PostgreSQL.
   */
  async rollback(request: RollbackRequest): Promise<boolean> {
    if (request.to !== 'available' && request.to !== 'disabled') throw new RangeError(`rollback to ${String(request.to)}`);
    const where = { campaignId: request.campaignId, code: request.code };
    for (let round = 0; round < MAX_ROLLBACK_ROUNDS; round++) {
      let code = await this.models.codes.findOne(where).lean<CodeDoc>();
      if (code?.rollbackOf) await this.finishRollback(code, code.rollbackOf);
      if (!code || !statesAllowing('rollback').includes(code.state)) return false;
      if (code.attemptId) {
        await this.deps.settleAttempt(code.attemptId); // R0
        code = await this.models.codes.findOne({ _id: code._id, state: code.state, ...byAttemptId(code.attemptId) }).lean<CodeDoc>();
        if (!code) continue; // the attempt gave its code back (e.g. sold out) or someone else moved it: read again
      }
      const marker: PendingRollback | null =
        code.attemptId && code.customerId ? { attemptId: code.attemptId, customerId: code.customerId, tier: code.tier, at: new Date() } : null;
      const res = await this.models.codes.updateOne(
        { _id: code._id, state: code.state, ...(code.attemptId ? byAttemptId(code.attemptId) : { attemptId: null }) },
        {
          $set: {
            state: request.to,
            ...UNOWNED,
            rollbackOf: marker,
          },
          $unset: { pubPending: 1 },
        },
      ); // R1
      if (res.modifiedCount !== 1) continue; // someone moved the code first: answer from its new state
      if (marker) await this.finishRollback(code, marker);
      else await this.deps.target.uncount(code.campaignId, null); // a redemption without attempt id (not made by this adapter)
      return true;
    }
    return false;
  }

  /** Finishes rollbacks whose process died after R1 (markers older than `olderThan`); returns how many. */
  async finishPendingRollbacks(olderThan: Date): Promise<number> {
    const docs = await this.models.codes
      .find({ 'rollbackOf.at': { $type: 'date', $lte: olderThan } }, { _id: 1, campaignId: 1, rollbackOf: 1 })
      .limit(SWEEP_BATCH)
      .lean<Pick<CodeDoc, '_id' | 'campaignId' | 'rollbackOf'>[]>();
    for (const doc of docs) if (doc.rollbackOf) await this.finishRollback(doc, doc.rollbackOf);
    return docs.length;
  }

  /** R2-R4 of a rollback whose code CAS is done. Each step idempotent. */
  private async finishRollback(code: Pick<CodeDoc, '_id' | 'campaignId'>, marker: PendingRollback): Promise<void> {
    await this.deps.quota.releaseFor(code.campaignId, marker.tier, marker.customerId, marker.attemptId);
    await this.deps.target.uncount(code.campaignId, marker.attemptId);
    await this.models.codes.updateOne({ _id: code._id, 'rollbackOf.attemptId': marker.attemptId }, { $unset: { rollbackOf: 1 } });
  }

  /** Conditional bulk move: only codes whose state the transition table allows are touched. */
  private async move(campaignId: string, codes: string[], from: readonly CodeState[], set: Record<string, unknown>): Promise<number> {
    if (codes.length === 0) return 0;
    const res = await this.models.codes.updateMany({ campaignId, code: { $in: codes }, state: { $in: from } }, { $set: set });
    return res.modifiedCount;
  }
}
