import { StoreError } from './store-error';

/**
 * The audit trail's keyset cursor, shared by the adapters: the last entry's time (as the adapter's exact text, e.g.
 * PostgreSQL's microseconds) and id, opaque to callers (base64url JSON).
 */
export interface AuditCursor {
  at: string;
  id: string;
}

export function encodeAuditCursor(cursor: AuditCursor): string {
  return Buffer.from(JSON.stringify([cursor.at, cursor.id])).toString('base64url');
}

export function decodeAuditCursor(text: string): AuditCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    typeof parsed[0] !== 'string' ||
    typeof parsed[1] !== 'string' ||
    !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$/.test(parsed[0]) ||
    !/^[ar]:[\x21-\x7e]{1,80}$/.test(parsed[1])
  ) {
    throw new StoreError('invalid_request', 'not an audit cursor of this store');
  }
  return { at: parsed[0], id: parsed[1] };
}
