import type { IntakeConfig } from '@dropgate/config';
import { createOpenGuard, createRateGuard } from '@dropgate/guard';
import type { Redis } from 'ioredis';
import type { RateGuardLike } from './app';

/** The configured rate filter, or a pass-through when RATE_LIMITS_ENABLED=false (load tests, trusted networks). */
export function openGuard(config: IntakeConfig, redis: Redis): RateGuardLike {
  if (!config.RATE_LIMITS_ENABLED) return createOpenGuard();
  return createRateGuard({
    redis,
    prefix: `${config.QUEUE_PREFIX}:rl`,
    ipPoints: config.RATE_IP_POINTS,
    ipDurationS: config.RATE_IP_DURATION_S,
    ipBlockS: config.RATE_IP_BLOCK_S,
    customerPoints: config.RATE_CUSTOMER_POINTS,
    customerDurationS: config.RATE_CUSTOMER_DURATION_S,
    customerBlockS: config.RATE_CUSTOMER_BLOCK_S,
  });
}
