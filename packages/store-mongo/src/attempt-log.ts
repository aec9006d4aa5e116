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
  /** The request's `now`: recorded as `requestedAt` by the first delivery, and later as `finishedAt`. */
  now: Date;
}

/** This process now works on the attempt. `resumed`: an earlier delivery started it and may have written some steps. */
export interface AttemptLease {
  owner: string;
  resumed: boolean;
  /** The earlier delivery already counted its success in the campaign's redeemedCount. */
  counted: boolean;
  /** The `now` of the first delivery (null on attempts written before it was stored). */
  requestedAt: Date | null;
  /** For a takeover: when the previous holder's lease ran out (it stopped renewing then). Null for a fresh attempt. */
  previousLeaseUntil: Date | null;
}

/** What a takeover by the sweeper learns about the attempt it now holds. */
export interface StaleLease extends AttemptLease {
  attemptId: string;
  kind: AttemptKind;
  campaignId: string;
  customerId: string;
}

export interface AttemptDraft {
  outcome: Outcome;
  code: string | null;
  tier: string | null;
  reward: string | null;
}

/** The recorded result after `finish`, and whether it is this run's own (false: another run recorded first). */
export interface Recorded {
  result: AttemptResult;
  mine: boolean;
}

const POLL_MS = 15;

/**
 * The attempts collection: idempotency by attempt id without transactions. The first delivery inserts the
 * attempt with a lease; a concurrent duplicate waits until the outcome is recorded, and takes the lease over
 * (compare-and-set on an expired lease) only if the first delivery died. A live run renews its lease
 * (LeaseKeeper), so "lease expired" means "nobody has worked on it since". The outcome is written last, once.
 */
