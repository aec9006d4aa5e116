import { flags } from './flags';

/** Worker processes of the system under test. */
export const WORKERS = 2;

/** One configuration of the system under test. */
export interface Setup {
  label: string;
  env: Record<string, string>;
  nodeFlags: readonly string[];
}

/** The configuration a plain run measures (and the "optimised" side of --compare). */
export const OPTIMISED: Setup = {
  label: 'optimised',
  env: {
    ENQUEUE_BATCH_MAX: String(flags['batch-max']),
    ENQUEUE_BATCH_WAIT_MS: String(flags['batch-wait-ms']),
    WORKER_CONCURRENCY: String(flags.concurrency),
    DATABASE_POOL_SIZE: String(flags.pool),
    WORKER_STORE_BATCH_MAX: String(flags['store-batch-max']),
    WORKER_STORE_BATCH_WAIT_MS: String(flags['store-batch-wait-ms']),
  },
  nodeFlags: flags['semi-space-mb'] > 0 ? [`--max-semi-space-size=${flags['semi-space-mb']}`] : [],
};

/**
 * --compare intake-processes: the same with one intake process (INTAKE_PROCESSES=1) against --intake-processes.
 * --compare batch: the same, enqueue batching off. --compare store-batch: the same, the workers' store batching off
 * (one store call per attempt). --compare all: every setting as before this work (one add per request, one store
 * call per attempt, 64 jobs at a time and 20 connections per worker, Node's default flags).
 */
export function baselineFor(mode: 'batch' | 'store-batch' | 'all' | 'intake-processes'): Setup {
  if (mode === 'intake-processes') return { label: 'baseline (1 intake process)', env: { ...OPTIMISED.env, INTAKE_PROCESSES: '1' }, nodeFlags: OPTIMISED.nodeFlags };
  if (mode === 'batch') return { label: 'baseline (batch off)', env: { ...OPTIMISED.env, ENQUEUE_BATCH_MAX: '1' }, nodeFlags: OPTIMISED.nodeFlags };
  if (mode === 'store-batch') return { label: 'baseline (store batch off)', env: { ...OPTIMISED.env, WORKER_STORE_BATCH_MAX: '1' }, nodeFlags: OPTIMISED.nodeFlags };
  return { label: 'baseline (all off)', env: { ENQUEUE_BATCH_MAX: '1', WORKER_STORE_BATCH_MAX: '1', WORKER_CONCURRENCY: '64', DATABASE_POOL_SIZE: '20' }, nodeFlags: [] };
}
export const PER_CUSTOMER_LIMIT = 1;
export const TIER = 'standard';
