import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * A Prometheus registry for one process: Node's default metrics (CPU, memory, event loop lag, GC, handles)
 * plus whatever the app registers on it, every series labelled `app="<app>"`.
 */
export function createMetricsRegistry(app: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app });
  collectDefaultMetrics({ register: registry });
  return registry;
}
