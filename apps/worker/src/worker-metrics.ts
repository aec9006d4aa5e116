import { Counter, Histogram, type Registry } from 'prom-client';

export function createWorkerMetrics(registry: Registry) {
  return {
    outcomes: new Counter({ name: 'dropgate_worker_outcomes_total', help: 'Finished attempts by kind and outcome', labelNames: ['kind', 'outcome'], registers: [registry] }),
    duration: new Histogram({
      name: 'dropgate_worker_job_duration_seconds',
      help: 'Time spent processing one attempt',
      labelNames: ['kind'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    }),
    storeBatches: new Histogram({
      name: 'dropgate_worker_store_batch_size',
      help: 'Attempts per batched store call (WORKER_STORE_BATCH_MAX > 1); fell_back=true when the call failed and its attempts ran one by one',
      labelNames: ['fell_back'],
      buckets: [2, 4, 8, 16, 32, 64, 128],
      registers: [registry],
    }),
    verdictErrors: new Counter({
      name: 'dropgate_worker_source_verdict_errors_total',
      help: 'Attempts judged without the deferred source check because the shared blocks could not be read (Redis)',
      registers: [registry],
    }),
    holdDeferrals: new Counter({
      name: 'dropgate_worker_hold_deferrals_total',
      help: 'Times an attempt was held again (its source named more than one customer, or new ones since the last look; up to ATTEMPT_HOLD_MAX_MS from acceptance)',
      registers: [registry],
    }),
    heldJudged: new Counter({
      name: 'dropgate_worker_held_judged_total',
      help: 'Attempts judged after being held longer, their source never blocked (it stopped naming new customers, or ATTEMPT_HOLD_MAX_MS was reached)',
      registers: [registry],
    }),
    failures: new Counter({
      name: 'dropgate_worker_failures_total',
      help: 'Infrastructure failures; final=true when the job ran out of retries',
      labelNames: ['kind', 'final'],
      registers: [registry],
    }),
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
