import { randomUUID } from 'node:crypto';
import type { AttemptKind, AttemptResult, Outcome } from '@dropgate/core';
import { isDuplicateKeyError } from './mongo-errors';
import { toAttemptResult, type AttemptDoc, type Models } from './models';
import { sleepWithJitter } from './sleep';

export interface AttemptStart {
  attemptId: string;
  kind: AttemptKind;
  campaignId: string;
  customerId: string;
}

/** This process now works on the attempt. `resumed`: an earlier delivery started it and may have written some steps. */
export interface AttemptLease {
  owner: string;
  resumed: boolean;
  /** The earlier delivery already counted its success in the campaign's redeemedCount. */
  counted: boolean;
}

export interface AttemptDraft {
  outcome: Outcome;
  code: string | null;
  tier: string | null;
  reward: string | null;
}

const POLL_MS = 15;

/**
 * The attempts collection: idempotency by attempt id without transactions. The first delivery inserts the
 * attempt with a lease; a concurrent duplicate waits until the outcome is recorded, and takes the lease over
 * (compare-and-set on an expired lease) only if the first delivery died. The outcome is written last, once.
 */
export class AttemptLog {
  constructor(
    private readonly models: Models,
    private readonly leaseMs: number,
  ) {}

  /** Either the recorded result (finished earlier) or a lease to work on the attempt. */
  async acquire(start: AttemptStart): Promise<{ result: AttemptResult } | AttemptLease> {
    const owner = randomUUID();
    const giveUpAt = Date.now() + 3 * this.leaseMs;
    let exists = false;
    while (Date.now() < giveUpAt) {
      if (!exists) {
        try {
          await this.insert(start, owner);
          return { owner, resumed: false, counted: false };
        } catch (err) {
          if (!isDuplicateKeyError(err)) throw err;
          exists = true;
        }
      }
      // Lease times use the wall clock, not the request's `now`: they measure whether a worker is still alive.
      const taken = await this.models.attempts
        .findOneAndUpdate(
          { _id: start.attemptId, outcome: null, leaseUntil: { $lte: new Date() } },
          { $set: { leaseOwner: owner, leaseUntil: new Date(Date.now() + this.leaseMs) } },
          { returnDocument: 'after' },
        )
        .lean<AttemptDoc>();
      if (taken) return { owner, resumed: true, counted: taken.counted === true };
      const current = await this.models.attempts.findById(start.attemptId).lean<AttemptDoc>();
      if (current?.outcome) return { result: toAttemptResult(current) };
      if (current) await sleepWithJitter(POLL_MS);
      else exists = false;
    }
    throw new Error(`attempt ${start.attemptId} stayed busy for ${3 * this.leaseMs} ms`);
  }

  private async insert(start: AttemptStart, owner: string): Promise<void> {
    await this.models.attempts.create({
          _id: start.attemptId,
          kind: start.kind,
          campaignId: start.campaignId,
          customerId: start.customerId,
          outcome: null,
          leaseOwner: owner,
          leaseUntil: new Date(Date.now() + this.leaseMs),
          counted: false,
    });
  }

  /** Records that this attempt's success is counted in the campaign (so a redelivery does not count it twice). */
  async markCounted(attemptId: string, owner: string): Promise<void> {
    await this.models.attempts.updateOne({ _id: attemptId, outcome: null, leaseOwner: owner }, { $set: { counted: true } });
  }

  /**
   * Writes the outcome, once, fenced by our lease: returns the recorded result, or null when another delivery
   * took the lease over meanwhile (the caller then goes round again and gets that delivery's result).
   */
  async finish(attemptId: string, owner: string, draft: AttemptDraft): Promise<AttemptResult | null> {
    const doc = await this.models.attempts
      .findOneAndUpdate(
        { _id: attemptId, outcome: null, leaseOwner: owner },
        { $set: { ...draft, finishedAt: new Date(), leaseOwner: null, leaseUntil: null } },
        { returnDocument: 'after' },
      )
      .lean<AttemptDoc>();
    if (doc) return toAttemptResult(doc);
    const current = await this.models.attempts.findById(attemptId).lean<AttemptDoc>();
    return current?.outcome ? toAttemptResult(current) : null;
  }

  /** After an infrastructure error: let a redelivery take the attempt over at once instead of waiting out the lease. */
  async abandon(attemptId: string, owner: string): Promise<void> {
    await this.models.attempts.updateOne({ _id: attemptId, outcome: null, leaseOwner: owner }, { $set: { leaseUntil: new Date(0) } });
  }

  async get(attemptId: string): Promise<AttemptResult | null> {
    const doc = await this.models.attempts.findById(attemptId).lean<AttemptDoc>();
    return doc?.outcome ? toAttemptResult(doc) : null;
  }

  async outcomeCounts(campaignId: string): Promise<Partial<Record<Outcome, number>>> {
    const rows = await this.models.attempts.aggregate<{ _id: Outcome; n: number }>([
      { $match: { campaignId, outcome: { $ne: null } } },
      { $group: { _id: '$outcome', n: { $sum: 1 } } },
    ]);
    const counts: Partial<Record<Outcome, number>> = {};
    for (const row of rows) counts[row._id] = row.n;
    return counts;
  }
}
