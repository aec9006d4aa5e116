import { Gauge, type Registry } from 'prom-client';

/**
 * `dropgate_campaign_wrong_codes{campaign}`: the wrong codes sent per campaign, as the guess budgets count them in
 * Redis (filter misses at every intake, `code_not_found` at every worker), read at each scrape. Served by the admin:
 * the count is shared by all those processes, so one exporter says it once. Campaign ids are the operator's, so the
 * label set stays small. Redis unreadable: the gauge is left out of that scrape, the rest is still served.
 */
export function registerWrongCodesMetric(registry: Registry, read: () => Promise<Record<string, number>>, onError?: (err: unknown) => void): Gauge {
  return new Gauge({
    name: 'dropgate_campaign_wrong_codes',
    help: 'Wrong codes sent per campaign (filter misses and the workers\' code_not_found), from the guess budgets\' count in Redis',
    labelNames: ['campaign'],
    registers: [registry],
    async collect() {
      this.reset();
      try {
        for (const [campaign, n] of Object.entries(await read())) this.set({ campaign }, n);
      } catch (err) {
        onError?.(err);
      }
    },
  });
}
