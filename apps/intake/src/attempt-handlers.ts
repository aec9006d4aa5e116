import type { IncomingMessage, ServerResponse } from 'node:http';
import { campaignRefusal, findTier, matchesCodeSpec, normalizeCode, type Campaign } from '@dropgate/core';
import { API_ERRORS, ApiError, parseOrThrow, sendJsonText, type ApiErrorCode } from '@dropgate/http';
import { clientSource, type ClientSource, type GuessVerdict } from '@dropgate/guard';
import { isFinished, type AttemptJobRequest, type AttemptStatus } from '@dropgate/queue';
import { identifyCustomer } from './customer-identity';
import { IDEMPOTENCY_KEY, idempotencyScope, requestFingerprint, type AttemptRequestFacts } from './idempotency';
import type { IntakeDeps } from './intake-deps';
import { INTAKE_ROUTES } from './intake-routes';
import { preferredWaitSeconds } from './prefer-wait';

/** One attempt request once its source is known: plain Node objects, as Express and the fast lane both have them. */
export interface AttemptCall {
  req: IncomingMessage;
  res: ServerResponse;
  /** The client address (X-Forwarded-For as far as `trust proxy` says), read once. */
  ip: string;
  source: ClientSource;
}

const BLOCKED_MESSAGE = 'too many wrong codes or requests from this source; try again later';

/**
 * The refusals of the hot paths (what bots meet most), written from prebuilt bodies: no exception (an Error
 * captures a stack trace), no JSON.stringify, one cached metric child per reason.
 */
function refusals(metrics: IntakeDeps['metrics']) {
  const counters = new Map<string, { inc(): void }>();
  const count = (reason: string): void => {
    let counter = counters.get(reason);
    if (!counter) counters.set(reason, (counter = metrics.rejected.labels({ reason })));
    counter.inc();
  };
  const bodies = new Map<string, string>();
  const bodyOf = (code: ApiErrorCode, message: string): string => {
    const id = `${code}\n${message}`;
    let body = bodies.get(id);
    if (body === undefined) bodies.set(id, (body = JSON.stringify(new ApiError(code, message).toBody())));
    return body;
  };
  const refuse = (res: ServerResponse, reason: string, code: ApiErrorCode, message: string): void => {
    count(reason);
    sendJsonText(res, API_ERRORS[code], bodyOf(code, message));
  };
  return {
    count,
    refuse,
    blocked(res: ServerResponse, verdict: Extract<GuessVerdict, { blocked: true }>): void {
      res.setHeader('Retry-After', String(verdict.retryAfterS));
      refuse(res, `blocked_${verdict.scope}`, 'rate_limited', BLOCKED_MESSAGE);
    },
    codeNotFound(res: ServerResponse): void {
      refuse(res, 'code_not_found', 'code_not_found', 'no such code in this campaign');
    },
  };
}

type Refusals = ReturnType<typeof refusals>;

export type AttemptHandlers = ReturnType<typeof attemptHandlers>;

/**
 * What `POST /v1/redemptions` and `POST /v1/claims` do, written once on plain Node requests and responses: the Express
 * routes (app.ts) and the fast lane (fast-lane.ts) call these same functions, so both answer alike by construction.
 * Refusals are answered here; anything thrown is an `ApiError` (or unexpected) for the caller's error answer.
 */
