import type { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { MicroBatcher } from '@dropgate/batching';
import { BlockMirror } from './block-mirror';
import { clientSource, customerKey, type ClientSource } from './client-source';
import { distinctCapPrefix, distinctCustomerKeys, distinctSeenPrefix, type DistinctCustomerCaps, type DistinctScope } from './distinct-customers';
import { KeySpaceLimiter, type Consumed } from './key-space-limiter';
import { rateCheckScript, type KeySpaceSettings, type RateScriptAnswer, type RateScriptRequest } from './rate-check-script';
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
  distinctCustomers?: DistinctCustomerCaps | undefined;
  /**
   * Where refusals are mirrored (`address:<hash>`, `subnet:<hash>`, `customer:<hash>`), shared with the guess budgets,
   * so the intake's pre-body check refuses a blocked source with one map lookup.
   */
  mirror?: BlockMirror | undefined;
  /** Called for every decision (e.g. to count it in Prometheus). */
  onDecision?: ((event: RateDecisionEvent) => void) | undefined;
  /**
   * Checks made within one event-loop turn (or `waitMs`), up to `maxSize`, go to Redis as ONE script call (default
   * 256, 0 ms) instead of up to six calls each; every check still gets its own decision, as if made alone in turn.
   * `maxSize` 1: every check alone (still one script call).
   */
  batch?: { maxSize?: number | undefined; waitMs?: number | undefined } | undefined;
  /** Told about every script call for two or more checks (and whether it failed and each was checked alone). */
  onBatch?: ((size: number, fellBack: boolean, err?: unknown) => void) | undefined;
}

/** A check on its way to the batched script. */
interface PendingCheck {
  request: RateCheck;
  source: ClientSource;
  customerHash: string | undefined;
}

/**
 * Intake's request-rate filter. Checks the address first (a flood from one address is refused before anything else
 * is counted), then its subnet, then the customer, then whether the address and subnet name too many distinct
 * customers. Each key space allows `points` per `durationS` and then refuses the key for `blockS`, answering with
 * the seconds to wait; refusals are held in memory (a refused key costs no round trip) and mirrored for the
 * pre-body check.
 *
 * The counting is rate-limiter-flexible's (RateLimiterRedis keys and semantics): concurrent checks go to Redis as one
 * batched script doing, per check in order, exactly what the limiters do one call at a time (rate-check-script.ts).
 * When that call fails, each check is made again on its own through the rate-limiter-flexible limiters, whose
 * in-memory insurance answers while Redis is away (a failed call that did reach Redis may have counted its checks
 * once already: that only ever refuses sooner).
 */
