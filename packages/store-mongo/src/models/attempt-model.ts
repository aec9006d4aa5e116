import { Schema, type Connection, type Model } from 'mongoose';
import type { AttemptKind, AttemptResult, Outcome } from '@dropgate/core';

/**
 * One redeem/claim attempt; `_id` is the attempt id. While `outcome` is null the attempt is in flight and
 * `leaseOwner`/`leaseUntil` say who works on it (the lease is renewed while a run is alive); `counted` records
 * that this attempt's increment of the campaign's redeemedCount is done (see redemption-service.ts for the write
 * order). `requestedAt` is the request's `now` of the first delivery: the recorded `finishedAt`, also when a
 * later delivery or the stale-attempt sweeper finishes the attempt. `recovered` marks an outcome written by
 * the recovery path (see stale-attempt.ts) rather than by a normal run.
 * Finishing clears `leaseUntil`, so only unfinished attempts carry a date there (the `unfinished` index).
 */
export interface AttemptDoc {
  _id: string;
  kind: AttemptKind;
  campaignId: string;
  customerId: string;
  outcome: Outcome | null;
  code: string | null;
  tier: string | null;
  reward: string | null;
  finishedAt: Date | null;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  counted: boolean;
  requestedAt?: Date | null;
  recovered?: 'finished' | 'undone' | null;
}

export function attemptModel(conn: Connection): Model<AttemptDoc> {
  const schema = new Schema<AttemptDoc>(
    {
      _id: { type: String, required: true },
      kind: { type: String },
      campaignId: { type: String },
      customerId: { type: String },
      outcome: { type: String, default: null },
      code: { type: String, default: null },
      tier: { type: String, default: null },
      reward: { type: String, default: null },
      finishedAt: { type: Date, default: null },
      leaseOwner: { type: String, default: null },
      leaseUntil: { type: Date, default: null },
      counted: { type: Boolean, default: false },
      requestedAt: { type: Date, default: null },
      recovered: { type: String, default: null },
    },
    { collection: 'attempts', versionKey: false, autoIndex: false, autoCreate: false },
  );
  schema.index({ campaignId: 1, outcome: 1 }, { name: 'campaign_outcome' });
  // Only attempts still in flight (or dead) have a date in leaseUntil: the sweeper's index stays tiny.
  schema.index({ leaseUntil: 1 }, { name: 'unfinished', partialFilterExpression: { leaseUntil: { $type: 'date' } } });
  return conn.model<AttemptDoc>('Attempt', schema);
}

/** Only call on a finished attempt (outcome and finishedAt set). */
export function toAttemptResult(doc: AttemptDoc): AttemptResult {
  return {
    attemptId: doc._id,
    kind: doc.kind,
    campaignId: doc.campaignId,
    customerId: doc.customerId,
    outcome: doc.outcome!,
    code: doc.code ?? null,
    tier: doc.tier ?? null,
    reward: doc.reward ?? null,
    finishedAt: doc.finishedAt!,
    rolledBackAt: null,
  };
}
