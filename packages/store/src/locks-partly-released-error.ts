import type { ReleasedLocks } from './store';
import { errorMessage } from '@dropgate/core';

/**
 * `releaseDueLocks` released some due locks, then failed (MongoDB releases them in several transactions; one failed
 * after others committed). The codes in `released` are free: the caller reports them as it would a full sweep, and
 * the failure too; the rest stays due for the next sweep.
 */
export class LocksPartlyReleasedError extends Error {
  constructor(
    readonly released: ReleasedLocks[],
    cause: unknown,
  ) {
    const n = released.reduce((sum, g) => sum + g.released, 0);
    super(`released ${n} due locks, then failed (the rest stays due for the next sweep): ${errorMessage(cause)}`, { cause });
    this.name = 'LocksPartlyReleasedError';
  }
}
