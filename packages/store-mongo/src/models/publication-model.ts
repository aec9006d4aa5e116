import { Schema, type Connection, type Model } from 'mongoose';
import type { Publication } from '@dropgate/store';

/** One publication, written in the transaction that publishes its codes; `_id` is the caller's publicationId. */
export interface PublicationDoc {
  _id: string;
  campaignId: string;
  tier: string;
  channel: string | null;
  customerId: string | null;
  count: number;
  codes: string[];
  createdAt: Date;
}

export function publicationModel(conn: Connection): Model<PublicationDoc> {
  const schema = new Schema<PublicationDoc>(
    {
      _id: { type: String, required: true },
      campaignId: { type: String, required: true },
      tier: { type: String, required: true },
      channel: { type: String, default: null },
      customerId: { type: String, default: null },
      count: { type: Number, required: true },
      codes: { type: [String], required: true },
      createdAt: { type: Date, required: true },
    },
    { collection: 'publications', versionKey: false, autoIndex: false, autoCreate: false },
  );
  schema.index({ campaignId: 1, createdAt: -1, _id: -1 }, { name: 'campaign_newest' });
  return conn.model<PublicationDoc>('Publication', schema);
}

export function toPublication(doc: PublicationDoc): Publication {
  return {
    publicationId: doc._id,
    campaignId: doc.campaignId,
    tier: doc.tier,
    channel: doc.channel ?? null,
    customerId: doc.customerId ?? null,
    codes: [...doc.codes],
    createdAt: doc.createdAt,
  };
}
