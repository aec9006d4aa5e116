import { Schema, type Connection, type Model } from 'mongoose';

/**
 * Per-customer quota of one scope: `_id` = `${campaignId}|${scope}|${customerId}`, `holders` = the attempt ids
 * holding a unit (at most the scope's limit, <= 1000, so the document stays small).
 */
export interface QuotaDoc {
  _id: string;
  holders: string[];
}

export const quotaKey = (campaignId: string, scope: string, customerId: string): string => `${campaignId}|${scope}|${customerId}`;

export function quotaModel(conn: Connection): Model<QuotaDoc> {
  const schema = new Schema<QuotaDoc>(
    {
      _id: { type: String, required: true },
      // No default: an upsert must not add `$setOnInsert: { holders: [] }` next to our `$push`.
      holders: { type: [String], default: undefined },
    },
    { collection: 'customer_quotas', versionKey: false, autoIndex: false, autoCreate: false },
  );
  return conn.model<QuotaDoc>('CustomerQuota', schema);
}
