import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Every figure a drop will stress on the intake: requests, latency, what was queued and what was turned away. */
export function createIntakeMetrics(registry: Registry, queueDepth: () => number, inFlightLimit: () => number = () => 0) {
  return {
    requests: new Counter({ name: 'dropgate_intake_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers: [registry] }),
    latency: new Histogram({
      name: 'dropgate_intake_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
    enqueued: new Counter({ name: 'dropgate_intake_enqueued_total', help: 'Attempts enqueued by kind', labelNames: ['kind'], registers: [registry] }),
    rejected: new Counter({ name: 'dropgate_intake_rejected_total', help: 'Requests turned away before the queue, by reason', labelNames: ['reason'], registers: [registry] }),
    queueDepth: new Gauge({
      name: 'dropgate_queue_waiting_jobs',
      help: 'Attempts waiting in the queue (cached value the intake uses for backpressure)',
      registers: [registry],
      // Every intake process reads the same queue: across a cluster this is one value, not a sum.
      aggregator: 'max',
      collect() {
        this.set(queueDepth());
      },
    }),
    inFlightLimit: new Gauge({
      name: 'dropgate_intake_in_flight_limit',
      help: 'Requests the intake lets in at once before shedding (SHED_MAX_IN_FLIGHT, or less while the adaptive limit holds it down; 0 = no cap)',
      registers: [registry],
      collect() {
        this.set(inFlightLimit());
      },
    }),
  };
}

export type IntakeMetrics = ReturnType<typeof createIntakeMetrics>;
