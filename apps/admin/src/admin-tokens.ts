import { createHash, timingSafeEqual } from 'node:crypto';
import { ADMIN_SCOPES, type AdminTokenConfig } from '@dropgate/config';
import type { Principal } from './admin-service';

export { ADMIN_SCOPES };

/** One configured token: its name (who, in the audit trail), its scopes and the SHA-256 of the token itself. */
export interface AdminTokenEntry {
  name: string;
  scopes: readonly string[];
  sha256: Buffer;
}

export const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

/** ADMIN_TOKENS as parsed by the config → what the auth compares against. */
export function tokenEntries(config: readonly AdminTokenConfig[]): AdminTokenEntry[] {
  return config.map((t) => ({ name: t.name, scopes: t.scopes, sha256: Buffer.from(t.sha256, 'hex') }));
}

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
