import { Worker } from 'bullmq';
import type { AttemptResult } from '@dropgate/core';
import { attemptProcessor, type ProcessDeps, type ReceivedAttemptJob } from '@dropgate/attempt-processing';
import { closeRedis, createRedis, QUEUES } from '@dropgate/queue';
import type { RedemptionService } from '@dropgate/store';
import { TEST_REDIS_URL } from '@dropgate/testkit';

export interface TestWorker {
  worker: Worker<ReceivedAttemptJob['data'], AttemptResult>;
  /** Holds every job of this customer before processing until the returned function is called. */
  hold(customerId: string): () => void;
  close(): Promise<void>;
}

/** A real BullMQ worker on the attempts queue running the worker's processor (@dropgate/attempt-processing), on the given store. */
export async function startAttemptWorker(options: {
  prefix: string;
  redemptions: RedemptionService;
  concurrency?: number;
  onWrongCode?: ProcessDeps['onWrongCode'];
}): Promise<TestWorker> {
  const processAttempt = attemptProcessor({ redemptions: options.redemptions, now: () => new Date(), onWrongCode: options.onWrongCode });
  const holds = new Map<string, { held: Promise<void>; release: () => void }>();
  const connection = createRedis(TEST_REDIS_URL, 'worker', 'test-worker', { onError: () => undefined });
  const worker = new Worker<ReceivedAttemptJob['data'], AttemptResult>(
    QUEUES.attempts,
    async (job) => {
      if (job.data.customerId !== undefined) await holds.get(job.data.customerId)?.held;
      return processAttempt(job);
    },
    { connection, prefix: options.prefix, concurrency: options.concurrency ?? 8 },
  );
  worker.on('error', () => undefined);
  await worker.waitUntilReady();
  return {
    worker,
    hold(customerId) {
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      holds.set(customerId, { held, release });
      return release;
    },
    async close() {
      for (const { release } of holds.values()) release();
      await worker.close();
      await closeRedis(connection);
    },
  };
}
