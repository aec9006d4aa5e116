import { decodeAuditCursor, encodeAuditCursor, type AuditEntry, type AuditLog, type AuditPage, type AuditQuery, type NewAuditEntry } from '@dropgate/store';
import type { Pool } from 'pg';

interface AuditRow {
  id: string;
  at: Date;
  at_text: string;
  kind: 'admin' | 'redemption';
  actor: string | null;
  action: string;
  campaign_id: string | null;
  customer_id: string | null;
  code: string | null;
  details: Record<string, unknown> | null;
}

// Exact time text (microseconds, UTC) for the cursor: a JS Date would drop the microseconds and skip or repeat rows.
const AT_TEXT = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
// A time in `details` as JSON clients see a JS Date (`toISOString`: milliseconds, Z), not PostgreSQL's own JSON text
// ("+00:00", microseconds): both adapters answer the same string. The times stored come from JS Dates (whole ms).
const ISO_TEXT = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
// Admin ids padded so text order is numeric order (ids are compared as text next to attempt ids).
const ADMIN_ID = `('a:' || lpad(id::text, 19, '0')) COLLATE "C"`;

function toEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    at: row.at,
    kind: row.kind,
    actor: row.actor,
    action: row.action,
    campaignId: row.campaign_id,
    customerId: row.customer_id,
    code: row.code,
    details: row.details,
  };
}

/**
 * Admin actions in `audit_log`; redemption outcomes read from `attempts` (index attempts_campaign_finished_idx),
 * never copied. A page takes the newest `limit` of each source before the cursor and merges them.
 */
export function createAuditLog(pool: Pool): AuditLog {
  return {
    async record(entry: NewAuditEntry): Promise<AuditEntry> {
      const { rows } = await pool.query<AuditRow>(
        `INSERT INTO audit_log (actor, action, campaign_id, customer_id, code, details) VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING ${ADMIN_ID} AS id, at, ${AT_TEXT('at')} AS at_text, 'admin' AS kind, actor, action, campaign_id, customer_id, code, details`,
        [entry.actor, entry.action, entry.campaignId ?? null, entry.customerId ?? null, entry.code ?? null, entry.details ?? null],
      );
      return toEntry(rows[0]!);
    },

    async query(query: AuditQuery): Promise<AuditPage> {
      const cursor = query.after !== undefined ? decodeAuditCursor(query.after) : null;
      const values: unknown[] = [];
      const param = (v: unknown) => `$${values.push(v)}`;
      const filters = (columns: { campaign: string; customer: string; code: string; at: string; id: string }): string => {
        const where: string[] = [];
        if (query.campaignId !== undefined) where.push(`${columns.campaign} = ${param(query.campaignId)}`);
        if (query.customerId !== undefined) where.push(`${columns.customer} = ${param(query.customerId)}`);
        if (query.code !== undefined) where.push(`${columns.code} = ${param(query.code)}`);
        if (cursor) where.push(`(${columns.at}, ${columns.id}) < (${param(cursor.at)}::timestamptz, ${param(cursor.id)})`);
        return where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
      };
      const adminWhere = filters({ campaign: 'campaign_id', customer: 'customer_id', code: 'code', at: 'at', id: ADMIN_ID });
      const attemptWhere = filters({ campaign: 'campaign_id', customer: 'customer_id', code: 'code', at: 'finished_at', id: `'r:' || attempt_id` });
      const limit = param(query.limit + 1);
      const { rows } = await pool.query<AuditRow>(
        `SELECT * FROM (
           (SELECT ${ADMIN_ID} AS id, at, ${AT_TEXT('at')} AS at_text, 'admin' AS kind, actor, action, campaign_id, customer_id, code, details
              FROM audit_log ${adminWhere} ORDER BY at DESC, id DESC LIMIT ${limit})
           UNION ALL
           (SELECT 'r:' || attempt_id AS id, finished_at AS at, ${AT_TEXT('finished_at')} AS at_text, 'redemption' AS kind, NULL AS actor,
                   outcome AS action, campaign_id, customer_id, code,
                   jsonb_build_object('attemptId', attempt_id, 'kind', kind, 'tier', tier, 'reward', reward, 'rolledBackAt', ${ISO_TEXT('rolled_back_at')}) AS details
              FROM attempts ${attemptWhere} ${attemptWhere ? 'AND' : 'WHERE'} outcome IS NOT NULL
              ORDER BY finished_at DESC, attempt_id DESC LIMIT ${limit})
         ) AS trail ORDER BY at DESC, id DESC LIMIT ${limit}`,
        values,
      );
      const page = rows.slice(0, query.limit);
      const last = page[page.length - 1];
      return { entries: page.map(toEntry), next: rows.length > query.limit && last ? encodeAuditCursor({ at: last.at_text, id: last.id }) : null };
    },
  };
}
