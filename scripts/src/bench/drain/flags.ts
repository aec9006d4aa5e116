import { parseFlags } from '../cli-flags';

/** `npm run bench:drain` flags, parsed once at start-up (`--help` lists them); see bench-drain.ts for what they mean. */
export const flags = parseFlags(
  process.argv.slice(2),
  'npm run bench:drain -- [flags]: a backlog of attempts enqueued first, then drained by the worker processes',
  {
    attempts: 50_000,
    // 0 = the defaults `npm start` runs with (packages/config): WORKERS, WORKER_CONCURRENCY, WORKER_STORE_BATCH_MAX, ...
    workers: 0,
    concurrency: 0,
    'store-batch-max': 0,
    pool: 0,
    'drain-timeout': 600,
    seed: 1,
  },
);

export type DrainFlags = typeof flags;
