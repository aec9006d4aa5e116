import { Schema, type Connection, type Model } from 'mongoose';

/** A named lease (`_id` = name) held by `owner` until `until`; used to run one publication per tier at a time. */
export interface MutexDoc {
  _id: string;
  owner: string;
  until: Date;
}

export function mutexModel(conn: Connection): Model<MutexDoc> {
  const schema = new Schema<MutexDoc>(
    {
      _id: { type: String, required: true },
      owner: { type: String, required: true },
      until: { type: Date, required: true },
    },
    { collection: 'mutexes', versionKey: false, autoIndex: false, autoCreate: false },
  );
  return conn.model<MutexDoc>('Mutex', schema);
}
