import { Schema, type Connection, type Model, type Types } from 'mongoose';
import type { CodeState } from '@dropgate/core';
import type { CodeRecord } from '@dropgate/store';

/**
 * One code. Besides the port fields it keeps:
 * - `rnd`: a random number in [0,1) fixed at insert; claims start at a random point of the
 *   (campaignId, tier, state, rnd) index so concurrent workers spread over different documents;
 * - `channel` / `publishedTo`: where a publication sent the code (`publishedTo` alone may redeem it);
 * - `pubPending`: marked by a publication that is not complete yet: invisible to redeem, so a
 *   publication that has to be undone never gave a code away;
 * - `rollbackOf`: left by `codes.rollback` on the code it moved, until the quota and the counter of that
 *   redemption are given back too (see MongoCodeRepository.rollback); whoever finds it finishes the job.
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
  publicationId: string | null;
  channel: string | null;
  publishedTo: string | null;
  pubPending?: boolean;
  rnd: number;
  rollbackOf?: PendingRollback | null;
}

/** A rollback whose code write is done but whose quota release / uncount may not be. */
export interface PendingRollback {
  attemptId: string;
  customerId: string;
  tier: string;
  at: Date;
}

/** Filter fragment that both selects by attempt id and names the partial index's own expression, so the planner can use it. */
export const byAttemptId = (attemptId: string) => ({ attemptId: { $eq: attemptId, $type: 'string' as const } });
export const byPublicationId = (publicationId: string) => ({ publicationId: { $eq: publicationId, $type: 'string' as const } });

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
      publicationId: { type: String, default: null },
      channel: { type: String, default: null },
      publishedTo: { type: String, default: null },
      pubPending: { type: Boolean },
      rnd: { type: Number, required: true },
      rollbackOf: {
        type: new Schema<PendingRollback>(
          { attemptId: { type: String, required: true }, customerId: { type: String, required: true }, tier: { type: String, required: true }, at: { type: Date, required: true } },
          { _id: false },
        ),
        default: undefined,
      },
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
  schema.index({ campaignId: 1, tier: 1, state: 1, rnd: 1 }, { name: 'claim_pick' });
  schema.index({ state: 1, lockReleaseAt: 1 }, { name: 'due_locks', partialFilterExpression: { state: 'locked' } });
  schema.index(
    { publicationId: 1 },
    { name: 'publication', partialFilterExpression: { publicationId: { $type: 'string' } } },
  );
  schema.index(
    { campaignId: 1, tier: 1, pubPending: 1 },
    { name: 'publication_pending', partialFilterExpression: { pubPending: true } },
  );
  schema.index({ 'rollbackOf.at': 1 }, { name: 'pending_rollback', partialFilterExpression: { 'rollbackOf.at': { $type: 'date' } } });
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
    publicationId: doc.publicationId ?? null,
  };
}
