import { Schema, type Connection, type Model } from 'mongoose';
import type { AttemptKind, AttemptResult, Outcome } from '@dropgate/core';

/**
 * One redeem/claim attempt; `_id` is the attempt id. While `outcome` is null the attempt is in flight and
 * `leaseOwner`/`leaseUntil` say who works on it; `counted` records that this attempt's increment of the
 * campaign's redeemedCount is done (see redemption-service.ts for the write order).
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
    },
    { collection: 'attempts', versionKey: false, autoIndex: false, autoCreate: false },
  );
  schema.index({ campaignId: 1, outcome: 1 }, { name: 'campaign_outcome' });
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
  };
}
