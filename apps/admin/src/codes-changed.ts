import type { ChangeSink, CodesChangeAction } from '@dropgate/changes';
import { rebuildCodeFilter } from '@dropgate/code-filter';
import type { Store } from '@dropgate/store';
import type { Redis } from 'ioredis';

export interface CodesChangedDeps {
  store: Store;
  /** Where the code filters live (the admin's Redis client). */
  redis: Redis;
  /** `codeFilterPrefix(QUEUE_PREFIX)`. */
  filterPrefix: string;
  changes: ChangeSink;
  onFilterRebuilt?: (campaignId: string, filter: { kind: string; count: number; bytes: number }, published: unknown) => void;
  onError: (err: unknown, campaignId: string) => void;
}

/**
 * What must happen after a campaign's codes changed (generation job, import): rebuild the intake's code filter
 * first (an intake that hears of the change then finds the filter in Redis), then publish a codes change so every
 * intake applies it at once. Never rejects: a failed rebuild leaves the campaign without a filter (every code
 * queued, none refused; slower against bots, never wrong), and a change not published is caught up by the
 * intakes' periodic reload.
 */
export function codesChangedHook(deps: CodesChangedDeps): (campaignId: string, action: CodesChangeAction) => Promise<void> {
  return async (campaignId, action) => {
    try {
      const { filter, published } = await rebuildCodeFilter(deps.store, deps.redis, deps.filterPrefix, campaignId);
      deps.onFilterRebuilt?.(campaignId, filter, published);
    } catch (err) {
      deps.onError(err, campaignId);
    }
    await deps.changes.publish({ kind: 'codes', campaignId, action }).catch((err: unknown) => deps.onError(err, campaignId));
  };
}
