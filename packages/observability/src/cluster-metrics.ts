import { AggregatorRegistry, type Registry } from 'prom-client';
import type { InternalEndpoints } from './http-servers';

/**
 * In a node:cluster worker: answer the primary's metrics requests (prom-client's IPC protocol) with `registry`.
 * Call it once at start-up without a registry (an empty answer, so a scrape while this worker starts does not wait
 * for it to time out), then again with the registry once it exists.
 */
export function answerClusterMetrics(registry?: Registry): void {
  // Constructing one installs prom-client's worker-side listener (idempotent).
  new AggregatorRegistry();
  if (registry) AggregatorRegistry.setRegistries([registry]);
}

/**
 * In the node:cluster primary: /metrics for every worker together. Counters and histograms are summed across workers,
 * other metrics as their `aggregator` says (a per-host value such as a queue depth takes 'max').
 */
export function clusterMetrics(): InternalEndpoints['metrics'] {
  const aggregator = new AggregatorRegistry();
  return async () => ({ contentType: aggregator.contentType, body: await aggregator.clusterMetrics() });
}
