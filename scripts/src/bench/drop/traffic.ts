import { randomInt } from 'node:crypto';
import { spreadAddress, subnetAddress } from '../addresses';
import { alphabetOf, wrongCodeLike } from '../load/scenarios';

/**
 * The drop's traffic, the same for both sides: a shuffled list of units, each one legitimate customer (a session of
 * one to a few requests, answers awaited) or one bot request (fire and forget).
 *
 * Legitimate customers (about a tenth of the requests): each from an address of their own, each found a published
 * code; some mistype it first (one character off: well-formed, wrong); told the code is taken, they look for another
 * published code (up to MAX_TRIES codes), 2-4 s later (a person typing); they stop once served, sold out or refused.
 * A customer arrives when the bots' lanes reach their unit and holds no lane (browsers have connections of their own).
 * Bots: BOT_ADDRESSES addresses in BOT_SUBNETS /24s; each request from one of them, with a NEW customer id (bots rotate
 * identities): half guess well-formed codes, a fifth hammer (the same request again), the rest replay published
 * codes they saw.
 */
export const BOT_SUBNETS = 6;
export const BOT_ADDRESSES = 300;
export const LEGIT_SHARE = 0.1;
export const MISTYPE_SHARE = 0.15;
export const MAX_TRIES = 8;
/** Customer ids: bots and customers are told apart in the database by these prefixes. */
export const BOT_PREFIX = 'bot-';
export const LEGIT_PREFIX = 'cust-';

export type Unit = { kind: 'legit'; customer: number } | { kind: 'bot'; seq: number };

export interface Plan {
  units: Unit[];
  legitCustomers: number;
  botRequests: number;
}

/** About `requests` redemption requests in all (a legit session's length depends on the answers it gets). */
export function planDrop(requests: number): Plan {
  const legitCustomers = Math.max(1, Math.round((requests * LEGIT_SHARE) / 1.3));
  const botRequests = Math.max(0, requests - Math.round(legitCustomers * 1.3));
  const units: Unit[] = [];
  for (let c = 0; c < legitCustomers; c++) units.push({ kind: 'legit', customer: c });
  for (let s = 0; s < botRequests; s++) units.push({ kind: 'bot', seq: s });
  for (let i = units.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [units[i], units[j]] = [units[j]!, units[i]!];
  }
  return { units, legitCustomers, botRequests };
}

export const legitCustomerId = (c: number): string => `${LEGIT_PREFIX}${c}`;
/** Customer c's own address (a different /24 for each of the first 65,536 customers). */
export const legitAddress = (c: number): string => spreadAddress(100, c);

/** Bot address a of BOT_ADDRESSES, in one of BOT_SUBNETS /24s (TEST-NET-ish 185.220.x.0/24). */
export const botAddress = (a: number): string => subnetAddress(`185.220.${a % BOT_SUBNETS}`, Math.floor(a / BOT_SUBNETS));

export interface BotRequest {
  address: string;
  customerId: string;
  code: string;
  kind: 'guess' | 'hammer' | 'replay';
}

/** Builds bot requests; remembers each address's last request so a "hammer" repeats it exactly. */
export class BotBrain {
  private readonly last = new Map<number, BotRequest>();
  private readonly alphabet: string;
  private readonly real: Set<string>;

  constructor(
    private readonly published: readonly string[],
    private readonly run: string,
  ) {
    this.alphabet = alphabetOf(published);
    this.real = new Set(published);
  }

  next(seq: number): BotRequest {
    const a = randomInt(BOT_ADDRESSES);
    const address = botAddress(a);
    const roll = Math.random();
    const previous = this.last.get(a);
    let req: BotRequest;
    if (roll < 0.2 && previous) req = { ...previous, kind: 'hammer' };
    else if (roll < 0.5) req = { address, customerId: `${BOT_PREFIX}${this.run}-${seq}`, code: this.published[randomInt(this.published.length)]!, kind: 'replay' };
    else req = { address, customerId: `${BOT_PREFIX}${this.run}-${seq}`, code: this.wrongCode(), kind: 'guess' };
    this.last.set(a, req);
    return req;
  }

  wrongCode(like?: string): string {
    let code: string;
    do code = wrongCodeLike(like ?? this.published[randomInt(this.published.length)]!, this.alphabet, like ? 1 : 6);
    while (this.real.has(code));
    return code;
  }
}
