import { Schema, type Connection, type Model } from 'mongoose';
import type { AttemptKind, AttemptResult, Outcome } from '@dropgate/core';

/**
 * One finished attempt; `_id` is the attempt id. Written once, inside the transaction that decided it, so a
 * document exists only with its final outcome. `rolledBackAt` is set by a rollback of the code it got.
 */
export interface AttemptDoc {
  _id: string;
  kind: AttemptKind;
  campaignId: string;
  customerId: string;
  outcome: Outcome;
  code: string | null;
  tier: string | null;
  reward: string | null;
  finishedAt: Date;
  rolledBackAt: Date | null;
}

export function attemptModel(conn: Connection): Model<AttemptDoc> {
  const schema = new Schema<AttemptDoc>(
    {
      _id: { type: String, required: true },
      kind: { type: String, required: true },
      campaignId: { type: String, required: true },
      customerId: { type: String, required: true },
      outcome: { type: String, required: true },
      code: { type: String, default: null },
      tier: { type: String, default: null },
      reward: { type: String, default: null },
      finishedAt: { type: Date, required: true },
      rolledBackAt: { type: Date, default: null },
    },
    { collection: 'attempts', versionKey: false, autoIndex: false, autoCreate: false },
  );
  schema.index({ campaignId: 1, outcome: 1 }, { name: 'campaign_outcome' });
  // The audit trail reads a campaign's outcomes newest first (keyset on finishedAt, _id).
  schema.index({ campaignId: 1, finishedAt: -1, _id: -1 }, { name: 'campaign_finished' });
  return conn.model<AttemptDoc>('Attempt', schema);
}

export function toAttemptResult(doc: AttemptDoc): AttemptResult {
  return {
    attemptId: doc._id,
    kind: doc.kind,
    campaignId: doc.campaignId,
    customerId: doc.customerId,
    outcome: doc.outcome,
    code: doc.code ?? null,
    tier: doc.tier ?? null,
    reward: doc.reward ?? null,
    finishedAt: doc.finishedAt,
    rolledBackAt: doc.rolledBackAt ?? null,
  };
}
