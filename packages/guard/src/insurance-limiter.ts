import { RateLimiterMemory, type RateLimiterRes } from 'rate-limiter-flexible';

type ConsumeOptions = Record<string, unknown>;

/**
 * The in-memory stand-in used while Redis fails. It remembers which calls it served: the store limiter hands it
 * the very `options` object given to `consume`, so the caller can tell afterwards whether Redis answered.
 */
export class InsuranceLimiter extends RateLimiterMemory {
  private readonly served = new WeakSet<object>();

  override consume(key: string | number, pointsToConsume?: number, options: ConsumeOptions = {}): Promise<RateLimiterRes> {
    this.served.add(options);
    return super.consume(key, pointsToConsume, options);
  }

  hasServed(options: object): boolean {
    return this.served.has(options);
  }
}
