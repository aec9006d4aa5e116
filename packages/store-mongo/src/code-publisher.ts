import { StoreError, type Publication, type PublishRequest } from '@dropgate/store';
import type { LeaseMutex } from './lease-mutex';
import { isDuplicateKeyError } from './mongo-errors';
import { byPublicationId, toPublication, type CampaignDoc, type CodeDoc, type Models, type PublicationDoc } from './models';

/** Codes marked per write while assembling a publication (keeps `$in` lists and lease renewals small). */
const MARK_CHUNK = 5_000;

/**
 * Publishes exactly `count` codes of a tier or none, idempotently by publicationId, without transactions.
 *
 * Publications of one tier run one at a time under a database lease (admin operations: rare, so serialising
 * them costs nothing, while letting them race would let all of them end short and undo each other).
 * Steps, each a single write, so a kill anywhere leaves state the same publicationId can finish:
 *   P1  publication doc inserted with status `pending`;
 *   P2  codes marked: `available` → `published`, with publicationId and `pubPending` (conditional updateMany,
 *       repeated until `count` are marked). Pending codes are invisible to redeem and never taken by claims,
 *       so undoing a publication that ends short gives nothing away; then they go back to `available`;
 *   P3  publication doc → `complete` with its code list;
 *   P4  `pubPending` removed: the codes become redeemable.
 * A redelivery resumes a pending publication (counts what is marked, marks the rest) or, for a complete one,
 * repeats P4. The next publication of the tier also clears leftovers of dead ones: pending → undone,
 * complete → P4 repeated.
 */
export class CodePublisher {
  constructor(
    private readonly models: Models,
    private readonly mutex: LeaseMutex,
  ) {}

  async publish(req: PublishRequest): Promise<Publication> {
    if (!Number.isInteger(req.count) || req.count < 1) throw new RangeError('count must be an integer >= 1');
    const campaign = await this.models.campaigns.findById(req.campaignId, { tiers: 1 }).lean<Pick<CampaignDoc, 'tiers'>>();
    if (!campaign) throw new StoreError('campaign_not_found', `campaign ${req.campaignId} not found`);
    if (!campaign.tiers.some((t) => t.name === req.tier)) throw new StoreError('unknown_tier', `campaign ${req.campaignId} has no tier ${req.tier}`);

    const done = await this.completed(req);
    if (done) return done;
    const lease = `publish|${req.campaignId}|${req.tier}`;
    const owner = await this.mutex.acquire(lease);
    try {
      const finished = await this.completed(req);
      if (finished) return finished;
      await this.clearDeadPublications(req.campaignId, req.tier, req.publicationId);
      if (!(await this.pendingDoc(req))) {
        // Nothing marked yet: refuse up front when the tier cannot cover the count, so there is nothing to undo.
        const available = await this.models.codes.countDocuments({ campaignId: req.campaignId, tier: req.tier, state: 'available' }).limit(req.count);
        if (available < req.count) throw notEnough(req);
        await this.insertPending(req);
      }
      if (!(await this.markUpTo(req, lease, owner))) {
        await this.undo(req.campaignId, req.publicationId);
        await this.models.publications.deleteOne({ _id: req.publicationId, status: 'pending' });
        throw notEnough(req);
      }
      const codes = await this.models.codes
        .find({ campaignId: req.campaignId, ...byPublicationId(req.publicationId), state: 'published' }, { code: 1 })
        .sort({ code: 1 })
        .lean<Pick<CodeDoc, 'code'>[]>();
      const doc = await this.models.publications
        .findOneAndUpdate({ _id: req.publicationId, status: 'pending' }, { $set: { status: 'complete', codes: codes.map((c) => c.code) } }, { returnDocument: 'after' })
        .lean<PublicationDoc>();
      await this.reveal(req.campaignId, req.publicationId);
      return toPublication(doc ?? (await this.mustGet(req.publicationId)));
    } finally {
      await this.mutex.release(lease, owner).catch(() => undefined);
    }
  }

  /** The complete publication of this id (P4 repeated, in case a kill came before it), or null. */
  private async completed(req: PublishRequest): Promise<Publication | null> {
    const doc = await this.models.publications.findById(req.publicationId).lean<PublicationDoc>();
    if (!doc) return null;
    assertSameRequest(doc, req);
    if (doc.status !== 'complete') return null;
    await this.reveal(doc.campaignId, doc._id);
    return toPublication(doc);
  }

  private async pendingDoc(req: PublishRequest): Promise<PublicationDoc | null> {
    const doc = await this.models.publications.findById(req.publicationId).lean<PublicationDoc>();
    if (doc) assertSameRequest(doc, req);
    return doc;
  }

  private async insertPending(req: PublishRequest): Promise<void> {
    try {
      await this.models.publications.create({
        _id: req.publicationId,
        campaignId: req.campaignId,
        tier: req.tier,
        channel: req.channel ?? null,
        customerId: req.customerId ?? null,
        count: req.count,
        status: 'pending',
        createdAt: req.now,
      });
    } catch (err) {
      // Same id used concurrently for another campaign/tier (other lease): it must be the same request.
      if (!isDuplicateKeyError(err)) throw err;
      await this.pendingDoc(req);
    }
  }

