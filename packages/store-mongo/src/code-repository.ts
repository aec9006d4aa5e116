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
import { byAttemptId, toCodeRecord, type CampaignDoc, type CodeDoc, type Models } from './models';

/** Codes per insertMany: big enough for throughput, small enough for the 48 MB batch and our memory. */
const INSERT_CHUNK = 10_000;
const MAX_LIST = 10_000;

export interface CodeRepositoryDeps {
  models: Models;
  publisher: CodePublisher;
  quota: CustomerQuota;
  target: CampaignTarget;
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
        customerId: null,
        attemptId: null,
        redeemedAt: null,
        lockReleaseAt: null,
        publicationId: null,
        channel: null,
        publishedTo: null,
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
    const counts: CodeCounts = {};
    const zeros = (): Record<CodeState, number> => Object.fromEntries(CODE_STATES.map((s) => [s, 0])) as Record<CodeState, number>;
    for (const tier of campaign?.tiers ?? []) counts[tier.name] = zeros();
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
   * the customer's quota is freed first (idempotent `$pull` of the attempt id), then the code's CAS (conditional on
   * the very redemption read), then the campaign counter. A kill after the CAS leaves the counter one too high
   * (the campaign may stop one short), never one too low.
   */
  async rollback(request: RollbackRequest): Promise<boolean> {
    if (request.to !== 'available' && request.to !== 'disabled') throw new RangeError(`rollback to ${String(request.to)}`);
    const code = await this.models.codes.findOne({ campaignId: request.campaignId, code: request.code, state: { $in: statesAllowing('rollback') } }).lean<CodeDoc>();
    if (!code) return false;
    const freed = code.attemptId && code.customerId ? await this.deps.quota.releaseFor(code.campaignId, code.tier, code.customerId, code.attemptId) : [];
    const res = await this.models.codes.updateOne(
      { _id: code._id, state: code.state, ...(code.attemptId ? byAttemptId(code.attemptId) : { attemptId: null }) },
      {
        $set: { state: request.to, customerId: null, attemptId: null, redeemedAt: null, lockReleaseAt: null, publicationId: null, channel: null, publishedTo: null },
        $unset: { pubPending: 1 },
      },
    );
    if (res.modifiedCount !== 1) {
      // Someone moved the code first. If it still carries the redemption (e.g. disabled meanwhile), the quota we
      // freed belongs to it again; if a concurrent rollback cleared it, that rollback's release stands.
      if (code.attemptId) {
        const still = await this.models.codes.exists({ _id: code._id, ...byAttemptId(code.attemptId) });
        if (still) await this.deps.quota.restore(freed, code.attemptId);
      }
      return false;
    }
    await this.deps.target.uncount(code.campaignId);
    return true;
  }

  /** Conditional bulk move: only codes whose state the transition table allows are touched. */
  private async move(campaignId: string, codes: string[], from: readonly CodeState[], set: Record<string, unknown>): Promise<number> {
    if (codes.length === 0) return 0;
    const res = await this.models.codes.updateMany({ campaignId, code: { $in: codes }, state: { $in: from } }, { $set: set });
    return res.modifiedCount;
  }
}
