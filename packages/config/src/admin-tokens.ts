import { z } from 'zod';

/** Admin scopes: `read` (campaigns, stats, jobs, audit), `write` (every change), `export` (code downloads). */
export const ADMIN_SCOPES = ['read', 'write', 'export'] as const;
export type AdminScope = (typeof ADMIN_SCOPES)[number];

/** One configured admin token: who it is (audit trail), what it may do, and the SHA-256 of the token (never the token). */
export interface AdminTokenConfig {
  name: string;
  scopes: AdminScope[];
  sha256: string;
}

const ENTRY = /^([A-Za-z0-9_.-]{1,64}):([a-z]+(?:\+[a-z]+)*):([0-9a-f]{64})$/;
const FORMAT = 'name:scope1+scope2:sha256hex,... (scopes: read, write, export; the SHA-256 of the token in lower-case hex; `npm run admin-token` makes one)';

/** What the admin answers while ADMIN_TOKENS is unset (every request, 503 `admin_not_configured`) and logs once. */
export const ADMIN_TOKENS_MISSING = `ADMIN_TOKENS is not set, so the admin accepts no token: set ADMIN_TOKENS=${FORMAT}, then restart the admin`;

/**
 * ADMIN_TOKENS=`name:scope1+scope2:sha256hex,...`: several named tokens with scopes, as hashes only. Messages name
 * the entry by position and never echo it (it holds a hash of a secret).
 */
export function adminTokensVar() {
  return z.string({ error: (issue) => (issue.input === undefined ? `is required: ${FORMAT}` : `must be ${FORMAT}`) }).transform((value, ctx): AdminTokenConfig[] => {
    const entries: AdminTokenConfig[] = [];
    const parts = value.split(',').map((p) => p.trim());
    for (const [i, part] of parts.entries()) {
      const m = ENTRY.exec(part);
      if (!m) {
        ctx.addIssue({ code: 'custom', message: `entry ${i + 1} must be ${FORMAT}` });
        return z.NEVER;
      }
      const scopes = m[2]!.split('+');
      const unknown = scopes.find((s) => !(ADMIN_SCOPES as readonly string[]).includes(s));
      if (unknown !== undefined) {
        ctx.addIssue({ code: 'custom', message: `entry ${i + 1} has an unknown scope "${unknown}" (scopes: ${ADMIN_SCOPES.join(', ')})` });
        return z.NEVER;
      }
      if (entries.some((e) => e.name === m[1])) {
        ctx.addIssue({ code: 'custom', message: `entry ${i + 1} repeats the name "${m[1]}"` });
        return z.NEVER;
      }
      if (entries.some((e) => e.sha256 === m[3])) {
        ctx.addIssue({ code: 'custom', message: `entry ${i + 1} repeats the hash of another entry (one token, one name)` });
        return z.NEVER;
      }
      entries.push({ name: m[1]!, scopes: [...new Set(scopes)] as AdminScope[], sha256: m[3]! });
    }
    return entries;
  });
}
