import type { IntakeConfig } from '@dropgate/config';
import { BlockMirror, createOpenGuard, createRateGuard, GuessBudget, guessBudgetFrom, guessBudgetPrefix, rateGuardPrefix, type DistinctCustomerCaps } from '@dropgate/guard';
import type { Redis } from 'ioredis';
import type { GuessBudgetLike, RateGuardLike } from './app';

/** The configured rate filter, or a pass-through when RATE_LIMITS_ENABLED=false (load tests, trusted networks). */
export function openGuard(config: IntakeConfig, redis: Redis, mirror?: BlockMirror): RateGuardLike {
  if (!config.RATE_LIMITS_ENABLED) return createOpenGuard();
  return createRateGuard({
    mirror,
    subnet: { points: config.RATE_SUBNET_POINTS, durationS: config.RATE_SUBNET_DURATION_S, blockS: config.RATE_SUBNET_BLOCK_S },
    distinctCustomers: distinctCustomerCaps(config),
    redis,
    prefix: rateGuardPrefix(config.QUEUE_PREFIX),
    ipPoints: config.RATE_IP_POINTS,
    ipDurationS: config.RATE_IP_DURATION_S,
    ipBlockS: config.RATE_IP_BLOCK_S,
    customerPoints: config.RATE_CUSTOMER_POINTS,
    customerDurationS: config.RATE_CUSTOMER_DURATION_S,
    customerBlockS: config.RATE_CUSTOMER_BLOCK_S,
  });
}

const NEVER_BLOCKED: GuessBudgetLike = {
  blocked: () => ({ blocked: false }),
  recordWrongGuess: () => Promise.resolve({ blocked: false }),
};

/** The guess budgets from GUESS_*, or none (nothing counted, nothing blocked) when RATE_LIMITS_ENABLED=false. */
export function openGuessBudget(config: IntakeConfig, redis: Redis, mirror?: BlockMirror, onError?: (err: unknown) => void): GuessBudgetLike {
  if (!config.RATE_LIMITS_ENABLED) return NEVER_BLOCKED;
  return new GuessBudget({
    redis,
    prefix: guessBudgetPrefix(config.QUEUE_PREFIX),
    limits: guessBudgetFrom(config),
    // A wrong code's customer id counts toward the rate guard's distinct-customer caps too (same keys, same call).
    distinctCustomers: { ...distinctCustomerCaps(config), prefix: rateGuardPrefix(config.QUEUE_PREFIX) },
    mirror,
    onError,
  });
}

function distinctCustomerCaps(config: IntakeConfig): DistinctCustomerCaps {
  return { perAddress: config.RATE_ADDRESS_CUSTOMERS, perSubnet: config.RATE_SUBNET_CUSTOMERS, windowS: config.RATE_CUSTOMERS_WINDOW_S, blockS: config.RATE_CUSTOMERS_BLOCK_S };
}
