import { Schema, type Connection, type Model, type Types } from 'mongoose';
import type { CodeState } from '@dropgate/core';
import type { CodeRecord } from '@dropgate/store';

/**
 * One code. Besides the port fields it keeps `rnd`, a random number in [0,1) fixed at insert (claims start at a
 * random point of the claim index so concurrent claims spread over different documents), and `channel` /
 * `publishedTo`: where a publication sent it (`publishedTo` alone may redeem it).
 */
export interface CodeDoc {
  _id: Types.ObjectId;
  campaignId: string;
  code: string;
  tier: string;
  state: CodeState;
  customerId: string | null;
  attemptId: string | null;
  redeemedAt: Date | null;
  lockReleaseAt: Date | null;
  /** Why it is locked; left behind when a lock ends (only a locked code's reason is read). */
  lockReason?: string | null;
  publicationId: string | null;
  channel: string | null;
  publishedTo: string | null;
  rnd: number;
}

/** The fields of a code nobody holds: a fresh code, and a rolled-back one. */
export const UNOWNED = {
  customerId: null,
  attemptId: null,
  redeemedAt: null,
  lockReleaseAt: null,
  publicationId: null,
  channel: null,
  publishedTo: null,
} as const;

export function codeModel(conn: Connection): Model<CodeDoc> {
  const schema = new Schema<CodeDoc>(
    {
      campaignId: { type: String, required: true },
      code: { type: String, required: true },
      tier: { type: String, required: true },
      state: { type: String, required: true },
      customerId: { type: String, default: null },
      attemptId: { type: String, default: null },
      redeemedAt: { type: Date, default: null },
      lockReleaseAt: { type: Date, default: null },
      lockReason: { type: String, default: null },
      publicationId: { type: String, default: null },
      channel: { type: String, default: null },
      publishedTo: { type: String, default: null },
      rnd: { type: Number, required: true },
    },
    { collection: 'codes', versionKey: false, autoIndex: false, autoCreate: false },
  );
  schema.index({ campaignId: 1, code: 1 }, { unique: true, name: 'campaign_code_unique' });
  // The hard guarantee behind idempotency: one attempt can never hold two codes, even if two deliveries race.
  // Partial, because every unassigned code has attemptId null.
  schema.index(
    { attemptId: 1 },
    { unique: true, name: 'attempt_unique', partialFilterExpression: { attemptId: { $type: 'string' } } },
  );
  // Claims: any available code of a tier from a random rnd on; also due locks of a tier (state 'locked').
  schema.index({ campaignId: 1, tier: 1, state: 1, rnd: 1 }, { name: 'claim_pick' });
  schema.index({ state: 1, lockReleaseAt: 1 }, { name: 'due_locks', partialFilterExpression: { state: 'locked' } });
  return conn.model<CodeDoc>('Code', schema);
}

export function toCodeRecord(doc: CodeDoc): CodeRecord {
  return {
    campaignId: doc.campaignId,
    code: doc.code,
    tier: doc.tier,
    state: doc.state,
    customerId: doc.customerId ?? null,
    attemptId: doc.attemptId ?? null,
    redeemedAt: doc.redeemedAt ?? null,
    lockReleaseAt: doc.lockReleaseAt ?? null,
    lockReason: doc.state === 'locked' ? (doc.lockReason ?? null) : null,
    publicationId: doc.publicationId ?? null,
  };
}