export function attemptHandlers(deps: IntakeDeps) {
  const now = deps.now ?? (() => new Date());
  const refused = refusals(deps.metrics);
  return {
    /**
     * Before the body is read: the source of `ip`, or undefined when it is blocked (the refusal is sent, from memory:
     * no parsing, no I/O, no throw).
     */
    admitSource(res: ServerResponse, ip: string): ClientSource | undefined {
      const source = clientSource(ip);
      const verdict = deps.guesses.blocked(source);
      if (!verdict.blocked) return source;
      refused.blocked(res, verdict);
      return undefined;
    },

    async redeem(body: unknown, call: AttemptCall): Promise<void> {
      const { res, source } = call;
      const input = parseOrThrow(INTAKE_ROUTES.redeem.body, body);
      const customerBlocked = deps.guesses.blocked(source, input.customerId);
      if (customerBlocked.blocked) return refused.blocked(res, customerBlocked);
      const campaign = openCampaign(deps, refused, call, input.campaignId, now());
      if (!campaign) return;
      if (isClosed(campaign)) {
        const facts = { campaignId: campaign.campaign.id, code: normalizeCode(campaign.campaign.codeSpec, input.code) };
        return retryOrRefuse(deps, refused, call, facts, 'redeem', campaign, input.customerId);
      }
      const code = normalizeCode(campaign.codeSpec, input.code);
      if (!matchesCodeSpec(campaign.codeSpec, code)) return refused.refuse(res, 'code_format', 'invalid_code_format', 'this is not a code of this campaign');
      const customerId = await identify(deps, call.req, campaign, input.customerId);
      const tokenCustomer = tokenCustomerVerdict(deps, source, input.customerId, customerId);
      if (tokenCustomer.blocked) return refused.blocked(res, tokenCustomer);
      if (!deps.codeFilter.mightContain(campaign.id, code)) {
        // Certainly not a code of this campaign: answered without queueing; the wrong guess is counted.
        const verdict = await deps.guesses.recordWrongGuess({ source, customerId, campaignId: campaign.id }, campaign.settings.guessBudget);
        if (verdict.blocked) return refused.blocked(res, verdict);
        return refused.codeNotFound(res);
      }
      await accept(deps, refused, call, { name: 'redeem', data: { campaignId: campaign.id, customerId, code, acceptedAt: now().toISOString(), source } });
    },

    async claim(body: unknown, call: AttemptCall): Promise<void> {
      const { res, source } = call;
      const input = parseOrThrow(INTAKE_ROUTES.claim.body, body);
      // Claims ("any code") are opt-in per campaign: decided from the catalog first, before anything else is looked at.
      const campaign = openCampaign(deps, refused, call, input.campaignId, now());
      if (!campaign) return;
      if (isClosed(campaign)) return retryOrRefuse(deps, refused, call, { campaignId: campaign.campaign.id, tier: input.tier }, 'claim', campaign, input.customerId);
      if (!campaign.settings.claims) return refused.refuse(res, 'claims_disabled', 'claims_disabled', 'this campaign hands out codes only by redeeming a known code');
      const customerBlocked = deps.guesses.blocked(source, input.customerId);
      if (customerBlocked.blocked) return refused.blocked(res, customerBlocked);
      if (input.tier !== undefined && findTier(campaign, input.tier) === undefined) {
        throw new ApiError('unknown_tier', `campaign has no tier "${input.tier}"`);
      }
      const customerId = await identify(deps, call.req, campaign, input.customerId);
      const tokenCustomer = tokenCustomerVerdict(deps, source, input.customerId, customerId);
      if (tokenCustomer.blocked) return refused.blocked(res, tokenCustomer);
      await accept(deps, refused, call, { name: 'claim', data: { campaignId: campaign.id, customerId, tier: input.tier, acceptedAt: now().toISOString(), source } });
    },
  };
}

/** A campaign that takes no attempts now, asked for by a request with an Idempotency-Key (maybe a retry). */
interface ClosedCampaign {
  closed: 'sold_out' | 'campaign_not_active';
  campaign: Campaign;
}

const isClosed = (found: Campaign | ClosedCampaign): found is ClosedCampaign => 'closed' in found;

/**
 * The campaign if it takes attempts now. Otherwise the refusal is sent and the answer is undefined, but for a request
 * with an Idempotency-Key: it may retry an attempt accepted before the campaign closed, so the caller looks first.
 */
function openCampaign(deps: IntakeDeps, refused: Refusals, call: AttemptCall, campaignId: string, now: Date): Campaign | ClosedCampaign | undefined {
  const campaign = deps.campaigns.get(campaignId);
  if (!campaign) return void refused.refuse(call.res, 'campaign_not_found', 'campaign_not_found', 'no such campaign');
  // Cheap early answer from the cached catalog; the store re-checks authoritatively for what gets through.
  const refusal = campaignRefusal(campaign, now);
  if (refusal === null) return campaign;
  if (header(call.req, 'idempotency-key') !== undefined) return { closed: refusal, campaign };
  return void refuseClosed(refused, call.res, refusal);
}

