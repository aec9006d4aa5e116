/**
 * Where filters live in Redis, under `<prefix>` (e.g. `${QUEUE_PREFIX}:cf`):
 * - `<prefix>:data:<campaignId>`: the encoded filter (binary); absent = no filter, intakes enqueue every code.
 * - `<prefix>:versions`: hash campaignId → version of what `data` holds (or of the invalidation that removed it).
 * - `<prefix>:epoch`: bumped on every change: the one cheap key intakes poll.
 * - `<prefix>:seq`: hands out versions; a build takes its version BEFORE reading the store, so a build that
 *   started later (and so saw later codes) always wins over one that started earlier and finished later.
 */
export interface CodeFilterKeys {
  data(campaignId: string): string;
  versions: string;
  epoch: string;
  seq: string;
}

export function codeFilterKeys(prefix: string): CodeFilterKeys {
  return {
    data: (campaignId) => `${prefix}:data:${campaignId}`,
    versions: `${prefix}:versions`,
    epoch: `${prefix}:epoch`,
    seq: `${prefix}:seq`,
  };
}

/** The one place the filters' Redis prefix is derived from QUEUE_PREFIX (intakes, admin and jobs must agree). */
export function codeFilterPrefix(queuePrefix: string): string {
  return `${queuePrefix}:cf`;
}
