import { CODE_STATES, statesAllowing, type CodeState } from '@dropgate/core';
import {
  LocksPartlyReleasedError,
  StoreError,
  withNormalizedCustomer,
  type CodeCounts,
  type CodeRecord,
  type CodeRepository,
  type FaultHook,
  type InsertCodesResult,
  type ListCodesQuery,
  type ListPublicationsQuery,
  type LockAvailableRequest,
  type LockCodesRequest,
  type LockGroup,
  type NewCode,
  type Publication,
  type PublishRequest,
  type ReleasedLocks,
  type RollbackRequest,
} from '@dropgate/store';
import type { Connection } from 'mongoose';
import { compareCodePoints } from './code-point-order';
import { releaseQuota } from './customer-quota';
import { duplicateIndexes } from './mongo-errors';
import { releaseInChunks } from './release-in-chunks';
import { toCodeRecord, toPublication, UNOWNED, type CampaignDoc, type CodeDoc, type Models, type PublicationDoc } from './models';
import { uncountSuccess } from './success-counter';
import { inTransaction, type Tx } from './transaction';

/**
 * Codes per `releaseDueLocks` transaction by default: a transaction must commit within 60 s
 * (transactionLifetimeLimitSeconds) and a huge one strains the oplog and the cache, so hundreds of thousands of due
 * locks are released a chunk at a time (one chunk: ~5,000 small updates, well under a second and a megabyte).
 */
export const RELEASE_DUE_LOCKS_CHUNK = 5_000;
/** Codes per insertMany: big enough for throughput, small enough for the 48 MB batch and our memory. */
const INSERT_CHUNK = 10_000;
const MAX_LIST = 10_000;
const MAX_PUBLICATIONS = 1_000;

export class MongoCodeRepository implements CodeRepository {
  constructor(
    private readonly conn: Connection,
    private readonly models: Models,
    private readonly faults: FaultHook | undefined,
    private readonly releaseChunk = RELEASE_DUE_LOCKS_CHUNK,
  ) {
    if (!Number.isInteger(releaseChunk) || releaseChunk < 1) throw new RangeError('releaseDueLocksChunk must be an integer >= 1');
  }

