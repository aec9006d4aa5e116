import cluster from 'node:cluster';
import type { IntakeConfig } from '@dropgate/config';
import { clusterMetrics, createInternalServer, createLogger, installSignalHandlers, listenOn, ShutdownRegistry } from '@dropgate/observability';
import { EXIT_NOT_RESTARTABLE, ProcessGroup } from '@dropgate/supervision';
import { clusterReadiness } from './cluster-readiness';

/**
 * The node:cluster primary of INTAKE_PROCESSES > 1: forks that many intake workers sharing PORT (the primary hands
 * out connections), restarts one that dies by the supervisor's rule (`ProcessGroup`: backoff, give up after a
 * burst), serves METRICS_PORT for all of them (/metrics summed over the workers, /readyz asked of each) and on a
 * stop signal drains every worker before it exits. It serves no request itself.
 */
export async function runClusterPrimary(config: IntakeConfig): Promise<void> {
  const logger = createLogger({ level: config.LOG_LEVEL, app: 'intake' });
  // Workers get SHUTDOWN_TIMEOUT_MS to drain (then SIGKILL); the primary a little more to see them go.
  const shutdown = new ShutdownRegistry(logger, config.SHUTDOWN_TIMEOUT_MS + 2000);
  const ready = clusterReadiness();
  const internalServer = createInternalServer({ metrics: clusterMetrics(), ready });
  const metricsPort = await listenOn(internalServer, config.METRICS_PORT, config.METRICS_HOST, 'METRICS_PORT');
  shutdown.register('internal-http', () => new Promise<void>((resolve) => internalServer.close(() => resolve())));

  const group = new ProcessGroup(
    (msg) => logger.info({}, msg),
    (name, exitCode) => {
      logger.error({ worker: name }, 'an intake worker keeps failing at start: stopping the intake');
      // A worker that cannot start (a port in use, a bad variable) fails the same in a new primary: say so upwards.
      void shutdown.shutdown('worker-gave-up').then(() => process.exit(exitCode === EXIT_NOT_RESTARTABLE ? EXIT_NOT_RESTARTABLE : 1));
    },
  );
  for (let i = 1; i <= config.INTAKE_PROCESSES; i++) group.start({ name: `intake-${i}`, launch: () => cluster.fork().process });
  shutdown.register('workers', () => group.stop(config.SHUTDOWN_TIMEOUT_MS));
  installSignalHandlers(shutdown, logger, { parent: process });
  logger.info({ processes: config.INTAKE_PROCESSES, port: config.PORT, metrics: `${config.METRICS_HOST}:${metricsPort}` }, 'intake cluster primary running');
}
