import { randomBytes } from 'node:crypto';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * `cmp_` + 16 random base32 characters (80 bits): unguessable, URL- and log-friendly, and the same shape whichever
 * store made it.
 */
export function newCampaignId(): string {
  const bytes = randomBytes(16);
  let id = 'cmp_';
  for (let i = 0; i < 16; i++) id += BASE32[bytes[i]! & 31];
  return id;
}
