import { createHash, timingSafeEqual } from 'node:crypto';
import type { Principal } from './admin-service';

/** The admin scopes: `read` (campaigns, stats, jobs, audit), `write` (every change), `export` (code downloads). */
export const ADMIN_SCOPES = ['read', 'write', 'export'] as const;
export type AdminScope = (typeof ADMIN_SCOPES)[number];

/** One configured token: its name (who, in the audit trail), its scopes and the SHA-256 of the token itself. */
export interface AdminTokenEntry {
  name: string;
  scopes: readonly string[];
  sha256: Buffer;
}

export const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * Finds the token's entry. Every entry is compared, in constant time, whatever matched before: how long this
 * takes says nothing about which (if any) configured hash is close to what was sent.
 */
export function matchToken(entries: readonly AdminTokenEntry[], presented: string): Principal | null {
  const digest = sha256(presented);
  let found: AdminTokenEntry | null = null;
  for (const entry of entries) if (timingSafeEqual(digest, entry.sha256) && found === null) found = entry;
  return found ? { name: found.name, scopes: new Set(found.scopes) } : null;
}
