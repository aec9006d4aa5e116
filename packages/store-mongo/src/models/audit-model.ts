import { Schema, type Connection, type Model } from 'mongoose';

/** One admin action (redemption outcomes are read from `attempts`, never copied). `_id`: 'a:' + an ObjectId's hex (time-ordered). */
export interface AuditDoc {
  _id: string;
  at: Date;
  actor: string;
  action: string;
  campaignId: string | null;
  customerId: string | null;
  code: string | null;
  details: Record<string, unknown> | null;
}

export function auditModel(conn: Connection): Model<AuditDoc> {
  const schema = new Schema<AuditDoc>(
    {
      _id: { type: String, required: true },
      at: { type: Date, required: true },
      actor: { type: String, required: true },
      action: { type: String, required: true },
      campaignId: { type: String, default: null },
      customerId: { type: String, default: null },
      code: { type: String, default: null },
      details: { type: Schema.Types.Mixed, default: null },
    },
    { collection: 'audit_log', versionKey: false, autoIndex: false, autoCreate: false, minimize: false },
  );
  schema.index({ at: -1, _id: -1 }, { name: 'at' });
  schema.index({ campaignId: 1, at: -1, _id: -1 }, { name: 'campaign_at' });
  return conn.model<AuditDoc>('Audit', schema);
}
