/**
 * One line of the audit trail: an admin action, or the recorded outcome of a redemption attempt. Declared here, at
 * the centre, because two sides speak of it: the store keeps and reads it, and the admin API's clients receive it
 * as JSON (`Jsonified<AuditEntry>` in @dropgate/admin-client), neither pointing at the other.
 */
export interface AuditEntry {
  /** Opaque, unique; with `at` it orders the trail (newest first). */
  id: string;
  at: Date;
  /** 'admin': an admin action (actor = token name, or "scheduler" for what runs by itself); 'redemption': an attempt's outcome (actor null). */
  kind: 'admin' | 'redemption';
  actor: string | null;
  /** Admin: the operation (e.g. "createCampaign"); redemption: the outcome (e.g. "redeemed", "sold_out"). */
  action: string;
  campaignId: string | null;
  customerId: string | null;
  code: string | null;
  details: Record<string, unknown> | null;
}