export class AttemptLog {
  constructor(
    private readonly models: Models,
    readonly leaseMs: number,
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
          return { owner, resumed: false, counted: false, requestedAt: start.now, previousLeaseUntil: null };
        } catch (err) {
          if (!isDuplicateKeyError(err)) throw err;
          exists = true;
        }
      }
      // Lease times use the wall clock, not the request's `now`: they measure whether a worker is still alive.
      const before = await this.models.attempts
        .findOneAndUpdate(
          { _id: start.attemptId, outcome: null, leaseUntil: { $lte: new Date() } },
          { $set: { leaseOwner: owner, leaseUntil: new Date(Date.now() + this.leaseMs) } },
          { returnDocument: 'before' },
        )
        .lean<AttemptDoc>();
      if (before) return leaseOf(before, owner);
      const current = await this.models.attempts.findById(start.attemptId).lean<AttemptDoc>();
      if (current?.outcome) return { result: toAttemptResult(current) };
      if (current) await sleepWithJitter(POLL_MS);
      else exists = false;
    }
    throw new Error(`attempt ${start.attemptId} stayed busy for ${3 * this.leaseMs} ms`);
  }

  /** The sweeper's takeover: only an unfinished attempt whose lease ran out at or before `olderThan`. */
  async takeOverStale(attemptId: string, olderThan: Date): Promise<StaleLease | null> {
    const owner = randomUUID();
    const before = await this.models.attempts
      .findOneAndUpdate(
        { _id: attemptId, outcome: null, leaseUntil: { $type: 'date', $lte: olderThan } },
        { $set: { leaseOwner: owner, leaseUntil: new Date(Date.now() + this.leaseMs) } },
        { returnDocument: 'before' },
      )
      .lean<AttemptDoc>();
    if (!before) return null;
    return { ...leaseOf(before, owner), attemptId: before._id, kind: before.kind, campaignId: before.campaignId, customerId: before.customerId };
  }

  /** Ids of unfinished attempts whose lease ran out at or before `olderThan`, oldest first (partial index `unfinished`). */
  async findStale(olderThan: Date, limit: number): Promise<string[]> {
    const docs = await this.models.attempts
      .find({ leaseUntil: { $type: 'date', $lte: olderThan }, outcome: null }, { _id: 1 })
      .sort({ leaseUntil: 1 })
      .limit(limit)
      .lean<Pick<AttemptDoc, '_id'>[]>();
    return docs.map((d) => d._id);
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
      requestedAt: start.now,
    });
  }

  /** Extends our lease; false when it is no longer ours (taken over, or the attempt is finished). */
  async renew(attemptId: string, owner: string): Promise<boolean> {
    const res = await this.models.attempts.updateOne(
      { _id: attemptId, outcome: null, leaseOwner: owner },
      { $set: { leaseUntil: new Date(Date.now() + this.leaseMs) } },
    );
    return res.matchedCount === 1;
  }

  /** Renews the lease every third of its length until stopped; `lost` turns true once a renewal finds it gone. */
  keep(attemptId: string, owner: string): LeaseKeeper {
    return new LeaseKeeper(() => this.renew(attemptId, owner), Math.max(10, Math.floor(this.leaseMs / 3)));
  }

  /** Records that this attempt's success is counted in the campaign (so a redelivery does not count it twice). */
  async markCounted(attemptId: string, owner: string): Promise<void> {
    await this.models.attempts.updateOne({ _id: attemptId, outcome: null, leaseOwner: owner }, { $set: { counted: true } });
  }

  /**
   * Writes the outcome, once, fenced by our lease. Returns the recorded result — ours (`mine`), or another
   * run's that recorded first (the caller must then undo what its own run wrote) — or null when another run
   * holds the lease and has recorded nothing yet.
   */
  async finish(
    attemptId: string,
    owner: string,
    draft: AttemptDraft,
    finishedAt: Date,
    recovered: AttemptDoc['recovered'] = null,
  ): Promise<Recorded | null> {
    const doc = await this.models.attempts
      .findOneAndUpdate(
        { _id: attemptId, outcome: null, leaseOwner: owner },
        { $set: { ...draft, finishedAt, recovered, leaseOwner: null, leaseUntil: null } },
        { returnDocument: 'after' },
      )
      .lean<AttemptDoc>();
    if (doc) return { result: toAttemptResult(doc), mine: true };
    const current = await this.models.attempts.findById(attemptId).lean<AttemptDoc>();
    return current?.outcome ? { result: toAttemptResult(current), mine: false } : null;
  }

  /**
   * After an infrastructure error: let a redelivery take the attempt over at once instead of waiting out the
   * lease. The lease ends NOW (not at the epoch), so staleness is still measured from when the last run stopped.
   */
  async abandon(attemptId: string, owner: string): Promise<void> {
    await this.models.attempts.updateOne({ _id: attemptId, outcome: null, leaseOwner: owner }, { $set: { leaseUntil: new Date() } });
  }

  async get(attemptId: string): Promise<AttemptResult | null> {
    const doc = await this.models.attempts.findById(attemptId).lean<AttemptDoc>();
    return doc?.outcome ? toAttemptResult(doc) : null;
  }

  /** The stored attempt as is (finished or not). */
  async raw(attemptId: string): Promise<AttemptDoc | null> {
    return this.models.attempts.findById(attemptId).lean<AttemptDoc>();
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

function leaseOf(before: AttemptDoc, owner: string): AttemptLease {
  return { owner, resumed: true, counted: before.counted === true, requestedAt: before.requestedAt ?? null, previousLeaseUntil: before.leaseUntil ?? null };
}

/**
 * Keeps an attempt's lease alive while a run works on it (a timer, unref'd so it never holds the process open).
 * A renewal that finds the lease gone sets `lost` and stops: the run then stops writing at its next step and
 * settles against whatever result the run that took over records. A renewal that fails on the network is
 * simply tried again at the next tick.
 */
export class LeaseKeeper {
  lost = false;
  private readonly timer: NodeJS.Timeout;
  private inFlight = false;

  constructor(renew: () => Promise<boolean>, everyMs: number) {
    this.timer = setInterval(() => {
      if (this.inFlight || this.lost) return;
      this.inFlight = true;
      renew()
        .then((held) => {
          if (!held) {
            this.lost = true;
            this.stop();
          }
        })
        .catch(() => undefined)
        .finally(() => {
          this.inFlight = false;
        });
    }, everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
