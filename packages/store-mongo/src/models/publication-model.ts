import { Schema, type Connection, type Model } from 'mongoose';
import type { Publication } from '@dropgate/store';

/** One publication; `_id` is the caller's publicationId. `pending` until its codes are all marked, then `complete`. */
export interface PublicationDoc {
  _id: string;
  campaignId: string;
  tier: string;
  channel: string | null;
  customerId: string | null;
  count: number;
  status: 'pending' | 'complete';
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
      status: { type: String, required: true },
      codes: { type: [String], default: undefined },
      createdAt: { type: Date, required: true },
    },
    { collection: 'publications', versionKey: false, autoIndex: false, autoCreate: false },
  );
  return conn.model<PublicationDoc>('Publication', schema);
}

export function toPublication(doc: PublicationDoc): Publication {
  return {
    publicationId: doc._id,
    campaignId: doc.campaignId,
    tier: doc.tier,
    channel: doc.channel ?? null,
    customerId: doc.customerId ?? null,
    codes: [...(doc.codes ?? [])],
    createdAt: doc.createdAt,
  };
}