  /** P2: marks available codes until `count` carry this publication; false if the tier runs out first. */
  private async markUpTo(req: PublishRequest, lease: string, owner: string): Promise<boolean> {
    const mine = { campaignId: req.campaignId, ...byPublicationId(req.publicationId), state: 'published' as const };
    for (;;) {
      const have = await this.models.codes.countDocuments(mine);
      if (have > req.count) {
        // Only possible after a lease takeover raced a live holder: keep the first `count` by code, undo the rest.
        const extra = await this.models.codes.find({ ...mine, pubPending: true }, { _id: 1 }).sort({ code: -1 }).limit(have - req.count).lean<Pick<CodeDoc, '_id'>[]>();
        if (extra.length === 0) throw new Error(`publication ${req.publicationId}: ${have} codes marked for ${req.count}`);
        await this.undo(req.campaignId, req.publicationId, extra.map((c) => c._id));
        continue;
      }
      if (have === req.count) return true;
      const ids = await this.candidates(req.campaignId, req.tier, Math.min(req.count - have, MARK_CHUNK));
      if (ids.length === 0) return false;
      await this.models.codes.updateMany(
        { _id: { $in: ids }, state: 'available' },
        {
          $set: {
            state: 'published',
            publicationId: req.publicationId,
            channel: req.channel ?? null,
            publishedTo: req.customerId ?? null,
            pubPending: true,
          },
        },
      );
      await this.mutex.renew(lease, owner);
    }
  }

  /** Up to `n` available codes of the tier, from a random point of the rnd index (away from where claims queue). */
  private async candidates(campaignId: string, tier: string, n: number): Promise<CodeDoc['_id'][]> {
    const r = Math.random();
    const base = { campaignId, tier, state: 'available' as const };
    const up = await this.models.codes.find({ ...base, rnd: { $gte: r } }, { _id: 1 }).sort({ rnd: 1 }).limit(n).lean<Pick<CodeDoc, '_id'>[]>();
    const down =
      up.length < n
        ? await this.models.codes.find({ ...base, rnd: { $lt: r } }, { _id: 1 }).sort({ rnd: -1 }).limit(n - up.length).lean<Pick<CodeDoc, '_id'>[]>()
        : [];
    return [...up, ...down].map((c) => c._id);
  }

  /** Undoes marks of a publication that is not complete (all of them, or the given codes). */
  private async undo(campaignId: string, publicationId: string, ids?: CodeDoc['_id'][]): Promise<void> {
    const marked = { campaignId, ...byPublicationId(publicationId), pubPending: true, ...(ids ? { _id: { $in: ids } } : {}) };
    await this.models.codes.updateMany(
      { ...marked, state: 'published' },
      { $set: { state: 'available', publicationId: null, channel: null, publishedTo: null }, $unset: { pubPending: 1 } },
    );
    // Marked codes disabled meanwhile stay disabled, just no longer part of the publication.
    await this.models.codes.updateMany(marked, { $set: { publicationId: null, channel: null, publishedTo: null }, $unset: { pubPending: 1 } });
  }

  /** P4 (idempotent). */
  private async reveal(campaignId: string, publicationId: string): Promise<void> {
    await this.models.codes.updateMany({ campaignId, ...byPublicationId(publicationId), pubPending: true }, { $unset: { pubPending: 1 } });
  }

  /** Runs under the tier's lease, so no live publication of the tier other than ours can be in progress. */
  private async clearDeadPublications(campaignId: string, tier: string, mine: string): Promise<void> {
    const ids = await this.models.codes.distinct('publicationId', { campaignId, tier, pubPending: true });
    for (const id of ids) {
      if (typeof id !== 'string' || id === mine) continue;
      const doc = await this.models.publications.findById(id).lean<PublicationDoc>();
      if (doc?.status === 'complete') {
        await this.reveal(campaignId, id);
      } else {
        await this.undo(campaignId, id);
        await this.models.publications.deleteOne({ _id: id, status: 'pending' });
      }
    }
  }

  private async mustGet(publicationId: string): Promise<PublicationDoc> {
    const doc = await this.models.publications.findById(publicationId).lean<PublicationDoc>();
    if (!doc) throw new Error(`publication ${publicationId} vanished`);
    return doc;
  }
}

function notEnough(req: PublishRequest): StoreError {
  return new StoreError('not_enough_codes', `tier ${req.tier} of campaign ${req.campaignId} has fewer than ${req.count} available codes`);
}

function assertSameRequest(doc: PublicationDoc, req: PublishRequest): void {
  const same =
    doc.campaignId === req.campaignId &&
    doc.tier === req.tier &&
    doc.count === req.count &&
    (doc.channel ?? null) === (req.channel ?? null) &&
    (doc.customerId ?? null) === (req.customerId ?? null);
  if (!same) throw new StoreError('publication_conflict', `publication ${req.publicationId} already exists with other parameters`);
}
