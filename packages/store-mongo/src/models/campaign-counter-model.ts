import { Schema, type Connection, type Model } from 'mongoose';

/** Shards of a campaign's success count (see success-counter.ts); `_id` = `${campaignId}|${shard}`. */
export interface CampaignCounterDoc {
  _id: string;
  campaignId: string;
  /** Successes counted on this shard; may go below 0 (rollbacks): the sum is what counts. */
  n: number;
  /** Closed while the campaign has a target: its successes then count on the campaign document. */
  open: boolean;
}

export const COUNTER_SHARDS = 64;
export const counterId = (campaignId: string, shard: number): string => `${campaignId}|${shard}`;

export function campaignCounterModel(conn: Connection): Model<CampaignCounterDoc> {
  const schema = new Schema<CampaignCounterDoc>(
    {
      _id: { type: String, required: true },
      campaignId: { type: String, required: true },
      n: { type: Number, required: true },
      open: { type: Boolean, required: true },
    },
    { collection: 'campaign_counters', versionKey: false, autoIndex: false, autoCreate: false },
  );
  schema.index({ campaignId: 1 }, { name: 'campaign' });
  return conn.model<CampaignCounterDoc>('CampaignCounter', schema);
}
