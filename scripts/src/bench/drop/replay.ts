import { randomInt } from 'node:crypto';
import { Pool } from 'undici';
import { formatNumber } from '../table';
import { BotBrain, legitAddress, legitCustomerId, MAX_TRIES, MISTYPE_SHARE, type Plan } from './traffic';

/** How one side answers: Dropgate queues (202, or 200 once done within `Prefer: wait`), the baseline answers at once. */
export interface Side {
  name: 'dropgate' | 'baseline';
  url: string;
  campaignId: string;
  /** Dropgate only: legit customers ask to wait for their outcome and poll the attempt when the wait runs out. */
  async: boolean;
}

/** One redemption POST as seen by the client. */
interface Answer {
  status: number;
  /** Final outcome when known (redeemed, an error code, 'error' for 5xx/network), else undefined (queued). */
  outcome: string | undefined;
  attemptId: string | undefined;
  /** The POST's time as the client saw it (ms). */
  ms: number;
  /** 503 only: the Retry-After it came with (s), when it had one. */
  retryAfterS?: number;
}

export interface SecondBucket {
  t: number;
  /** 2xx: redeemed, or accepted into the queue. */
  served: number;
  /** 4xx: refused (filter, rate limit, taken, sold out, ...). */
  rejected: number;
  /** 5xx, network errors and time-outs. */
  failed: number;
}

/** One request of a legitimate customer, as the customer saw it (for the fairness figures of summary.ts). */
export interface LegitTry {
  customerId: string;
  code: string;
  /** The customer's deliberate typo (a well-formed wrong code): refusing it is right. */
  mistyped: boolean;
  /** Wall-clock ms when it was sent. */
  sentAt: number;
  /** The POST's time as the client saw it (ms), and whether it was a long poll (accepted with `Prefer: wait`). */
  ms: number;
  longPoll: boolean;
  status: number;
  /** The final answer: 'redeemed', an error code or refusal outcome, 'error' (5xx/network), 'no_outcome_in_30s'. */
  outcome: string;
  /** Dropgate: the attempt id when it was accepted (its recorded acceptance time is read from the database). */
  attemptId: string | undefined;
}

export interface ReplayResult {
  requests: number;
  durationS: number;
  statusReads: number;
  statuses: Record<string, number>;
  /** By final answer at the POST: 'redeemed', 'queued', or the error code. */
  answers: Record<string, number>;
  errors: number;
  /** Every POST, as the client timed it (from the call to the end of the body; the client's own pool wait included). */
  latenciesMs: number[];
  /** POSTs answered without waiting for an outcome: refusals, bots' 202s (and everything of the baseline). */
  immediateLatenciesMs: number[];
  /** POSTs sent with `Prefer: wait` and accepted: answered 200 once the outcome was known, or 202 when the wait ran out. */
  longPollLatenciesMs: number[];
  /** Of those, answered 202 (no outcome within the wait): the client then polls. */
  longPollTimedOut: number;
  acceptedIds: string[];
  accepted: number;
  rateLimited: number;
  /** 404 code_not_found answered by the POST itself with no attempt queued (Dropgate's filter). */
  notFoundAtOnce: number;
  legitTotal: number;
  legitRequests: number;
  legitRateLimited: number;
  /** Legit customers' POSTs answered 503 (shed, never accepted): each is retried after its Retry-After, up to SHED_RETRIES times. */
  legitShed: number;
  /** Legit sessions that ended on a 503: still shed after SHED_RETRIES retries of the same request. */
  legitGaveUpShed: number;
  /** Legit customers told they were served (redeemed) by the answers they got. */
  legitToldServed: number;
  /** Wall-clock ms of each legit customer's first request. */
  legitFirstAt: Map<string, number>;
  legitTries: LegitTry[];
  botRequests: number;
  /** Dropgate: bot POSTs refused at the intake (4xx, or 503 shed: nothing queued); always 0 for the baseline (no intake). */
  botRefused: number;
  /** Of those, shed (503 overloaded): bots do not wait for Retry-After, they send their next request. */
  botShed: number;
  /** Of those, refused because the campaign was over (sold_out, campaign_not_active), not by the bot defence. */
  botRefusedCampaignOver: number;
  botAccepted: number;
  startedAt: number;
  timeline: SecondBucket[];
}

