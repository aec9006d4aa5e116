import { loadSupervisorConfig, loadWorkerConfig } from '@dropgate/config';
import { parseFlags } from '../cli-flags';

/** What `npm start` runs the workers with when nothing is set: the configuration's defaults. */
const worker = loadWorkerConfig({});
const supervisor = loadSupervisorConfig({});

/** `npm run bench:drain` flags, parsed once at start-up (`--help` lists them); see bench-drain.ts for more. */
export const flags = parseFlags(process.argv.slice(2), {
  usage: 'npm run bench:drain -- [flags]: a backlog of attempts enqueued first, then drained by the worker processes',
  numeric: {
    attempts: 50_000,
    // Default: what `npm start` runs with (packages/config's defaults).
    workers: supervisor.WORKERS,
    concurrency: worker.WORKER_CONCURRENCY,
    'store-batch-max': worker.WORKER_STORE_BATCH_MAX,
    'store-batch-wait-ms': worker.WORKER_STORE_BATCH_WAIT_MS,
    pool: worker.DATABASE_POOL_SIZE,
    'hold-ms': worker.ATTEMPT_HOLD_MS,
    'drain-timeout': 600,
    seed: 1,
    profile: 0,
    'semi-space-mb': 0,
  },
  about: {
    attempts: 'attempts in the backlog, claims and redeems mixed',
    workers: 'worker processes (WORKERS)',
    concurrency: 'WORKER_CONCURRENCY per worker',
    'store-batch-max': 'WORKER_STORE_BATCH_MAX: attempts per store call (1 = off)',
    'store-batch-wait-ms': 'WORKER_STORE_BATCH_WAIT_MS: how long a store batch waits for more',
    pool: 'DATABASE_POOL_SIZE per worker',
    'hold-ms': 'ATTEMPT_HOLD_MS: the backlog is held as the intake holds attempts; 0 measures the drain without the hold',
    'drain-timeout': 'seconds to wait for the backlog to drain',
    seed: 'seed of the backlog (which campaigns, codes and customers)',
    profile: "1: every worker runs under the inspector's sampling profiler; where its CPU went is printed after the drain",
    'semi-space-mb': "Node's --max-semi-space-size (MB) for the worker processes; 0 = Node's default",
  },
});

export type DrainFlags = typeof flags;
