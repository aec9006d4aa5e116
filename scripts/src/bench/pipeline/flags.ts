import { availableParallelism } from 'node:os';
import { parseFlags } from '../cli-flags';

/** `npm run bench:pipeline` flags, parsed once at start-up (`--help` lists them); see bench-pipeline.ts for what they mean. */
export const flags = parseFlags(
  process.argv.slice(2),
  'npm run bench:pipeline -- [flags]: the whole pipeline under a closed-loop HTTP load, measured end to end',
  {
    duration: 20,
    connections: 256,
    codes: 400_000,
    'drain-timeout': 900,
    // INTAKE_PROCESSES of the system under test: as `npm start` runs it, one intake process per core.
    'intake-processes': availableParallelism(),
    'quiet-wait': 0,
    // Seconds of the bare Express reference run before and after the pipeline's (0 = none).
    'bare-s': 8,
    profile: 0,
    // The optimised configuration (what a single run uses; what --compare sets against the baseline).
    'batch-max': 64,
    'batch-wait-ms': 0,
    concurrency: 64,
    pool: 20,
    // Attempts per store call in the workers (WORKER_STORE_BATCH_MAX, 1 = off) and how long a batch waits for more.
    'store-batch-max': 32,
    'store-batch-wait-ms': 0,
    // Node's --max-semi-space-size for intake and workers in the optimised setup; 0 = Node's default (not shown
    // to help clearly yet, so off by default).
    'semi-space-mb': 0,
  },
  { compare: ['none', 'batch', 'store-batch', 'all', 'intake-processes'] as const },
);

export type PipelineFlags = typeof flags;
