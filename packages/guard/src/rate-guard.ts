import type { Redis } from 'ioredis';
import { customerKey } from './client-source';
import { KeySpaceLimiter, type Consumed } from './key-space-limiter';
import type { RateCheck, RateDecision, RateDecisionEvent, RateGuard, RateGuardStats } from './rate-decision';

export interface RateGuardOptions {
  /** Best a 'producer' connection (no offline queue): during an outage calls fail at once and insurance answers. */
  redis: Redis;
  /** Namespace of the rate-limit keys, e.g. `${QUEUE_PREFIX}:rl`; keys are `<prefix>:ip:<ip>` and `<prefix>:customer:<hash of id>`. */
  prefix: string;
  ipPoints: number;
  ipDurationS: number;
  ipBlockS: number;
  customerPoints: number;
  customerDurationS: number;
  customerBlockS: number;
  /** Called for every decision (e.g. to count it in Prometheus). */
  onDecision?: ((event: RateDecisionEvent) => void) | undefined;
}

/**
 * Intake's rate filter. Checks the IP first (a flood from one address is refused before anything else is
 * counted), then the customer. Each key space allows `points` per `durationS` and then refuses the key for
 * `blockS`, answering with the seconds to wait.
 */
export function createRateGuard(options: RateGuardOptions): RateGuard {
  const ip = new KeySpaceLimiter({
    redis: options.redis,
    keyPrefix: `${options.prefix}:ip`,
    points: options.ipPoints,
    durationS: options.ipDurationS,
    blockS: options.ipBlockS,
  });
  const customer = new KeySpaceLimiter({
    redis: options.redis,
    keyPrefix: `${options.prefix}:customer`,
    points: options.customerPoints,
    durationS: options.customerDurationS,
    blockS: options.customerBlockS,
  });
  const stats: RateGuardStats = { allowed: 0, rejectedIp: 0, rejectedCustomer: 0, memoryBlocked: 0, insurance: 0 };

  const decide = (decision: RateDecision, ...steps: Consumed[]): RateDecision => {
    const last = steps[steps.length - 1];
    const source = steps.some((s) => s.source === 'insurance') ? 'insurance' : (last?.source ?? 'redis');
    if (decision.allowed) stats.allowed++;
    else if (decision.reason === 'ip') stats.rejectedIp++;
    else stats.rejectedCustomer++;
    if (source === 'memory') stats.memoryBlocked++;
    if (source === 'insurance') stats.insurance++;
    options.onDecision?.({ decision, source });
    return decision;
  };

  return {
    async check(request: RateCheck): Promise<RateDecision> {
      const byIp = await ip.consume(request.ip);
      if (!byIp.ok) return decide({ allowed: false, reason: 'ip', retryAfterS: byIp.retryAfterS }, byIp);
      if (request.customerId === undefined) return decide({ allowed: true }, byIp);
      const byCustomer = await customer.consume(customerKey(request.customerId));
      if (!byCustomer.ok) return decide({ allowed: false, reason: 'customer', retryAfterS: byCustomer.retryAfterS }, byIp, byCustomer);
      return decide({ allowed: true }, byIp, byCustomer);
    },
    stats: () => ({ ...stats }),
  };
}
