import { Types, type QueryFilter } from 'mongoose';
import { decodeAuditCursor, encodeAuditCursor, type AuditCursor, type AuditEntry, type AuditLog, type AuditPage, type AuditQuery, type NewAuditEntry } from '@dropgate/store';
import type { AttemptDoc, AuditDoc, Models } from './models';

function fromAudit(doc: AuditDoc): AuditEntry {
  return {
    id: doc._id,
    at: doc.at,
    kind: 'admin',
    actor: doc.actor,
    action: doc.action,
    campaignId: doc.campaignId ?? null,
    customerId: doc.customerId ?? null,
    code: doc.code ?? null,
    details: doc.details ?? null,
  };
}

/** `details.rolledBackAt` is an ISO 8601 string, as on PostgreSQL (a Date would only become one in JSON). */
function fromAttempt(doc: AttemptDoc): AuditEntry {
  return {
    id: `r:${doc._id}`,
    at: doc.finishedAt,
    kind: 'redemption',
    actor: null,
    action: doc.outcome,
    campaignId: doc.campaignId,
    customerId: doc.customerId,
    code: doc.code ?? null,
    details: { attemptId: doc._id, kind: doc.kind, tier: doc.tier ?? null, reward: doc.reward ?? null, rolledBackAt: doc.rolledBackAt?.toISOString() ?? null },
  };
}

/** Newest first: by time, then by id (as text). */
const newestFirst = (a: AuditEntry, b: AuditEntry): number => b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/**
 * Admin actions in `audit_log`; redemption outcomes read from `attempts`. A page takes the newest `limit` + 1 of each
 * before the cursor and merges them (simplest obviously-right keyset over two collections).
 */
export class MongoAuditLog implements AuditLog {
  constructor(private readonly models: Models) {}

  async record(entry: NewAuditEntry): Promise<AuditEntry> {
    const doc: AuditDoc = {
      _id: `a:${new Types.ObjectId().toHexString()}`,
      at: new Date(),
      actor: entry.actor,
      action: entry.action,
      campaignId: entry.campaignId ?? null,
      customerId: entry.customerId ?? null,
      code: entry.code ?? null,
      details: entry.details ?? null,
    };
    await this.models.audit.create([doc]);
    return fromAudit(doc);
  }

  async query(query: AuditQuery): Promise<AuditPage> {
    const cursor = query.after !== undefined ? decodeAuditCursor(query.after) : null;
    const take = query.limit + 1;
    const adminFilter: QueryFilter<AuditDoc> = {};
    const attemptFilter: QueryFilter<AttemptDoc> = {};
    if (query.campaignId !== undefined) adminFilter.campaignId = attemptFilter.campaignId = query.campaignId;
    if (query.customerId !== undefined) adminFilter.customerId = attemptFilter.customerId = query.customerId;
    if (query.code !== undefined) adminFilter.code = attemptFilter.code = query.code;
    if (cursor) {
      const at = new Date(cursor.at);
      adminFilter.$or = [{ at: { $lt: at } }, { at, _id: { $lt: cursor.id } }];
      attemptFilter.$or = [{ finishedAt: { $lt: at } }, ...attemptTie(cursor, at)];
    }
    const [admin, attempts] = await Promise.all([
      this.models.audit.find(adminFilter).sort({ at: -1, _id: -1 }).limit(take).lean<AuditDoc[]>(),
      this.models.attempts.find(attemptFilter).sort({ finishedAt: -1, _id: -1 }).limit(take).lean<AttemptDoc[]>(),
    ]);
    const merged = [...admin.map(fromAudit), ...attempts.map(fromAttempt)].sort(newestFirst);
    const page = merged.slice(0, query.limit);
    const last = page[page.length - 1];
    return { entries: page, next: merged.length > query.limit && last ? encodeAuditCursor({ at: last.at.toISOString(), id: last.id }) : null };
  }
}

/** Attempts at the cursor's very time that sort before it: ids are 'r:' + attempt id, and every 'r:' id sorts after an 'a:' one. */
function attemptTie(cursor: AuditCursor, at: Date): Array<QueryFilter<AttemptDoc>> {
  return cursor.id.startsWith('r:') ? [{ finishedAt: at, _id: { $lt: cursor.id.slice(2) } }] : [];
}
