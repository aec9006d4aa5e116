import path from 'node:path';
import { UnrecoverableError, Worker } from 'bullmq';
import type { AttemptResult } from '@dropgate/core';
import { closeRedis, createRedis, QUEUES } from '@dropgate/queue';
import type { RedemptionService } from '@dropgate/store';
import { TEST_REDIS_URL } from '@dropgate/testkit';

interface AttemptJobLike {
  id?: string | undefined;
  name: string;
  data: { campaignId: string; customerId: string; code?: string | undefined; tier?: string | undefined };
}

/** The exports of apps/worker/src/process-attempt.ts this helper uses. */
interface WorkerProcessor {
  processAttempt(job: AttemptJobLike, deps: { redemptions: RedemptionService; now: () => Date }): Promise<AttemptResult>;
  InvalidJobError: new (message: string) => Error;
}

/**
 * The worker's own processor. apps/worker is another TypeScript project (its own rootDir) that intake does not
 * depend on, so its source is loaded at run time (jest compiles it) and typed here by the shape used.
 */
function loadWorkerProcessor(): WorkerProcessor {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(__dirname, '..', '..', '..', 'worker', 'src', 'process-attempt')) as WorkerProcessor;
}

export interface TestWorker {
  worker: Worker<AttemptJobLike['data'], AttemptResult>;
  /** Holds every job of this customer before processing until the returned function is called. */
  hold(customerId: string): () => void;
  close(): Promise<void>;
}

/** A real BullMQ worker on the attempts queue, wired as apps/worker/src/main.ts wires it, on the given store. */
export async function startAttemptWorker(options: { prefix: string; redemptions: RedemptionService; concurrency?: number }): Promise<TestWorker> {
  const { processAttempt, InvalidJobError } = loadWorkerProcessor();
  const holds = new Map<string, { held: Promise<void>; release: () => void }>();
  const connection = createRedis(TEST_REDIS_URL, 'worker', 'test-worker', { onError: () => undefined });
  const worker = new Worker<AttemptJobLike['data'], AttemptResult>(
    QUEUES.attempts,
    async (job) => {
      await holds.get(job.data.customerId)?.held;
      try {
        return await processAttempt(job, { redemptions: options.redemptions, now: () => new Date() });
      } catch (err) {
        if (err instanceof InvalidJobError) throw new UnrecoverableError(err.message);
        throw err;
      }
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