  /** Bulk load, outside transactions (millions of codes): each document is one atomic insert; duplicates are reported. */
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
      const docs = chunk.map((c) => ({ campaignId, code: c.code, tier: c.tier, state: 'available' as const, ...UNOWNED, rnd: Math.random() }));
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
    const campaign = await this.models.campaigns.findById(campaignId, { tiers: 1 }).lean<Pick<CampaignDoc, 'tiers'>>();
    if (!campaign) throw new StoreError('campaign_not_found', `campaign ${campaignId} not found`);
    const rows = await this.models.codes.aggregate<{ _id: { tier: string; state: CodeState }; n: number }>([
      { $match: { campaignId } },
      { $group: { _id: { tier: '$tier', state: '$state' }, n: { $sum: 1 } } },
    ]);
    const counts: CodeCounts = {};
    const zeros = (): Record<CodeState, number> => Object.fromEntries(CODE_STATES.map((s) => [s, 0])) as Record<CodeState, number>;
    for (const tier of campaign.tiers) counts[tier.name] = zeros();
    for (const { _id, n } of rows) (counts[_id.tier] ??= zeros())[_id.state] = n;
    return counts;
  }

  // Bulk state changes: conditional updateMany, each document atomic on its own; a write that meets a code a
  // transaction holds waits for that transaction.
  lock(request: LockCodesRequest): Promise<number> {
    return this.move(request.campaignId, request.codes, statesAllowing('lock'), { state: 'locked', lockReleaseAt: request.releaseAt ?? null, lockReason: request.reason ?? null });
  }

  /** Exactly `count` available codes of the tier, or none: one transaction, as `publish`. */
  async lockAvailable(req: LockAvailableRequest): Promise<string[]> {
    if (!Number.isInteger(req.count) || req.count < 1) throw new RangeError('lock count must be an integer >= 1');
    return inTransaction(this.conn, this.faults, `lock:${req.campaignId}`, (tx) =>
      this.takeAvailable(tx, req, { state: 'locked', lockReleaseAt: req.releaseAt ?? null, lockReason: req.reason ?? null }, `lock of ${req.count} codes in campaign ${req.campaignId}`),
    );
  }

  /**
   * Inside a transaction: exactly `count` available codes of the tier moved with `set` (each still available when
   * marked), or not_enough_codes and nothing moved. Returns the codes, sorted. Shared by lock and publish.
   * The pick is deterministic: the first `count` in `rnd` order, which the claim index (campaignId, tier, state, rnd)
   * hands out without a sort, so a run again after a conflict picks the same codes unless they changed. Codes a
   * concurrent claim or redeem took after this snapshot (or holds uncommitted) still look available here; marking
   * one is a WriteConflict and the whole transaction runs again on what that one committed. So a taken code is never
   * published or locked, and not_enough_codes comes only from codes really gone, as on PostgreSQL.
   */
  private async takeAvailable(tx: Tx, req: { campaignId: string; tier: string; count: number }, set: Partial<CodeDoc>, what: string): Promise<string[]> {
    const campaign = await tx.findById(this.models.campaigns, req.campaignId);
    if (!campaign) throw new StoreError('campaign_not_found', `campaign ${req.campaignId} not found`);
    if (!campaign.tiers.some((t) => t.name === req.tier)) throw new StoreError('unknown_tier', `campaign ${req.campaignId} has no tier ${req.tier}`);
    const picked = await tx.find(
      this.models.codes,
      { campaignId: req.campaignId, tier: req.tier, state: 'available' },
      { sort: { rnd: 1 }, limit: req.count, projection: { _id: 1, code: 1 } },
    );
    if (picked.length < req.count) throw new StoreError('not_enough_codes', `tier "${req.tier}" of campaign ${req.campaignId} has fewer than ${req.count} available codes`);
    const marked = await tx.updateMany(this.models.codes, { _id: { $in: picked.map((c) => c._id) }, state: 'available' }, { $set: set });
    if (marked !== req.count) throw new Error(`${what}: codes changed under a transaction`);
    return picked.map((c) => c.code).sort();
  }

  async listPublications(query: ListPublicationsQuery): Promise<Publication[]> {
    const limit = Math.min(Math.floor(query.limit), MAX_PUBLICATIONS);
    if (!(limit > 0)) return [];
    const docs = await this.models.publications.find({ campaignId: query.campaignId }).sort({ createdAt: -1, _id: -1 }).limit(limit).lean<PublicationDoc[]>();
    return docs.map(toPublication);
  }

  unlock(campaignId: string, codes: string[]): Promise<number> {
    return this.move(campaignId, codes, statesAllowing('unlock'), { state: 'available', lockReleaseAt: null });
  }

  async listLocks(campaignId: string, now: Date): Promise<LockGroup[]> {
    const rows = await this.models.codes.aggregate<{ _id: { tier: string; releaseAt: Date | null; reason: string | null }; count: number }>([
      { $match: { campaignId, state: 'locked', $or: [{ lockReleaseAt: null }, { lockReleaseAt: { $gt: now } }] } },
      { $group: { _id: { tier: '$tier', releaseAt: { $ifNull: ['$lockReleaseAt', null] }, reason: { $ifNull: ['$lockReason', null] } }, count: { $sum: 1 } } },
    ]);
    const groups = rows.map(({ _id, count }) => ({ tier: _id.tier, releaseAt: _id.releaseAt, reason: _id.reason, count }));
    // As the port orders them: timed first (soonest first), then by tier and reason (none first).
    const time = (d: Date | null) => (d === null ? Infinity : d.getTime());
    return groups.sort((a, b) => time(a.releaseAt) - time(b.releaseAt) || compareCodePoints(a.tier, b.tier) || compareCodePoints(a.reason ?? '', b.reason ?? ''));
  }

  /**
   * A chunk of `releaseChunk` due locks (soonest due first) per transaction, until a chunk finds fewer: what a
   * transaction counts is what it released (a code that changes meanwhile makes it run again), and a chunk is added
   * to the result only once it committed, so every code is reported exactly once. If a later chunk fails, a
   * LocksPartlyReleasedError carries what the committed ones released (their codes are free: the caller must hear
   * of them) and the failure; the rest stays due for the next sweep. An error before anything was released is
   * thrown as it is. The chunking rule is `releaseInChunks` (unit-tested without a server).
   */
  async releaseDueLocks(now: Date): Promise<ReleasedLocks[]> {
    const due = { state: 'locked', lockReleaseAt: { $lte: now } };
    const totals = new Map<string, ReleasedLocks>();
    const { failure } = await releaseInChunks(this.releaseChunk, async () => {
      const chunk = await inTransaction(this.conn, this.faults, 'release-due-locks', async (tx) => {
        const picked = await tx.find(this.models.codes, due, {
          sort: { lockReleaseAt: 1 },
          limit: this.releaseChunk,
          projection: { _id: 1, campaignId: 1, tier: 1, lockReason: 1 },
        });
        if (picked.length === 0) return [];
        const released = await tx.updateMany(this.models.codes, { _id: { $in: picked.map((c) => c._id) }, ...due }, { $set: { state: 'available', lockReleaseAt: null } });
        if (released !== picked.length) throw new Error('release of due locks: codes changed under a transaction');
        return picked;
      });
      // Committed: counted now, each code once (a transaction run again returned only its last run's codes).
      for (const c of chunk) {
        const reason = c.lockReason ?? null;
        const key = JSON.stringify([c.campaignId, c.tier, reason]);
        const group = totals.get(key) ?? { campaignId: c.campaignId, tier: c.tier, reason, released: 0 };
        group.released += 1;
        totals.set(key, group);
      }
      return chunk.length;
    });
    const groups = [...totals.values()].sort(
      (a, b) => compareCodePoints(a.campaignId, b.campaignId) || compareCodePoints(a.tier, b.tier) || compareCodePoints(a.reason ?? '', b.reason ?? ''),
    );
    if (failure !== null) throw new LocksPartlyReleasedError(groups, failure);
    return groups;
  }

  disable(campaignId: string, codes: string[]): Promise<number> {
    // A redeemed code keeps its customer/attempt as history; only rollback gives quota and target back.
    return this.move(campaignId, codes, statesAllowing('disable'), { state: 'disabled', lockReleaseAt: null });
  }

  /**
   * Exactly `count` available codes of the tier, or none: ONE transaction marks them and records the publication.
   * Codes other transactions hold look available in its snapshot; marking one makes it conflict and run again once
   * they are done, so not_enough_codes means the codes are not there. Idempotent by publicationId.
   */
  async publish(request: PublishRequest): Promise<Publication> {
    const req = withNormalizedCustomer(request);
    if (!Number.isInteger(req.count) || req.count < 1) throw new RangeError('publish count must be an integer >= 1');
    const publication = await inTransaction(this.conn, this.faults, req.publicationId, async (tx) => {
      const existing = await tx.findById(this.models.publications, req.publicationId);
      if (existing) return toPublication(assertSameRequest(existing, req));
      const codes = await this.takeAvailable(
        tx,
        req,
        { state: 'published', publicationId: req.publicationId, channel: req.channel ?? null, publishedTo: req.customerId ?? null },
        `publication ${req.publicationId}`,
      );
      await tx.at('publish.codes', req.publicationId);
      const doc: PublicationDoc = {
        _id: req.publicationId,
        campaignId: req.campaignId,
        tier: req.tier,
        channel: req.channel ?? null,
        customerId: req.customerId ?? null,
        count: req.count,
        codes,
        createdAt: req.now,
      };
      await tx.insert(this.models.publications, [doc]);
      await tx.at('publish.record', req.publicationId);
      return toPublication(doc);
    });
    await this.faults?.at('publish.commit', req.publicationId);
    return publication;
  }

  /**
   * redeemed → available|disabled in ONE transaction: the code, the quota units of the attempt that held it, its
   * place in the count, and that attempt's record (rolledBackAt). A campaign stopped by its target stays stopped
   * (resuming is an operator's decision), as on PostgreSQL.
   */
  async rollback(req: RollbackRequest): Promise<boolean> {
    if (req.to !== 'available' && req.to !== 'disabled') throw new RangeError(`rollback target must be available or disabled, not ${String(req.to)}`);
    const done = await inTransaction(this.conn, this.faults, req.code, async (tx) => {
      const code = await tx.findOne(this.models.codes, { campaignId: req.campaignId, code: req.code });
      if (!code || !statesAllowing('rollback').includes(code.state)) return false;
      await tx.updateOne(this.models.codes, { _id: code._id, state: code.state }, { $set: { state: req.to, ...UNOWNED } });
      await tx.at('rollback.code', req.code);
      if (code.attemptId && code.customerId) await releaseQuota(tx, this.models, req.campaignId, code.customerId, code.tier, code.attemptId);
      await tx.at('rollback.quota', req.code);
      await uncountSuccess(tx, this.models, req.campaignId);
      await tx.at('rollback.count', req.code);
      if (code.attemptId) await tx.updateOne(this.models.attempts, { _id: code.attemptId }, { $set: { rolledBackAt: req.now } });
      await tx.at('rollback.attempt', req.code);
      return true;
    });
    await this.faults?.at('rollback.commit', req.code);
    return done;
  }

  /** Conditional bulk move: only codes whose state the transition table allows are touched. */
  private async move(campaignId: string, codes: string[], from: readonly CodeState[], set: Record<string, unknown>): Promise<number> {
    if (codes.length === 0) return 0;
    const res = await this.models.codes.updateMany({ campaignId, code: { $in: codes }, state: { $in: from } }, { $set: set });
    return res.modifiedCount;
  }
}

function assertSameRequest(doc: PublicationDoc, req: PublishRequest): PublicationDoc {
  const same =
    doc.campaignId === req.campaignId &&
    doc.tier === req.tier &&
    doc.count === req.count &&
    doc.channel === (req.channel ?? null) &&
    doc.customerId === (req.customerId ?? null);
  if (!same) throw new StoreError('publication_conflict', `publication ${doc._id} already exists with other parameters`);
  return doc;
}
