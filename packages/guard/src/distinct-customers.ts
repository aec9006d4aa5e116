import { heldFrom, type HoldRule } from '@dropgate/core';
import type { ClientSource } from './client-source';

/** Distinct customer ids one address / one subnet may name per window (RATE_*_CUSTOMERS); over it, it is blocked. */
export interface DistinctCustomerCaps {
  perAddress: number;
  perSubnet: number;
  windowS: number;
  /** How long an address / subnet over its cap is refused (0: until its window ends). */
  blockS: number;
}

/** The scopes a distinct-customer cap counts per (also their names in the in-memory block mirror). */
export type DistinctScope = 'address' | 'subnet';

/** Key prefix of a cap's counters (RateLimiterRedis's `keyPrefix`), under the rate guard's prefix. */
export function distinctCapPrefix(prefix: string, scope: DistinctScope): string {
  return `${prefix}:customers-${scope}`;
}

/** Key prefix of the "seen" counters: an (address, customer) pair's first sighting in a window spends a point of both caps. */
export function distinctSeenPrefix(prefix: string): string {
  return `${prefix}:seen`;
}

/**
 * The three keys a (source, customer) counts on: seen, the address's cap, the subnet's cap. The rate guard (accepted
 * requests) and the guess budgets (wrong codes) both count on them, so a customer id is counted once whichever comes first.
 */
export function distinctCustomerKeys(prefix: string, source: ClientSource, customerHash: string): [seen: string, ofAddress: string, ofSubnet: string] {
  return [`${distinctSeenPrefix(prefix)}:${source.address}:${customerHash}`, `${distinctCapPrefix(prefix, 'address')}:${source.address}`, `${distinctCapPrefix(prefix, 'subnet')}:${source.subnet}`];
}

/** The one place the rate guard's Redis prefix is derived (the guess budgets count distinct customers under it too). */
export function rateGuardPrefix(queuePrefix: string): string {
  return `${queuePrefix}:rl`;
}

/** A held attempt's looks are at least this far apart (ATTEMPT_HOLD_MS may be 0): each costs a pass through the queue. */
const MIN_LOOK_STEP_MS = 1000;

/**
 * The hold's rule (`holdVerdict`, @dropgate/core) from the settings: a source's looks are one hold apart (at least a
 * second), up to ATTEMPT_HOLD_MAX_MS from acceptance (0: nobody held longer). The evidence is these caps' counters.
 */
export function holdRuleFrom(settings: { ATTEMPT_HOLD_MS: number; ATTEMPT_HOLD_MAX_MS: number; RATE_ADDRESS_CUSTOMERS: number; RATE_SUBNET_CUSTOMERS: number }): HoldRule {
  return {
    stepMs: Math.max(settings.ATTEMPT_HOLD_MS, MIN_LOOK_STEP_MS),
    holdMaxMs: settings.ATTEMPT_HOLD_MAX_MS,
    heldAddressCustomers: heldFrom(settings.RATE_ADDRESS_CUSTOMERS),
    heldSubnetCustomers: heldFrom(settings.RATE_SUBNET_CUSTOMERS),
  };
}