export function createRateGuard(options: RateGuardOptions): RateGuard {
  const mirror = options.mirror ?? new BlockMirror();
  /** One key space; its refusals are mirrored as `<scope>:<id of the key>` for the pre-body check. */
  const keySpace = (keyPrefix: string, limits: KeySpaceSettings, scope: 'address' | 'subnet' | 'customer', id: (key: string) => string = (key) => key) =>
    new KeySpaceLimiter({ redis: options.redis, keyPrefix, ...limits, onRefused: (key, ms) => mirror.block(`${scope}:${id(key)}`, ms) });
  // The ip key space is keyed by the address itself (as before); the mirror by its hash, like the guess budgets.
  const ip = keySpace(`${options.prefix}:ip`, { points: options.ipPoints, durationS: options.ipDurationS, blockS: options.ipBlockS }, 'address', (address) => clientSource(address).address);
  const subnet = options.subnet ? keySpace(`${options.prefix}:subnet`, options.subnet, 'subnet') : undefined;
  const customer = keySpace(`${options.prefix}:customer`, { points: options.customerPoints, durationS: options.customerDurationS, blockS: options.customerBlockS }, 'customer');
  const distinct = options.distinctCustomers ? distinctCustomerLimits(options, options.distinctCustomers, keySpace) : undefined;
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

  /** One check through the rate-limiter-flexible limiters, one call at a time (their insurance stands in for Redis). */
  const checkAlone = async ({ request, source, customerHash }: PendingCheck): Promise<RateDecision> => {
    const byIp = await ip.consume(request.ip);
    if (!byIp.ok) return refuse('ip', byIp);
    const steps: Consumed[] = [byIp];
    if (subnet) {
      const bySubnet = await subnet.consume(source.subnet);
      if (!bySubnet.ok) return refuse('subnet', bySubnet, ...steps);
      steps.push(bySubnet);
    }
    if (customerHash === undefined) return decide({ allowed: true }, ...steps);
    const byCustomer = await customer.consume(customerHash);
    if (!byCustomer.ok) return refuse('customer', byCustomer, ...steps);
    steps.push(byCustomer);
    if (distinct) {
      const byDistinct = await distinct.consume(source.address, source.subnet, customerHash);
      if (byDistinct && !byDistinct.ok) return refuse('customers', byDistinct, ...steps);
    }
    return decide({ allowed: true }, ...steps);
  };

  const script = rateCheckScript(options.redis, {
    ip,
    subnet,
    customer,
    distinct: options.distinctCustomers,
  });
  const FROM_REDIS: Consumed = { ok: true, source: 'redis' };
  const scriptRequest = ({ request, source, customerHash }: PendingCheck): RateScriptRequest => {
    const ipKey = ip.redisKey(request.ip);
    const customerKeys: [string, string, string, string] =
      customerHash === undefined
        ? [ipKey, ipKey, ipKey, ipKey]
        : [customer.redisKey(customerHash), ...distinctCustomerKeys(options.prefix, source, customerHash)];
    return { keys: [ipKey, subnet ? subnet.redisKey(source.subnet) : ipKey, ...customerKeys], hasCustomer: customerHash !== undefined };
  };
  const decisionOf = ({ request, source, customerHash }: PendingCheck, { verdict, msLeft }: RateScriptAnswer): RateDecision => {
    switch (verdict) {
      case 0:
        return decide({ allowed: true }, FROM_REDIS);
      case 1:
        return refuse('ip', ip.refusedInRedis(request.ip, msLeft) as Extract<Consumed, { ok: false }>);
      case 2:
        return refuse('subnet', subnet!.refusedInRedis(source.subnet, msLeft) as Extract<Consumed, { ok: false }>);
      case 3:
        return refuse('customer', customer.refusedInRedis(customerHash!, msLeft) as Extract<Consumed, { ok: false }>);
      default: {
        // Distinct customers: the address's cap first, as the limiters answer it (both are counted).
        const byAddress = verdict !== 5 ? distinct!.perAddress.refusedInRedis(source.address, msLeft) : undefined;
        const bySubnet = verdict !== 4 ? distinct!.perSubnet.refusedInRedis(source.subnet, msLeft) : undefined;
        return refuse('customers', (byAddress ?? bySubnet) as Extract<Consumed, { ok: false }>);
      }
    }
  };
  const batcher = new MicroBatcher<PendingCheck, RateDecision>({
    maxSize: options.batch?.maxSize ?? 256,
    waitMs: options.batch?.waitMs ?? 0,
    runBatch: async (pending) => {
      const answers = await script(pending.map(scriptRequest));
      return pending.map((p, i) => decisionOf(p, answers[i]!));
    },
    runOne: async (pending) => {
      let answer: RateScriptAnswer | undefined;
      try {
        [answer] = await script([scriptRequest(pending)]);
      } catch {
        return checkAlone(pending);
      }
      return decisionOf(pending, answer!);
    },
    onBatch: options.onBatch,
  });

  return {
    check(request: RateCheck): Promise<RateDecision> {
      const source = request.source ?? clientSource(request.ip);
      const customerHash = request.customerId === undefined ? undefined : customerKey(request.customerId);
      // A key this process saw refused is refused from memory, in order, without Redis.
      const byIp = ip.refusedInMemory(request.ip);
      if (byIp && !byIp.ok) return Promise.resolve(refuse('ip', byIp));
      const bySubnet = subnet?.refusedInMemory(source.subnet);
      if (bySubnet && !bySubnet.ok) return Promise.resolve(refuse('subnet', bySubnet));
      const byCustomer = customerHash === undefined ? undefined : customer.refusedInMemory(customerHash);
      if (byCustomer && !byCustomer.ok) return Promise.resolve(refuse('customer', byCustomer));
      return batcher.submit({ request, source, customerHash });
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
  caps: DistinctCustomerCaps,
  keySpace: (keyPrefix: string, limits: KeySpaceSettings, scope: DistinctScope) => KeySpaceLimiter,
) {
  const seen = new RateLimiterRedis({ storeClient: options.redis, keyPrefix: distinctSeenPrefix(options.prefix), points: 1_000_000, duration: caps.windowS });
  const capOf = (scope: DistinctScope, points: number) => keySpace(distinctCapPrefix(options.prefix, scope), { points, durationS: caps.windowS, blockS: caps.blockS }, scope);
  const perAddress = capOf('address', caps.perAddress);
  const perSubnet = capOf('subnet', caps.perSubnet);
  return {
    perAddress,
    perSubnet,
    async consume(address: string, subnet: string, customer: string): Promise<Consumed | undefined> {
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
    },
  };
}