function refuseClosed(refused: Refusals, res: ServerResponse, refusal: ClosedCampaign['closed']): void {
  if (refusal === 'sold_out') refused.refuse(res, refusal, 'sold_out', 'every code of this campaign is taken');
  else refused.refuse(res, refusal, 'campaign_not_active', 'this campaign is not taking attempts now');
}

/**
 * A request with an Idempotency-Key on a closed campaign. The retry of an attempt accepted before the campaign closed
 * gets that attempt, as any retry does: a drop sells out in seconds, and a client whose 202 was lost must not be told
 * `sold_out` about the attempt that may have won. Anything else (an unknown key, another request, another customer)
 * gets the refusal. Costs a Redis read (two for a retry), on this path only; nothing is queued.
 */
async function retryOrRefuse(
  deps: IntakeDeps,
  refused: Refusals,
  call: AttemptCall,
  facts: AttemptRequestFacts,
  kind: AttemptJobRequest['name'],
  { closed, campaign }: ClosedCampaign,
  bodyCustomerId: string | undefined,
): Promise<void> {
  const earlier = await earlierAttempt(deps, call.req, facts, kind, campaign, bodyCustomerId);
  if (earlier === undefined) return refuseClosed(refused, call.res, closed);
  await answerAccepted(deps, call, earlier.attemptId, earlier);
}

/** The attempt this request's Idempotency-Key was first used for with the same request, as it is now, if it exists. */
async function earlierAttempt(
  deps: IntakeDeps,
  req: IncomingMessage,
  facts: AttemptRequestFacts,
  kind: AttemptJobRequest['name'],
  campaign: Campaign,
  bodyCustomerId: string | undefined,
): Promise<AttemptStatus | undefined> {
  const key = header(req, 'idempotency-key');
  if (key === undefined || !IDEMPOTENCY_KEY.test(key)) return undefined;
  // Not a customer this campaign would take (no customerId, a bad token): no attempt of theirs was accepted.
  const customerId = await identifyCustomer(deps.customerTokens, campaign, req, bodyCustomerId).catch(() => undefined);
  if (customerId === undefined) return undefined;
  const known = await deps.gateway.recallKey(idempotencyScope(kind, customerId), key).catch((err: unknown) => {
    throw unavailable(err);
  });
  if (known === null || known.fingerprint !== requestFingerprint(facts)) return undefined;
  // The key is remembered just before its attempt is queued: answer only an attempt that exists.
  const view = await deps.gateway.view(known.attemptId).catch((err: unknown) => {
    throw unavailable(err);
  });
  return view ?? undefined;
}

const NOT_BLOCKED: GuessVerdict = Object.freeze({ blocked: false });

/**
 * Is a customer the token alone names (customerAuth "jwt", no customerId in the body) blocked? Known only once the
 * token is verified, so asked then (memory only, as for a body's customerId right after the body is parsed);
 * without it a verified customer over their guess budget could still redeem by leaving customerId out.
 */
function tokenCustomerVerdict(deps: IntakeDeps, source: ClientSource, bodyCustomerId: string | undefined, customerId: string): GuessVerdict {
  return bodyCustomerId === undefined ? deps.guesses.blocked(source, customerId) : NOT_BLOCKED;
}

/** The customer the attempt is for (body or verified token); refusals are counted by reason. */
async function identify(deps: IntakeDeps, req: IncomingMessage, campaign: Campaign, bodyCustomerId: string | undefined): Promise<string> {
  try {
    return await identifyCustomer(deps.customerTokens, campaign, req, bodyCustomerId);
  } catch (err) {
    if (err instanceof ApiError) deps.metrics.rejected.inc({ reason: err.code });
    throw err;
  }
}

/** The rate filter: per client IP, and per customer when the request names one. */
export async function rateLimit(deps: IntakeDeps, ip: string, customerId?: string, source?: ClientSource): Promise<void> {
  const verdict = await deps.guard.check({ ip, customerId, source });
  if (!verdict.allowed) {
    deps.metrics.rejected.inc({ reason: `rate_${verdict.reason}` });
    throw new ApiError('rate_limited', 'too many requests', { retryAfterS: verdict.retryAfterS });
  }
}

