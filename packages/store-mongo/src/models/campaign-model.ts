import { Schema, type Connection, type Model } from 'mongoose';
import { storedCampaignSettings, type Campaign, type CampaignSettings, type CampaignStatus, type CodeSpec, type StopReason } from '@dropgate/core';

export interface TierDoc {
  name: string;
  reward: string;
  perCustomerLimit?: number | null;
}

/**
 * One campaign; `_id` is the campaign id. `redeemedCount` holds the successes counted on the document itself: all
 * of them while the campaign has a target (the exact, conditional count), the rest lives in its counter shards
 * (campaign-counter-model.ts). Its redeemedCount as the port shows it is the sum of both.
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
  /** The whole settings object as one subdocument (shape defined in @dropgate/core; absent fields read as defaults). */
  settings?: CampaignSettings | Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

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
      // Mixed: validated by @dropgate/core before every write, and kept whole (fields added later need no schema change).
      settings: { type: Schema.Types.Mixed, default: () => ({}) },
      createdAt: { type: Date, required: true },
      updatedAt: { type: Date, required: true },
    },
    { collection: 'campaigns', versionKey: false, autoIndex: false, autoCreate: false },
  );
  return conn.model<CampaignDoc>('Campaign', schema);
}

/** Lean document → port type; rebuilt field by field so no `_id` or storage detail leaks. `sharded`: the sum of its counter shards. */
export function toCampaign(doc: CampaignDoc, sharded: number): Campaign {
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
    redeemedCount: (doc.redeemedCount ?? 0) + sharded,
    stopReason: doc.stopReason ?? null,
    settings: storedCampaignSettings(doc.settings),
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}
