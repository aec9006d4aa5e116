import type { ClientSource } from './client-source';

/**
 * ip: requests per address; subnet: per subnet (IPv4 /24, IPv6 /64); customer: per customer id; customers: too many
 * distinct customer ids from one address or subnet in a window.
 */
export type RateLimitReason = 'ip' | 'subnet' | 'customer' | 'customers';

export type RateDecision = { allowed: true } | { allowed: false; reason: RateLimitReason; retryAfterS: number };

/**
 * Who answered: Redis (the shared count), this process's in-memory block (a client already refused: no Redis
 * round trip), or the in-memory insurance limiter (Redis failed; limits hold per process only).
 */
export type DecisionSource = 'redis' | 'memory' | 'insurance';

export interface RateDecisionEvent {
  decision: RateDecision;
  source: DecisionSource;
}

/** Running totals since the guard was made, for metrics. */
export interface RateGuardStats {
  allowed: number;
  rejectedIp: number;
  rejectedSubnet: number;
  rejectedCustomer: number;
  /** Refused for naming too many distinct customer ids from one address or subnet. */
  rejectedCustomers: number;
  /** Rejections answered from the in-memory block. */
  memoryBlocked: number;
  /** Decisions in which the insurance limiter stood in for Redis. */
  insurance: number;
}

export interface RateCheck {
  ip: string;
  /** The hashed address and subnet of `ip` (computed from it when absent). */
  source?: ClientSource | undefined;
  /** Absent for requests that name no customer (status reads): only the IP is counted. */
  customerId?: string | undefined;
}

export interface RateGuard {
  check(request: RateCheck): Promise<RateDecision>;
  stats(): RateGuardStats;
}
