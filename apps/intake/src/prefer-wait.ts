/**
 * `Prefer: wait=<seconds>` (RFC 7240 §4.3): how long the client is willing to wait for a final answer.
 * Returns the capped number of seconds, or 0 when absent/invalid. Any number of digits is a wait: one too big for a
 * number (or a timer) asks for the longest there is, `maxS`, never more.
 */
export function preferredWaitSeconds(header: string | undefined, maxS: number): number {
  if (!header) return 0;
  for (const pref of header.split(',')) {
    const m = /^\s*wait\s*=\s*"?(\d+)"?\s*(?:;.*)?$/i.exec(pref);
    if (m) return Math.min(Number(m[1]), maxS);
  }
  return 0;
}