const ATTEMPT_ID = /"attemptId"\s*:\s*"([^"]+)"/;
const OUTCOME = /"outcome"\s*:\s*"([a-z_]+)"/;
const ERROR_CODE = /"code"\s*:\s*"([a-z_]+)"/;
/**
 * Customers' connections: as many as customers talk at once (each is a browser of its own). A fixed pool (it was 256)
 * queued them in the client once more customers than that waited for their outcomes (a long poll holds its connection
 * for the ATTEMPT_HOLD_MS at least): ~95 requests/s at most, and the queue's wait was timed as Dropgate's latency.
 */
const CUSTOMER_CONNECTIONS = null;
/** A person finding another code and typing it: 2-4 s. */
const think = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 2000 + randomInt(2000)));
/** A legit customer retries a shed (503) request this many times, waiting its Retry-After (at most SHED_WAIT_CAP_S) plus up to 1 s of jitter. */
const SHED_RETRIES = 5;
const SHED_WAIT_CAP_S = 5;
const TAKEN = new Set(['code_already_used', 'already_redeemed', 'code_locked', 'code_disabled', 'code_not_found']);

/**
 * Replays the plan against one side with `connections` lanes (closed loop: each lane takes the next unit when its
 * previous one is done), counting every answer, and a per-second timeline of served / rejected / failed requests.
 */
