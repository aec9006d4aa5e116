import type { RateGuard } from './rate-decision';

/** For RATE_LIMITS_ENABLED=false: allows everything, still counting. */
export function createOpenGuard(): RateGuard {
  let allowed = 0;
  return {
    check: () => {
      allowed++;
      return Promise.resolve({ allowed: true });
    },
    stats: () => ({ allowed, rejectedIp: 0, rejectedSubnet: 0, rejectedCustomer: 0, rejectedCustomers: 0, memoryBlocked: 0, insurance: 0 }),
  };
}
