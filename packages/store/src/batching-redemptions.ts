import type { AttemptResult, ClaimRequest, RedeemRequest } from '@dropgate/core';
import type { AttemptRequest, RedemptionService } from './store';

export interface BatchOptions {
  /** Most attempts per store call; 1 = no batching (the store itself is returned). */
  max: number;
  /** How long a batch waits for more after its first attempt; 0 = until the current event-loop turn has run. */
  waitMs: number;
  /** Told about every store call made for a batch (size > 1), and whether it failed and fell back to single calls. */
  onBatch?: (size: number, fellBack: boolean, err?: unknown) => void;
}

interface Pending {
  req: AttemptRequest;
  resolve: (result: AttemptResult) => void;
  reject: (err: unknown) => void;
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
  let queue: Pending[] = [];
  let timer: NodeJS.Timeout | NodeJS.Immediate | null = null;

  const single = (p: Pending): void => {
    const call = p.req.kind === 'redeem' ? inner.redeem(p.req) : inner.claim(p.req);
    call.then(p.resolve, p.reject);
  };

  const run = async (batch: Pending[]): Promise<void> => {
    if (batch.length === 1) return single(batch[0]!);
    let results: AttemptResult[];
    try {
      results = await inner.processMany(batch.map((p) => p.req));
    } catch (err) {
      options.onBatch?.(batch.length, true, err);
      for (const p of batch) single(p);
      return;
    }
    options.onBatch?.(batch.length, false);
    batch.forEach((p, i) => p.resolve(results[i]!));
  };

  const flush = (): void => {
    if (timer !== null) {
      if (options.waitMs > 0) clearTimeout(timer as NodeJS.Timeout);
      else clearImmediate(timer as NodeJS.Immediate);
      timer = null;
    }
    const batch = queue;
    queue = [];
    if (batch.length > 0) void run(batch);
  };

  const submit = (req: AttemptRequest): Promise<AttemptResult> =>
    new Promise<AttemptResult>((resolve, reject) => {
      queue.push({ req, resolve, reject });
      if (queue.length >= options.max) flush();
      else if (timer === null) timer = options.waitMs > 0 ? setTimeout(flush, options.waitMs) : setImmediate(flush);
    });

  return {
    redeem: (req: RedeemRequest) => submit({ ...req, kind: 'redeem' }),
    claim: (req: ClaimRequest) => submit({ ...req, kind: 'claim' }),
    processMany: (requests) => inner.processMany(requests),
    getAttempt: (attemptId) => inner.getAttempt(attemptId),
    outcomeCounts: (campaignId) => inner.outcomeCounts(campaignId),
  };
}
