import { statesAllowing } from '@dropgate/core';
import { isDuplicateKeyError } from './mongo-errors';
import { byAttemptId, type CodeDoc, type Models } from './models';

/** What the conditional write of a code ended with: the code as now held by the attempt, lost, or 'mine'
 *  (the unique attemptId index refused it: another delivery of this attempt already holds a code). */
export type TakeResult = { won: CodeDoc } | 'lost' | 'mine';

export interface Taker {
  attemptId: string;
  customerId: string;
  now: Date;
}

/** The writes that give a code to an attempt, or take it back. Every one is conditional; none reads-then-writes. */
export class CodeAssignment {
  constructor(private readonly models: Models) {}

  /** The code an attempt holds, if any (at most one: unique partial index on attemptId). */
  async heldBy(attemptId: string): Promise<CodeDoc | null> {
    return this.models.codes.findOne(byAttemptId(attemptId)).lean<CodeDoc>();
  }

  /**
   * Redeem: compare-and-set on exactly the state that was judged (state, publication, lock time), so any
   * concurrent change — another redeemer, a lock, a publication — makes this write miss and the caller re-judge.
   */
  async takeSpecific(seen: CodeDoc, taker: Taker): Promise<TakeResult> {
    const filter: Record<string, unknown> = { _id: seen._id, state: seen.state, attemptId: null };
    if (seen.state === 'locked') filter.lockReleaseAt = seen.lockReleaseAt;
    else if (!statesAllowing('redeem').includes(seen.state)) return 'lost';
    if (seen.state === 'published') Object.assign(filter, { publicationId: seen.publicationId, publishedTo: seen.publishedTo, pubPending: { $ne: true } });
    return this.assign(filter, taker);
  }

  /**
   * Claim: any available code of the tier, starting at a random point of the (campaignId, tier, state, rnd)
   * index and going up, then down from the same point: concurrent claimers start at different documents
   * instead of all fighting over the first one, and every available code is still reachable.
   */
  async takeAny(campaignId: string, tier: string, taker: Taker): Promise<TakeResult | null> {
    const r = Math.random();
    for (const [rnd, dir] of [[{ $gte: r }, 1], [{ $lt: r }, -1]] as const) {
      const result = await this.assign({ campaignId, tier, state: 'available', rnd }, taker, { rnd: dir });
      if (result !== 'lost') return result;
    }
    return null;
  }

  /** Locks of a tier whose release time has passed go back to available (claims run this before giving up). */
  async releaseDueLocks(campaignId: string, tier: string, now: Date): Promise<number> {
    const res = await this.models.codes.updateMany(
      { campaignId, tier, state: 'locked', lockReleaseAt: { $lte: now } },
      { $set: { state: 'available', lockReleaseAt: null } },
    );
    return res.modifiedCount;
  }

  /**
   * Gives a code taken by `attemptId` back (its success could not be counted). It returns to the state it
   * came from: published if it belongs to a publication (publication fields are never touched by a redeem),
   * else available (a due lock is not re-locked).
   */
  async giveBack(code: Pick<CodeDoc, '_id' | 'publicationId'>, attemptId: string): Promise<void> {
    await this.models.codes.updateOne(
      { _id: code._id, state: 'redeemed', ...byAttemptId(attemptId) },
      { $set: { state: code.publicationId != null ? 'published' : 'available', customerId: null, attemptId: null, redeemedAt: null } },
    );
  }

  private async assign(filter: Record<string, unknown>, taker: Taker, sort?: Record<string, 1 | -1>): Promise<TakeResult> {
    try {
      const doc = await this.models.codes
        .findOneAndUpdate(
          filter,
          { $set: { state: 'redeemed', customerId: taker.customerId, attemptId: taker.attemptId, redeemedAt: taker.now, lockReleaseAt: null } },
          { returnDocument: 'after', ...(sort ? { sort } : {}) },
        )
        .lean<CodeDoc>();
      return doc ? { won: doc } : 'lost';
    } catch (err) {
      if (isDuplicateKeyError(err)) return 'mine';
      throw err;
    }
  }
}
