import type { Registry } from 'prom-client';
import type { InternalEndpoints } from './http-servers';

/** A process's own registry as its internal port's `/metrics` (createInternalServer). */
export function registryMetrics(registry: Registry): InternalEndpoints['metrics'] {
  return async () => ({ contentType: registry.contentType, body: await registry.metrics() });
}
