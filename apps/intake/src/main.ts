import cluster from 'node:cluster';
import { loadIntakeConfig } from '@dropgate/config';
import { exitOnStartupFailure } from '@dropgate/supervision';

/**
 * The intake: one process (INTAKE_PROCESSES=1), or a node:cluster primary and INTAKE_PROCESSES workers (default: one
 * per core). Each side loads only its own modules: the primary needs no Express, BullMQ or store.
 */
async function main(): Promise<void> {
  const config = loadIntakeConfig(process.env);
  if (cluster.isPrimary && config.INTAKE_PROCESSES > 1) {
    const { runClusterPrimary } = await import('./intake-cluster.js');
    await runClusterPrimary(config);
  } else {
    const { runIntake } = await import('./intake-process.js');
    await runIntake(config, cluster.isWorker);
  }
}

main().catch((err: unknown) => exitOnStartupFailure('intake', err));
