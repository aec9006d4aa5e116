import { spreadAddress, subnetAddress } from '../addresses';

/** One request as the load generator sends it. */
export interface BenchRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** What a path needs to know about the campaign under test. */
export interface PathContext {
  campaignId: string;
  /** Real codes of the campaign (they pass the filter). */
  codes: readonly string[];
  /** Well-formed codes that are NOT in the campaign. */
  wrongCodes: readonly string[];
  /** A code the campaign's format refuses (right length, characters outside the alphabet). */
  badFormatCode: string;
  run: string;
}

export interface IntakePath {
  name: string;
  /** What every request of this path must be answered with, and the error code a probe must see (4xx). */
  status: number;
  errorCode?: string;
  /** The n-th request of the path (n from 0; distinct n, distinct customer; addresses as the path needs). */
  request(n: number): BenchRequest;
  /** Puts the system in the state the path measures (e.g. gets an address blocked); see `prime.ts`. */
  prime?: 'address' | 'subnet';
}

const json = (xff: string): Record<string, string> => ({ 'content-type': 'application/json', 'x-forwarded-for': xff });
const redeem = (ctx: PathContext, customerId: string, code: string): string => JSON.stringify({ campaignId: ctx.campaignId, customerId, code });

/** The address every "blocked address" request comes from, and the /24 of the "blocked subnet" path (TEST-NETs). */
export const BLOCKED_ADDRESS = '198.51.100.7';
export const BLOCKED_SUBNET = '203.0.113';

/**
 * The intake paths of issue 7, each from its own address range so no path's counting spills into another's: the
 * rotating paths put every request in a different /24 (no address or subnet budget is ever reached), the blocked
 * paths send REAL codes with fresh customer ids, so only the block can refuse them.
 */
export function intakePaths(ctx: PathContext): IntakePath[] {
  const at = <T>(list: readonly T[], n: number): T => list[n % list.length]!;
  return [
    {
      name: 'bad-format',
      status: 400,
      errorCode: 'invalid_code_format',
      request: (n) => ({ method: 'POST', path: '/v1/redemptions', headers: json(spreadAddress(11, n)), body: redeem(ctx, `bf-${ctx.run}-${n}`, ctx.badFormatCode) }),
    },
    {
      name: 'filter-miss',
      status: 404,
      errorCode: 'code_not_found',
      request: (n) => ({ method: 'POST', path: '/v1/redemptions', headers: json(spreadAddress(12, n)), body: redeem(ctx, `fm-${ctx.run}-${n}`, at(ctx.wrongCodes, n)) }),
    },
    {
      name: 'blocked-address',
      status: 429,
      errorCode: 'rate_limited',
      prime: 'address',
      request: (n) => ({ method: 'POST', path: '/v1/redemptions', headers: json(BLOCKED_ADDRESS), body: redeem(ctx, `ba-${ctx.run}-${n}`, at(ctx.codes, n)) }),
    },
    {
      name: 'blocked-subnet',
      status: 429,
      errorCode: 'rate_limited',
      prime: 'subnet',
      request: (n) => ({
        method: 'POST',
        path: '/v1/redemptions',
        headers: json(subnetAddress(BLOCKED_SUBNET, n)),
        body: redeem(ctx, `bs-${ctx.run}-${n}`, at(ctx.codes, n)),
      }),
    },
    {
      name: 'claims-disabled',
      status: 403,
      errorCode: 'claims_disabled',
      request: (n) => ({
        method: 'POST',
        path: '/v1/claims',
        headers: json(spreadAddress(13, n)),
        body: JSON.stringify({ campaignId: ctx.campaignId, customerId: `cd-${ctx.run}-${n}` }),
      }),
    },
    {
      name: 'accepted',
      status: 202,
      request: (n) => ({ method: 'POST', path: '/v1/redemptions', headers: json(spreadAddress(14, n)), body: redeem(ctx, `ac-${ctx.run}-${n}`, at(ctx.codes, n)) }),
    },
  ];
}
