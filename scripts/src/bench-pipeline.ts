/**
 * `npm run bench:pipeline`: the whole pipeline under a closed-loop HTTP load, measured end to end.
 *
 *   1. starts the real processes (intake, admin, 2 workers) against the local Redis and PostgreSQL, the intake as
 *      `npm start` runs it: INTAKE_PROCESSES (--intake-processes, default one per core) processes;
 *   2. creates one campaign big enough never to sell out during the run (default 400,000 codes, 1 per customer);
 *   3. autocannon: 256 connections for 20 s of POST /v1/claims, a distinct customer per request;
 *   4. waits until every accepted attempt has a recorded outcome (processed/s);
 *   5. checks IN THE DATABASE that no code went out twice and that no accepted attempt was lost;
 *   6. measures, before and after, the floor of this machine: a bare Express process answering every claim with 202
 *      under the same load (--bare-s seconds each, default 8, 0 = none); `p99VsBare` reads the p99 against it;
 *   7. says where the time went: CPU of every process (intake, admin, workers, Redis, PostgreSQL backends,
 *      this benchmark), server-side latency, worker job time, Redis command time, PostgreSQL wait events.
 *
 * Flags: --duration <s> --connections <n> --codes <n> --drain-timeout <s> --intake-processes <n>, and --quiet-wait <s> to wait (at most that
 * long) for other work on the machine to stop before the load: the CPU tables show what else ran, as noise.
 * --profile 1 runs every Node process of the system with --cpu-prof and prints, per process, where its CPU went
 * during the load window (by package and by function); profiling itself costs some throughput.
 * Settings of the system under test (the "optimised" setup): --batch-max (ENQUEUE_BATCH_MAX, default 64),
 * --batch-wait-ms (ENQUEUE_BATCH_WAIT_MS, 0), --concurrency (WORKER_CONCURRENCY, 64), --pool (DATABASE_POOL_SIZE per
 * worker, 20), --semi-space-mb (Node's --max-semi-space-size for intake and workers, 0 = Node's default).
 * --store-batch-max (WORKER_STORE_BATCH_MAX, 32), --store-batch-wait-ms (WORKER_STORE_BATCH_WAIT_MS, 0).
 * --compare batch|store-batch|all|intake-processes runs the same load twice in ONE run, on fresh processes each time:
 * first a baseline (intake-processes: one intake process instead of --intake-processes; batch: the same settings with enqueue batching off; store-batch: the same with one store call per attempt; all: every setting as before, i.e. batching off, 64/20, no Node
 * flags), then the optimised setup, and prints both and their ratios (the machine is noisy: compare within a run).
 * The last line of output is one JSON object (acceptedPerSec, p50Ms, p99Ms, processedPerSec, doubleAssigned, lost, ...)
 * of the optimised setup; with --compare it also holds `ratios` (optimised / baseline) and the `baseline` object.
 * `--help` lists the flags. The pieces, one job each, are in bench/pipeline/: flags and setups, the system's processes
 * (system-procs), CPU sampling (cpu-split), PostgreSQL wait sampling (pg-wait-sampler), /metrics scrapes
 * (metrics-snapshot), the campaign, the load (load), the drain, one run (run-bench), its report, and --compare.
 */
import { longAgent } from './bench/pipeline/campaign';
import { compareOrRun } from './bench/pipeline/compare';
import { errorWithStack } from '@dropgate/core';

async function main(): Promise<void> {
  try {
    await compareOrRun();
  } finally {
    await longAgent.close().catch(() => undefined);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-pipeline failed: ${errorWithStack(err)}\n`);
  process.exitCode = 1;
});
