import { Schema, type Connection, type Model } from 'mongoose';
import type { Campaign, CampaignStatus, CodeSpec, StopReason } from '@dropgate/core';

export interface TierDoc {
  name: string;
  reward: string;
  perCustomerLimit?: number | null;
}

/**
 * One campaign; `_id` is the campaign id. `redeemedCount` is the target counter (conditional `$inc`).
 * Storage-only fields (never in the port type, and never read on the hot path — see CAMPAIGN_FIELDS):
 * - `rev`: bumped by every admin write (update, setStatus, stop at target): the compare-and-set version of `update`;
 * - `countedRecent` / `uncountedRecent`: the last COUNTED_WINDOW attempt ids whose success was counted / given
 *   back, written in the same single-document update as the `$inc`, so a count or uncount is idempotent by
 *   attempt id (see campaign-target.ts).
 */
export interface CampaignDoc {
  _id: string;
  name: string;
  status: CampaignStatus;
  startsAt: Date | null;
  endsAt: Date | null;
  tiers: TierDoc[];
  perCustomerLimit: number;
  target: number | null;
  codeSpec: CodeSpec;
  redeemRequiresPublication: boolean;
  redeemedCount: number;
  stopReason: StopReason | null;
  createdAt: Date;
  updatedAt: Date;
  rev?: number;
  countedRecent?: string[];
  uncountedRecent?: string[];
}

/** Projection for every read of a campaign: leaves out the (up to 2 x COUNTED_WINDOW ids) idempotency windows. */
export const CAMPAIGN_FIELDS = { countedRecent: 0, uncountedRecent: 0 } as const;

export function campaignModel(conn: Connection): Model<CampaignDoc> {
  const tier = new Schema<TierDoc>(
    { name: { type: String, required: true }, reward: { type: String, required: true }, perCustomerLimit: { type: Number } },
    { _id: false },
  );
  const schema = new Schema<CampaignDoc>(
    {
      _id: { type: String, required: true },
      name: { type: String, required: true },
      status: { type: String, required: true },
      startsAt: { type: Date, default: null },
      endsAt: { type: Date, default: null },
      tiers: { type: [tier], required: true },
      perCustomerLimit: { type: Number, required: true },
      target: { type: Number, default: null },
      codeSpec: {
        length: { type: Number, required: true },
        charset: { type: String, required: true },
        pattern: { type: String, default: null },
        // '' is a legal prefix/suffix: no `required` (mongoose treats '' as missing).
        prefix: { type: String, default: '' },
        suffix: { type: String, default: '' },
      },
      redeemRequiresPublication: { type: Boolean, default: false },
      redeemedCount: { type: Number, default: 0 },
      stopReason: { type: String, default: null },
      createdAt: { type: Date, required: true },
      updatedAt: { type: Date, required: true },
      rev: { type: Number },
      // No defaults: `$push` creates them; an insert must not carry empty arrays it does not need.
      countedRecent: { type: [String], default: undefined },
      uncountedRecent: { type: [String], default: undefined },
    },
    { collection: 'campaigns', versionKey: false, autoIndex: false, autoCreate: false },
  );
  return conn.model<CampaignDoc>('Campaign', schema);
}

/** Lean document → port type; rebuilt field by field so no `_id` or storage detail leaks. */
export function toCampaign(doc: CampaignDoc): Campaign {
  return {
    id: doc._id,
    name: doc.name,
    status: doc.status,
    startsAt: doc.startsAt ?? null,
    endsAt: doc.endsAt ?? null,
    tiers: doc.tiers.map((t) => ({
      name: t.name,
      reward: t.reward,
      ...(t.perCustomerLimit != null ? { perCustomerLimit: t.perCustomerLimit } : {}),
    })),
    perCustomerLimit: doc.perCustomerLimit,
    target: doc.target ?? null,
    codeSpec: {
      length: doc.codeSpec.length,
      charset: doc.codeSpec.charset,
      pattern: doc.codeSpec.pattern ?? null,
      prefix: doc.codeSpec.prefix ?? '',
      suffix: doc.codeSpec.suffix ?? '',
    },
    redeemRequiresPublication: doc.redeemRequiresPublication ?? false,
    redeemedCount: doc.redeemedCount ?? 0,
    stopReason: doc.stopReason ?? null,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}
