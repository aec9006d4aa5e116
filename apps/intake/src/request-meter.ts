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

/**
 * The route label of a path answered before Express routed it (shed, or taken by the fast lane), matched as Express
 * matches its routes (case-insensitive, one trailing slash allowed, a parameter is one segment): label and routing
 * agree. Anything else is `other`.
 */
export function routeLabel(path: string): string {
  const p = (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path).toLowerCase();
  if (ONE_SEGMENT_AFTER.attempts.test(p)) return '/v1/attempts/:attemptId';
  if (ONE_SEGMENT_AFTER.campaigns.test(p)) return '/v1/campaigns/:campaignId';
  switch (p) {
    case '/v1/redemptions':
    case '/v1/claims':
    case '/healthz':
    case '/readyz':
    case '/metrics':
    case '/openapi.json':
      return p;
    default:
      return 'other';
  }
}

const ONE_SEGMENT_AFTER = { attempts: /^\/v1\/attempts\/[^/]+$/, campaigns: /^\/v1\/campaigns\/[^/]+$/ };
