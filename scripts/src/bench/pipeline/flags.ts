import { availableParallelism } from 'node:os';
import { parseFlags } from '../cli-flags';

/** `npm run bench:pipeline` flags, parsed once at start-up (`--help` lists them); see bench-pipeline.ts for more. */
export const flags = parseFlags(process.argv.slice(2), {
  usage: 'npm run bench:pipeline -- [flags]: the whole pipeline under a closed-loop HTTP load, measured end to end',
  numeric: {
    duration: 20,
    connections: 256,
    codes: 400_000,
    'drain-timeout': 900,
    // As `npm start` runs it: one intake process per core.
    'intake-processes': availableParallelism(),
    'quiet-wait': 0,
    'bare-s': 8,
    profile: 0,
    // The optimised configuration (what a single run uses; what --compare sets against the baseline).
    'batch-max': 64,
    'batch-wait-ms': 0,
    concurrency: 64,
    pool: 20,
    'store-batch-max': 32,
    'store-batch-wait-ms': 0,
    // Not shown to help clearly yet, so off by default.
    'semi-space-mb': 0,
  },
  words: { compare: ['none', 'batch', 'store-batch', 'all', 'intake-processes'] as const },
  about: {
    duration: 'seconds of load',
    connections: 'concurrent connections of the load (POST /v1/claims, a new customer each)',
    codes: "codes in the bench's campaign (enough never to sell out)",
    'drain-timeout': 'seconds to wait for every accepted attempt to be processed after the load',
    'intake-processes': "the intake's INTAKE_PROCESSES (default: one per core, as npm start runs it)",
    'quiet-wait': 'seconds to wait at most for other work on the machine to stop before the load',
    'bare-s': 'seconds of the bare Express reference run before and after the load (0 = none)',
    profile: "1: every Node process runs under --cpu-prof and where its CPU went in the load window is printed",
    'batch-max': "ENQUEUE_BATCH_MAX: the intake's most jobs per addBulk",
    'batch-wait-ms': 'ENQUEUE_BATCH_WAIT_MS: how long a batch of adds waits for more',
    concurrency: 'WORKER_CONCURRENCY per worker',
    pool: 'DATABASE_POOL_SIZE per worker',
    'store-batch-max': 'WORKER_STORE_BATCH_MAX: attempts per store call in the workers (1 = off)',
    'store-batch-wait-ms': 'WORKER_STORE_BATCH_WAIT_MS: how long a store batch waits for more',
    'semi-space-mb': "Node's --max-semi-space-size for intake and workers; 0 = Node's default",
    compare:
      'runs the load twice in one run, a baseline first: batch = enqueue batching off, store-batch = one store call per attempt, all = every setting as before this work, intake-processes = one intake process; none = one run',
  },
});

export type PipelineFlags = typeof flags;
