import type { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { BlockMirror } from './block-mirror';
import { clientSource, customerKey } from './client-source';
import { KeySpaceLimiter, type Consumed } from './key-space-limiter';
import type { RateCheck, RateDecision, RateDecisionEvent, RateGuard, RateGuardStats, RateLimitReason } from './rate-decision';

export interface RateGuardOptions {
  /** Best a 'producer' connection (no offline queue): during an outage calls fail at once and insurance answers. */
  redis: Redis;
  /**
   * Namespace of the rate-limit keys, e.g. `${QUEUE_PREFIX}:rl`; keys are `<prefix>:ip:<ip>`, `<prefix>:subnet:<hash>`,
   * `<prefix>:customer:<hash of id>`, and for distinct customers `<prefix>:seen:*` and `<prefix>:customers-*:<hash>`.
   */
  prefix: string;
  ipPoints: number;
  ipDurationS: number;
  ipBlockS: number;
  customerPoints: number;
  customerDurationS: number;
  customerBlockS: number;
  /** Requests per subnet (IPv4 /24, IPv6 /64); absent = no subnet limit. */
  subnet?: { points: number; durationS: number; blockS: number } | undefined;
  /** Distinct customer ids one address / one subnet may name per window; over it, the address / subnet is blocked. */
  distinctCustomers?: { perAddress: number; perSubnet: number; windowS: number; blockS: number } | undefined;
  /**
   * Where refusals are mirrored (`address:<hash>`, `subnet:<hash>`, `customer:<hash>`), shared with the guess budgets,
   * so the intake's pre-body check refuses a blocked source with one map lookup.
   */
  mirror?: BlockMirror | undefined;
  /** Called for every decision (e.g. to count it in Prometheus). */
  onDecision?: ((event: RateDecisionEvent) => void) | undefined;
}

/**
 * Intake's request-rate filter. Checks the address first (a flood from one address is refused before anything else
 * is counted), then its subnet, then the customer, then whether the address and subnet name too many distinct
 * customers. Each key space allows `points` per `durationS` and then refuses the key for `blockS`, answering with
 * the seconds to wait; refusals are mirrored in memory for the pre-body check.
 */
export function createRateGuard(options: RateGuardOptions): RateGuard {
  const mirror = options.mirror ?? new BlockMirror();
  const mirrorAs = (scope: 'address' | 'subnet' | 'customer', id: (key: string) => string) => (key: string, ms: number) => mirror.block(`${scope}:${id(key)}`, ms);
  // The ip key space is keyed by the address itself (as before); the mirror by its hash, like the guess budgets.
  const ip = new KeySpaceLimiter({
    redis: options.redis,
    keyPrefix: `${options.prefix}:ip`,
    points: options.ipPoints,
    durationS: options.ipDurationS,
    blockS: options.ipBlockS,
    onRefused: mirrorAs('address', (address) => clientSource(address).address),
  });
  const subnet = options.subnet
    ? new KeySpaceLimiter({
        redis: options.redis,
        keyPrefix: `${options.prefix}:subnet`,
        points: options.subnet.points,
        durationS: options.subnet.durationS,
        blockS: options.subnet.blockS,
        onRefused: mirrorAs('subnet', (hash) => hash),
      })
    : undefined;
  const customer = new KeySpaceLimiter({
    redis: options.redis,
    keyPrefix: `${options.prefix}:customer`,
    points: options.customerPoints,
    durationS: options.customerDurationS,
    blockS: options.customerBlockS,
    onRefused: mirrorAs('customer', (hash) => hash),
  });
  const distinct = options.distinctCustomers ? distinctCustomerLimits(options, options.distinctCustomers, mirrorAs) : undefined;
  const stats: RateGuardStats = { allowed: 0, rejectedIp: 0, rejectedSubnet: 0, rejectedCustomer: 0, rejectedCustomers: 0, memoryBlocked: 0, insurance: 0 };
  const counters: Record<RateLimitReason, 'rejectedIp' | 'rejectedSubnet' | 'rejectedCustomer' | 'rejectedCustomers'> = {
    ip: 'rejectedIp',
    subnet: 'rejectedSubnet',
    customer: 'rejectedCustomer',
    customers: 'rejectedCustomers',
  };

  const decide = (decision: RateDecision, ...steps: Consumed[]): RateDecision => {
    const last = steps[steps.length - 1];
    const source = steps.some((s) => s.source === 'insurance') ? 'insurance' : (last?.source ?? 'redis');
    if (decision.allowed) stats.allowed++;
    else stats[counters[decision.reason]]++;
    if (source === 'memory') stats.memoryBlocked++;
    if (source === 'insurance') stats.insurance++;
    options.onDecision?.({ decision, source });
    return decision;
  };
  const refuse = (reason: RateLimitReason, refused: Extract<Consumed, { ok: false }>, ...before: Consumed[]): RateDecision =>
    decide({ allowed: false, reason, retryAfterS: refused.retryAfterS }, ...before, refused);

  return {
    async check(request: RateCheck): Promise<RateDecision> {
      const byIp = await ip.consume(request.ip);
      if (!byIp.ok) return refuse('ip', byIp);
      const source = request.source ?? clientSource(request.ip);
      const steps: Consumed[] = [byIp];
      if (subnet) {
        const bySubnet = await subnet.consume(source.subnet);
        if (!bySubnet.ok) return refuse('subnet', bySubnet, ...steps);
        steps.push(bySubnet);
      }
      if (request.customerId === undefined) return decide({ allowed: true }, ...steps);
      const customerHash = customerKey(request.customerId);
      const byCustomer = await customer.consume(customerHash);
      if (!byCustomer.ok) return refuse('customer', byCustomer, ...steps);
      steps.push(byCustomer);
      if (distinct) {
        const byDistinct = await distinct(source.address, source.subnet, customerHash);
        if (byDistinct && !byDistinct.ok) return refuse('customers', byDistinct, ...steps);
      }
      return decide({ allowed: true }, ...steps);
    },
    stats: () => ({ ...stats }),
  };
}

/**
 * Distinct customer ids per address and per subnet: a customer is counted once per window per address (a "seen"
 * key, read with `penalty` so a repeat is a plain answer, not a rejection), and a first sighting spends one point of
 * the address's and the subnet's distinct-customer budgets.
 */
function distinctCustomerLimits(
  options: RateGuardOptions,
  limits: NonNullable<RateGuardOptions['distinctCustomers']>,
  mirrorAs: (scope: 'address' | 'subnet', id: (key: string) => string) => (key: string, ms: number) => void,
): (address: string, subnet: string, customer: string) => Promise<Consumed | undefined> {
  const seen = new RateLimiterRedis({ storeClient: options.redis, keyPrefix: `${options.prefix}:seen`, points: 1_000_000, duration: limits.windowS });
  const perAddress = new KeySpaceLimiter({
    redis: options.redis,
    keyPrefix: `${options.prefix}:customers-address`,
    points: limits.perAddress,
    durationS: limits.windowS,
    blockS: limits.blockS,
    onRefused: mirrorAs('address', (hash) => hash),
  });
  const perSubnet = new KeySpaceLimiter({
    redis: options.redis,
    keyPrefix: `${options.prefix}:customers-subnet`,
    points: limits.perSubnet,
    durationS: limits.windowS,
    blockS: limits.blockS,
    onRefused: mirrorAs('subnet', (hash) => hash),
  });
  return async (address, subnet, customer) => {
    let first: boolean;
    try {
      first = (await seen.penalty(`${address}:${customer}`, 1)).consumedPoints === 1;
    } catch {
      return undefined; // Redis failing: the other limits' insurance still holds; this one waits for Redis
    }
    if (!first) return undefined;
    const [byAddress, bySubnet] = await Promise.all([perAddress.consume(address), perSubnet.consume(subnet)]);
    if (!byAddress.ok) return byAddress;
    if (!bySubnet.ok) return bySubnet;
    return byAddress;
  };
}
