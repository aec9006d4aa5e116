import { loadSupervisorConfig, loadWorkerConfig } from '@dropgate/config';
import { parseFlags } from '../cli-flags';

/** What `npm start` runs the workers with when nothing is set: the configuration's defaults. */
const worker = loadWorkerConfig({});
const supervisor = loadSupervisorConfig({});

/** `npm run bench:drain` flags, parsed once at start-up (`--help` lists them); see bench-drain.ts for what they mean. */
export const flags = parseFlags(
  process.argv.slice(2),
  'npm run bench:drain -- [flags]: a backlog of attempts enqueued first, then drained by the worker processes',
  {
    attempts: 50_000,
    // Default: what `npm start` runs with (packages/config's defaults).
    workers: supervisor.WORKERS,
    concurrency: worker.WORKER_CONCURRENCY,
    'store-batch-max': worker.WORKER_STORE_BATCH_MAX,
    'store-batch-wait-ms': worker.WORKER_STORE_BATCH_WAIT_MS,
    pool: worker.DATABASE_POOL_SIZE,
    // The backlog's jobs are held as the intake holds them (ATTEMPT_HOLD_MS); 0 measures the drain without the hold.
    'hold-ms': worker.ATTEMPT_HOLD_MS,
    'drain-timeout': 600,
    seed: 1,
    // 1: every worker runs under the inspector's sampling profiler; where its CPU went is printed after the drain.
    profile: 0,
    // Node's --max-semi-space-size (MB) for the worker processes; 0 = Node's default.
    'semi-space-mb': 0,
  },
);

export type DrainFlags = typeof flags;
