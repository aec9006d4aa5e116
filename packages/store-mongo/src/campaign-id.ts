import { randomBytes } from 'node:crypto';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * `cmp_` + 16 random base32 characters (80 bits): the same shape as the PostgreSQL adapter's ids, so ids look
 * alike whichever store made them (unguessable, URL- and log-friendly).
 */
export function newCampaignId(): string {
  const bytes = randomBytes(16);
  let id = 'cmp_';
  for (let i = 0; i < 16; i++) id += BASE32[bytes[i]! & 31];
  return id;
}
