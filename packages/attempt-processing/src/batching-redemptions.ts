import { MicroBatcher } from '@dropgate/batching';
import type { AttemptResult, ClaimRequest, RedeemRequest } from '@dropgate/core';
import type { AttemptRequest, RedemptionService } from '@dropgate/store';

export interface BatchOptions {
  /** Most attempts per store call; 1 = no batching (the store itself is returned). */
  max: number;
  /** How long a batch waits for more after its first attempt; 0 = until the current event-loop turn has run. */
  waitMs: number;
  /** Told about every store call made for a batch (size > 1), and whether it failed and fell back to single calls. */
  onBatch?: ((size: number, fellBack: boolean, err?: unknown) => void) | undefined;
}

/**
 * The store's redemptions, with redeem/claim gathered into batches: the attempts a worker starts within one
 * event-loop turn (or `waitMs`), up to `max`, go to the store in ONE `processMany` call (one transaction), instead
 * of one call each. Every caller still gets its own attempt's result. (Here, not in the worker: `bench:store`
 * sends batches exactly as the workers do.)
 *
 * If the batch call fails for any reason (a deadlock between two batches, a lost connection, ...), every attempt
 * of it is run again on its own through `redeem`/`claim` — idempotent by attempt id, with the adapter's own
 * retries — so each job succeeds or fails exactly as it would have without batching, and BullMQ retries only
 * the jobs that really failed.
 */
export function batchingRedemptions(inner: RedemptionService, options: BatchOptions): RedemptionService {
  if (options.max <= 1) return inner;
  const batcher = new MicroBatcher<AttemptRequest, AttemptResult>({
    maxSize: options.max,
    waitMs: options.waitMs,
    runBatch: (requests) => inner.processMany(requests),
    runOne: (req) => (req.kind === 'redeem' ? inner.redeem(req) : inner.claim(req)),
    onBatch: options.onBatch,
  });
  return {
    redeem: (req: RedeemRequest) => batcher.submit({ ...req, kind: 'redeem' }),
    claim: (req: ClaimRequest) => batcher.submit({ ...req, kind: 'claim' }),
    processMany: (requests) => inner.processMany(requests),
    refuse: (request) => inner.refuse(request),
    getAttempt: (attemptId) => inner.getAttempt(attemptId),
    outcomeCounts: (campaignId) => inner.outcomeCounts(campaignId),
  };
}