/** A request header as Express's `req.get` reads it. */
function header(req: IncomingMessage, name: 'idempotency-key' | 'prefer'): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Rate filter → backpressure → idempotent enqueue → 202 (or 200 when the client asked to wait and it finished). */
async function accept(deps: IntakeDeps, refused: Refusals, call: AttemptCall, job: AttemptJobRequest): Promise<void> {
  const { req, res } = call;
  await rateLimit(deps, call.ip, job.data.customerId, call.source);
  if (deps.gateway.depth() > deps.settings.maxQueueDepth) {
    res.setHeader('Retry-After', '2');
    return refused.refuse(res, 'overloaded', 'overloaded', 'too many attempts are waiting; try again shortly');
  }

  const key = header(req, 'idempotency-key');
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) throw new ApiError('invalid_request', 'Idempotency-Key must be 8-128 visible ASCII characters');
  let attemptId = deps.newAttemptId();
  let retry = false;
  if (key !== undefined) {
    const fingerprint = requestFingerprint(factsOf(job));
    const known = await deps.gateway.rememberKey(idempotencyScope(job.name, job.data.customerId), key, { attemptId, fingerprint }).catch((err: unknown) => {
      throw unavailable(err);
    });
    if (known.fingerprint !== fingerprint) throw new ApiError('idempotency_key_reused', 'this Idempotency-Key was used with a different request (campaign, code or tier)');
    retry = known.attemptId !== attemptId;
    attemptId = known.attemptId;
  }

  await deps.gateway.enqueue(attemptId, job).catch((err: unknown) => {
    throw unavailable(err);
  });
  deps.metrics.enqueued.inc({ kind: job.name });
  await answerAccepted(deps, call, attemptId, retry ? 'unread' : undefined);
}

/** What a queued attempt asks for, as its Idempotency-Key remembers it. */
function factsOf(job: AttemptJobRequest): AttemptRequestFacts {
  return job.name === 'redeem' ? { campaignId: job.data.campaignId, code: job.data.code } : { campaignId: job.data.campaignId, tier: job.data.tier };
}

/**
 * The answer of an accepted attempt: 202 + Location, or 200 with its outcome if the client waits (Prefer) and it
 * finishes. A retry (its Idempotency-Key already known: `retryOf`, its attempt as read, or 'unread') is answered with
 * where its attempt is now, 200 with the outcome once finished: a client whose first answer was lost learns the outcome
 * rather than "queued" about an attempt long done. Read on retries only.
 */
async function answerAccepted(deps: IntakeDeps, call: AttemptCall, attemptId: string, retryOf?: AttemptStatus | 'unread'): Promise<void> {
  const { req, res } = call;
  const waitS = preferredWaitSeconds(header(req, 'prefer'), deps.settings.preferWaitMaxS);
  res.setHeader('Location', `/v1/attempts/${attemptId}`);
  if (waitS > 0) {
    // Waiting costs a listener, not work: the request leaves the shedder's in-flight count.
    deps.shedder?.leave(res);
    // The attempt is queued whatever happens now: a failure while waiting still answers 202, never an error
    // that would make the client send it again.
    const finished = await deps.gateway.waitFinished(attemptId, waitS * 1000).catch((err: unknown) => {
      deps.onUnexpected(err, req);
      return null;
    });
    res.setHeader('Preference-Applied', `wait=${waitS}`);
    if (finished) return sendJsonText(res, 200, JSON.stringify(finished));
  } else if (retryOf !== undefined) {
    const now = retryOf !== 'unread' ? retryOf : await deps.gateway.view(attemptId).catch((err: unknown) => void deps.onUnexpected(err, req));
    if (now && isFinished(now)) return sendJsonText(res, 200, JSON.stringify(now));
    if (now) return sendJsonText(res, 202, JSON.stringify(now));
  }
  const queued: AttemptStatus = { attemptId, status: 'queued' };
  sendJsonText(res, 202, JSON.stringify(queued));
}

export function unavailable(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError('unavailable', 'the queue is unreachable; try again shortly', { retryAfterS: 1 });
}
