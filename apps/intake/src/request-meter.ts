import type { IntakeMetrics } from './intake-metrics';

/**
 * Request count and latency by route template (never by raw path: bots would explode the label set), with the label
 * children cached per route/status: no label-object hashing per request. Shared by the Express app and the fast lane.
 */
export class RequestMeter {
  private readonly counters = new Map<string, { inc(): void }>();
  private readonly histograms = new Map<string, { observe(v: number): void }>();

  constructor(private readonly metrics: IntakeMetrics) {}

  /** One answered request: `startNs` from `process.hrtime.bigint()` when it arrived. */
  observe(route: string, status: number, startNs: bigint): void {
    const key = `${status} ${route}`;
    let counter = this.counters.get(key);
    if (!counter) this.counters.set(key, (counter = this.metrics.requests.labels({ route, status: String(status) })));
    counter.inc();
    let histogram = this.histograms.get(route);
    if (!histogram) this.histograms.set(route, (histogram = this.metrics.latency.labels({ route })));
    histogram.observe(Number(process.hrtime.bigint() - startNs) / 1e9);
  }
}

/** The route label of a path. */
export function routeLabel(path: string): string {
  if (path.startsWith('/v1/attempts/')) return '/v1/attempts/:attemptId';
  if (path.startsWith('/v1/campaigns/')) return '/v1/campaigns/:campaignId';
  switch (path) {
    case '/v1/redemptions':
    case '/v1/claims':
    case '/healthz':
    case '/readyz':
    case '/metrics':
    case '/openapi.json':
      return path;
    default:
      return 'other';
  }
}