export async function replay(side: Side, plan: Plan, brain: BotBrain, published: readonly string[], connections: number, log: (line: string) => void): Promise<ReplayResult> {
  // Bots share `connections` lanes (closed loop); customers come with connections of their own, as browsers do.
  const pool = new Pool(side.url, { connections, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000, keepAliveTimeout: 60_000 });
  const customerPool = new Pool(side.url, { connections: CUSTOMER_CONNECTIONS, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000, keepAliveTimeout: 60_000 });
  const r: ReplayResult = {
    requests: 0, durationS: 0, statusReads: 0, statuses: {}, answers: {}, errors: 0, latenciesMs: [], immediateLatenciesMs: [], longPollLatenciesMs: [], longPollTimedOut: 0, acceptedIds: [], accepted: 0, rateLimited: 0,
    notFoundAtOnce: 0, legitTotal: plan.legitCustomers, legitRequests: 0, legitRateLimited: 0, legitShed: 0, legitGaveUpShed: 0, legitToldServed: 0, legitFirstAt: new Map(), legitTries: [],
    botRequests: 0, botRefused: 0, botShed: 0, botRefusedCampaignOver: 0, botAccepted: 0, startedAt: Date.now(), timeline: [],
  };
  const t0 = performance.now();
  const bucket = (): SecondBucket => {
    const t = Math.floor((performance.now() - t0) / 1000);
    while (r.timeline.length <= t) r.timeline.push({ t: r.timeline.length, served: 0, rejected: 0, failed: 0 });
    return r.timeline[t]!;
  };
  const count = (m: Record<string, number>, k: string): void => void (m[k] = (m[k] ?? 0) + 1);

  const post = async (via: Pool, address: string, body: string, wait: boolean): Promise<Answer> => {
    const started = performance.now();
    r.requests++;
    try {
      const res = await via.request({
        method: 'POST',
        path: '/v1/redemptions',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': address, ...(wait ? { prefer: 'wait=10' } : {}) },
        body,
      });
      const text = await res.body.text();
      const ms = performance.now() - started;
      r.latenciesMs.push(ms);
      const longPoll = wait && (res.statusCode === 200 || res.statusCode === 202);
      (longPoll ? r.longPollLatenciesMs : r.immediateLatenciesMs).push(ms);
      if (longPoll && res.statusCode === 202) r.longPollTimedOut++;
      count(r.statuses, String(res.statusCode));
      const b = bucket();
      if (res.statusCode >= 500) {
        b.failed++;
        count(r.answers, `${res.statusCode}`);
        const retryAfterS = Number(res.headers['retry-after']);
        return { status: res.statusCode, outcome: 'error', attemptId: undefined, ms, ...(Number.isFinite(retryAfterS) ? { retryAfterS } : {}) };
      }
      if (res.statusCode >= 400) {
        b.rejected++;
        const code = ERROR_CODE.exec(text)?.[1] ?? String(res.statusCode);
        count(r.answers, code);
        if (res.statusCode === 429) r.rateLimited++;
        if (side.async && code === 'code_not_found') r.notFoundAtOnce++;
        if (!side.async) r.accepted++; // the baseline ran its database checks for it
        return { status: res.statusCode, outcome: code, attemptId: undefined, ms };
      }
      b.served++;
      r.accepted++;
      const attemptId = ATTEMPT_ID.exec(text)?.[1];
      if (attemptId) r.acceptedIds.push(attemptId);
      const outcome = res.statusCode === 200 ? OUTCOME.exec(text)?.[1] : undefined;
      count(r.answers, outcome ?? 'queued');
      return { status: res.statusCode, outcome, attemptId, ms };
    } catch {
      const ms = performance.now() - started;
      r.latenciesMs.push(ms);
      r.immediateLatenciesMs.push(ms);
      r.errors++;
      bucket().failed++;
      count(r.answers, 'network_error');
      return { status: 0, outcome: 'error', attemptId: undefined, ms };
    }
  };

  /** Dropgate: the outcome of a queued attempt, polled as a browser would (every 300 ms, at most 30 s). */
  const outcomeOf = async (address: string, attemptId: string): Promise<string> => {
    const deadline = performance.now() + 30_000;
    while (performance.now() < deadline) {
      r.statusReads++;
      try {
        const res = await customerPool.request({ method: 'GET', path: `/v1/attempts/${attemptId}`, headers: { 'x-forwarded-for': address } });
        const text = await res.body.text();
        const outcome = OUTCOME.exec(text)?.[1];
        if (res.statusCode === 200 && outcome) return outcome;
      } catch {
        // keep polling until the deadline
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    return 'no_outcome_in_30s';
  };

  /**
   * A legit customer's POST as a real client sends it: a 503 (shed before it was read, so never accepted: the same
   * request again is safe) is retried after its Retry-After (capped, jittered), at most SHED_RETRIES times.
   */
  const legitPost = async (address: string, body: string): Promise<Answer> => {
    for (let retry = 0; ; retry++) {
      if (retry > 0) r.legitRequests++;
      const a = await post(customerPool, address, body, side.async);
      if (a.status !== 503) return a;
      r.legitShed++;
      if (retry >= SHED_RETRIES) return a;
      await new Promise((resolve) => setTimeout(resolve, Math.min(a.retryAfterS ?? 1, SHED_WAIT_CAP_S) * 1000 + randomInt(1000)));
    }
  };

  const legit = async (c: number): Promise<void> => {
    const customerId = legitCustomerId(c);
    const address = legitAddress(c);
    r.legitFirstAt.set(customerId, Date.now());
    const tried = new Set<string>();
    const body = (code: string): string => JSON.stringify({ campaignId: side.campaignId, customerId, code });
    let code = published[randomInt(published.length)]!;
    if (Math.random() < MISTYPE_SHARE) {
      r.legitRequests++;
      const wrong = brain.wrongCode(code);
      const sentAt = Date.now();
      const a = await legitPost(address, body(wrong));
      if (a.status === 429) r.legitRateLimited++;
      let outcome = a.outcome;
      if (outcome === undefined && a.attemptId) outcome = await outcomeOf(address, a.attemptId);
      r.legitTries.push({ customerId, code: wrong, mistyped: true, sentAt, ms: a.ms, longPoll: side.async && (a.status === 200 || a.status === 202), status: a.status, outcome: outcome ?? 'queued', attemptId: a.attemptId });
      await think();
    }
    for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
      tried.add(code);
      r.legitRequests++;
      const sentAt = Date.now();
      const a = await legitPost(address, body(code));
      if (a.status === 503) r.legitGaveUpShed++; // the customer stops below: the session ends on the 503
      let outcome = a.outcome;
      if (outcome === undefined && a.attemptId) outcome = await outcomeOf(address, a.attemptId);
      r.legitTries.push({ customerId, code, mistyped: false, sentAt, ms: a.ms, longPoll: side.async && (a.status === 200 || a.status === 202), status: a.status, outcome: outcome ?? 'no_outcome', attemptId: a.attemptId });
      if (a.status === 429) r.legitRateLimited++;
      if (outcome === 'redeemed') {
        r.legitToldServed++;
        return;
      }
      if (!outcome || !TAKEN.has(outcome)) return; // sold out, limit reached, rate limited, error: the customer stops
      if (tried.size >= published.length) return;
      await think();
      do code = published[randomInt(published.length)]!;
      while (tried.has(code));
    }
  };

  const bot = async (seq: number): Promise<void> => {
    const req = brain.next(seq);
    r.botRequests++;
    const a = await post(pool, req.address, JSON.stringify({ campaignId: side.campaignId, customerId: req.customerId, code: req.code }), false);
    // Dropgate: queued (an attempt id) or refused at the intake (4xx, or 503 shed before the body was read: nothing
    // queued; a bot does not wait for Retry-After). The baseline has no intake:
    // every answered request went through its database checks.
    if (a.attemptId || (!side.async && a.status > 0 && a.status < 500)) r.botAccepted++;
    else if (side.async && a.status === 503) {
      r.botRefused++;
      r.botShed++;
    } else if (side.async && a.status >= 400 && a.status < 500) {
      r.botRefused++;
      if (a.outcome === 'sold_out' || a.outcome === 'campaign_not_active') r.botRefusedCampaignOver++;
    }
  };

  let next = 0;
  let active = 0;
  let lastReq = 0;
  let lastAt = t0;
  const progress = setInterval(() => {
    const now = performance.now();
    const rate = (r.requests - lastReq) / ((now - lastAt) / 1000);
    lastReq = r.requests;
    lastAt = now;
    log(
      `  ${side.name}: t=${((now - t0) / 1000).toFixed(0).padStart(3)} s  ${formatNumber(r.requests).padStart(8)} requests (${formatNumber(Math.round(rate)).padStart(6)}/s)  ` +
        `units ${formatNumber(next)}/${formatNumber(plan.units.length)}  2xx ${formatNumber(r.accepted)}  429 ${formatNumber(r.rateLimited)}  customers active ${formatNumber(active)} (${formatNumber(customerPool.stats.connected)} connections, ${formatNumber(customerPool.stats.queued)} queued in the client), served ${formatNumber(r.legitToldServed)}  errors ${formatNumber(r.errors)}`,
    );
  }, 2_000);
  // A customer arrives when the lanes reach their unit, then goes on at a human pace, holding no lane.
  const sessions: Array<Promise<void>> = [];
  try {
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (next < plan.units.length) {
          const unit = plan.units[next++]!;
          if (unit.kind === 'legit') {
            active++;
            sessions.push(legit(unit.customer).finally(() => void active--));
          } else await bot(unit.seq);
        }
      }),
    );
    await Promise.all(sessions);
  } finally {
    clearInterval(progress);
    r.durationS = (performance.now() - t0) / 1000;
    await Promise.all([pool.close().catch(() => undefined), customerPool.close().catch(() => undefined)]);
  }
  return r;
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
