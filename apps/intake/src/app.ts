import express, { type Request, type RequestHandler, type Response } from 'express';
import { campaignRefusal, matchesCodeSpec, normalizeCode, type Campaign } from '@dropgate/core';
import { API_ERRORS, ApiError, apiErrorHandler, jsonBody, mountRoute, notFoundHandler, parseOrThrow, schemas, type ApiErrorCode } from '@dropgate/http';
import type { ClientSource, GuessBudgetOverride, GuessVerdict, WrongGuess } from '@dropgate/guard';
import { clientSource } from '@dropgate/guard';
import type { AttemptJobRequest, AttemptStatus } from '@dropgate/queue';
import type { AttemptGateway } from './attempt-gateway';
import { identifyCustomer, type CustomerTokenVerifier } from './customer-identity';
import { bodyFingerprint, IDEMPOTENCY_KEY } from './idempotency';
import { INTAKE_ROUTES, intakeOpenApi } from './intake-routes';
import type { IntakeMetrics } from './intake-metrics';
import { preferredWaitSeconds } from './prefer-wait';

export interface RateGuardLike {
  check(input: { ip: string; customerId?: string | undefined; source?: ClientSource | undefined }): Promise<{ allowed: true } | { allowed: false; reason: string; retryAfterS: number }>;
}

/** The guess budgets (@dropgate/guard's GuessBudget): in-memory block checks, and counting a wrong code. */
export interface GuessBudgetLike {
  blocked(source: ClientSource, customerId?: string): GuessVerdict;
  recordWrongGuess(guess: WrongGuess, override?: GuessBudgetOverride): Promise<GuessVerdict>;
}

export interface CampaignLookup {
  get(id: string): Campaign | undefined;
}

/** The in-memory code filter (@dropgate/code-filter's cache): false only for a code certainly not in the campaign. */
export interface CodeFilterLookup {
  mightContain(campaignId: string, code: string): boolean;
}

export interface IntakeSettings {
  /** Express `trust proxy` value: whether/which X-Forwarded-For hops to believe for the client IP. */
  trustProxy: boolean | number | string | string[];
  bodyLimitBytes: number;
  preferWaitMaxS: number;
  maxQueueDepth: number;
}

export interface IntakeDeps {
  settings: IntakeSettings;
  campaigns: CampaignLookup;
  codeFilter: CodeFilterLookup;
  guesses: GuessBudgetLike;
  gateway: AttemptGateway;
  guard: RateGuardLike;
  /** Checks customer tokens of campaigns with customerAuth "jwt" (in memory, no I/O). */
  customerTokens: CustomerTokenVerifier;
  metrics: IntakeMetrics;
  /** Sheds load (503 overloaded) while the event loop lags; mounted before the body parser. */
  shedder?: { middleware(): RequestHandler } | undefined;
  newAttemptId: () => string;
  onUnexpected: (err: unknown, req: Request) => void;
  now?: () => Date;
}

const BLOCKED_MESSAGE = 'too many wrong codes or requests from this source; try again later';

/** Writes a JSON body straight to the socket (what `res.json` ends up doing, without its checks). */
function sendJson(res: Response, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/**
 * The refusals of the hot paths (what bots meet most), written from prebuilt bodies: no exception (an Error
 * captures a stack trace through the whole router), no JSON.stringify, one cached metric child per reason.
 */
function refusals(metrics: IntakeMetrics) {
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
  const refuse = (res: Response, reason: string, code: ApiErrorCode, message: string): void => {
    count(reason);
    sendJson(res, API_ERRORS[code], bodyOf(code, message));
  };
  return {
    count,
    refuse,
    blocked(res: Response, verdict: Extract<GuessVerdict, { blocked: true }>): void {
      res.setHeader('Retry-After', String(verdict.retryAfterS));
      refuse(res, `blocked_${verdict.scope}`, 'rate_limited', BLOCKED_MESSAGE);
    },
    codeNotFound(res: Response): void {
      refuse(res, 'code_not_found', 'code_not_found', 'no such code in this campaign');
    },
  };
}

type Refusals = ReturnType<typeof refusals>;

/** Builds the public intake app; nothing listens until `main.ts` says so. */
export function createIntakeApp(deps: IntakeDeps): express.Express {
  const app = express();
  const now = deps.now ?? (() => new Date());
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('trust proxy', deps.settings.trustProxy);
  // No route reads a query string: don't parse one (bots may send big ones).
  app.set('query parser', false);
  app.use(measure(deps.metrics));

  // Liveness only. Readiness (/readyz) and /metrics are on the internal port (METRICS_PORT), never here.
  // The pid says which of the host's intake processes (INTAKE_PROCESSES) answered.
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', pid: process.pid });
  });
  // Overloaded: answer at once, before reading or parsing a body (the shedder is off unless configured).
  if (deps.shedder) app.use(deps.shedder.middleware());

  const openApi = intakeOpenApi();
  app.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(openApi);
  });

  const body = jsonBody(deps.settings.bodyLimitBytes);
  const refused = refusals(deps.metrics);
  // Before the body is read: a blocked address or subnet is refused from memory (no parsing, no I/O, no throw).
  const refuseBlockedSource: RequestHandler = (req, res, next) => {
    // req.ip is a getter that parses X-Forwarded-For (trust proxy) on every read: read it once per request.
    const ip = req.ip ?? 'unknown';
    const source = clientSource(ip);
    const verdict = deps.guesses.blocked(source);
    if (verdict.blocked) return refused.blocked(res, verdict);
    res.locals.ip = ip;
    res.locals.source = source;
    next();
  };
  const sourceOf = (res: Response): ClientSource => res.locals.source as ClientSource;

  mountRoute(app, INTAKE_ROUTES.redeem, refuseBlockedSource, ...body, async (req, res) => {
    const input = parseOrThrow(INTAKE_ROUTES.redeem.body, req.body);
    const source = sourceOf(res);
    const customerBlocked = deps.guesses.blocked(source, input.customerId);
    if (customerBlocked.blocked) return refused.blocked(res, customerBlocked);
    const campaign = openCampaign(deps, refused, res, input.campaignId, now());
    if (!campaign) return;
    const code = normalizeCode(campaign.codeSpec, input.code);
    if (!matchesCodeSpec(campaign.codeSpec, code)) return refused.refuse(res, 'code_format', 'invalid_code_format', 'this is not a code of this campaign');
    const customerId = await identify(deps, req, campaign, input.customerId);
    if (!deps.codeFilter.mightContain(campaign.id, code)) {
      // Certainly not a code of this campaign: answered without queueing; the wrong guess is counted.
      const verdict = await deps.guesses.recordWrongGuess({ source, customerId, campaignId: campaign.id }, campaign.settings.guessBudget);
      if (verdict.blocked) return refused.blocked(res, verdict);
      return refused.codeNotFound(res);
    }
    await accept(deps, refused, req, res, { name: 'redeem', data: { campaignId: campaign.id, customerId, code, acceptedAt: now().toISOString(), source } });
  });

  mountRoute(app, INTAKE_ROUTES.claim, refuseBlockedSource, ...body, async (req, res) => {
    const input = parseOrThrow(INTAKE_ROUTES.claim.body, req.body);
    const customerBlocked = deps.guesses.blocked(sourceOf(res), input.customerId);
    if (customerBlocked.blocked) return refused.blocked(res, customerBlocked);
    const campaign = openCampaign(deps, refused, res, input.campaignId, now());
    if (!campaign) return;
    // Before anything costs a Redis call or a token check: claims ("any code") are opt-in per campaign.
    if (!campaign.settings.claims) return refused.refuse(res, 'claims_disabled', 'claims_disabled', 'this campaign hands out codes only by redeeming a known code');
    if (input.tier !== undefined && !campaign.tiers.some((t) => t.name === input.tier)) {
      throw new ApiError('unknown_tier', `campaign has no tier "${input.tier}"`);
    }
    const customerId = await identify(deps, req, campaign, input.customerId);
    await accept(deps, refused, req, res, { name: 'claim', data: { campaignId: campaign.id, customerId, tier: input.tier, acceptedAt: now().toISOString(), source: sourceOf(res) } });
  });

  // Public campaign facts for a giveaway page (from the cached catalog; never a database read).
  mountRoute(app, INTAKE_ROUTES.campaign, (req, res) => {
    const id = parseOrThrow(schemas.id, req.params.campaignId, 'campaign id');
    const campaign = deps.campaigns.get(id);
    if (!campaign) throw new ApiError('campaign_not_found', 'no such campaign');
    res.json({
      id: campaign.id,
      name: campaign.name,
      open: campaignRefusal(campaign, now()) === null,
      startsAt: campaign.startsAt,
      endsAt: campaign.endsAt,
      tiers: campaign.tiers.map((t) => ({ name: t.name, reward: t.reward })),
    });
  });

  mountRoute(app, INTAKE_ROUTES.attempt, async (req, res) => {
    const attemptId = parseOrThrow(schemas.attemptId, req.params.attemptId, 'attempt id');
    // An expired or unknown id falls back to the store: count status reads per IP so they cannot flood it.
    await limit(deps, req);
    const view = await deps.gateway.view(attemptId).catch((err: unknown) => {
      throw unavailable(err);
    });
    if (!view) throw new ApiError('attempt_not_found', 'no such attempt (unknown, or expired)');
    res.json(view);
  });

  app.use(notFoundHandler);
  app.use(apiErrorHandler({ onUnexpected: deps.onUnexpected }));
  return app;
}

/** The campaign if it takes attempts now; otherwise the refusal is sent and the answer is undefined. */
function openCampaign(deps: IntakeDeps, refused: Refusals, res: Response, campaignId: string, now: Date): Campaign | undefined {
  const campaign = deps.campaigns.get(campaignId);
  if (!campaign) return void refused.refuse(res, 'campaign_not_found', 'campaign_not_found', 'no such campaign');
  // Cheap early answer from the cached catalog; the store re-checks authoritatively for what gets through.
  const refusal = campaignRefusal(campaign, now);
  if (refusal === null) return campaign;
  if (refusal === 'sold_out') refused.refuse(res, refusal, 'sold_out', 'every code of this campaign is taken');
  else refused.refuse(res, refusal, 'campaign_not_active', 'this campaign is not taking attempts now');
  return undefined;
}

/** The customer the attempt is for (body or verified token); refusals are counted by reason. */
async function identify(deps: IntakeDeps, req: Request, campaign: Campaign, bodyCustomerId: string | undefined): Promise<string> {
  try {
    return await identifyCustomer(deps.customerTokens, campaign, req, bodyCustomerId);
  } catch (err) {
    if (err instanceof ApiError) deps.metrics.rejected.inc({ reason: err.code });
    throw err;
  }
}

/** The rate filter: per client IP, and per customer when the request names one. */
async function limit(deps: IntakeDeps, req: Request, customerId?: string, source?: ClientSource, ip?: string): Promise<void> {
  const verdict = await deps.guard.check({ ip: ip ?? req.ip ?? 'unknown', customerId, source });
  if (!verdict.allowed) {
    deps.metrics.rejected.inc({ reason: `rate_${verdict.reason}` });
    throw new ApiError('rate_limited', 'too many requests', { retryAfterS: verdict.retryAfterS });
  }
}

/** Rate filter → backpressure → idempotent enqueue → 202 (or 200 when the client asked to wait and it finished). */
async function accept(deps: IntakeDeps, refused: Refusals, req: Request, res: Response, job: AttemptJobRequest): Promise<void> {
  await limit(deps, req, job.data.customerId, res.locals.source as ClientSource | undefined, res.locals.ip as string | undefined);
  if (deps.gateway.depth() > deps.settings.maxQueueDepth) {
    res.setHeader('Retry-After', '2');
    return refused.refuse(res, 'overloaded', 'overloaded', 'too many attempts are waiting; try again shortly');
  }

  const key = req.get('idempotency-key');
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) throw new ApiError('invalid_request', 'Idempotency-Key must be 8-128 visible ASCII characters');
  let attemptId = deps.newAttemptId();
  if (key !== undefined) {
    const bodyHash = bodyFingerprint(req.body);
    const known = await deps.gateway.rememberKey(`${job.name}:${job.data.customerId}`, key, { attemptId, bodyHash }).catch((err: unknown) => {
      throw unavailable(err);
    });
    if (known.bodyHash !== bodyHash) throw new ApiError('idempotency_key_reused', 'this Idempotency-Key was used with a different request body');
    attemptId = known.attemptId;
  }

  await deps.gateway.enqueue(attemptId, job).catch((err: unknown) => {
    throw unavailable(err);
  });
  deps.metrics.enqueued.inc({ kind: job.name });

  const waitS = preferredWaitSeconds(req.get('prefer'), deps.settings.preferWaitMaxS);
  res.setHeader('Location', `/v1/attempts/${attemptId}`);
  if (waitS > 0) {
    // The attempt is queued whatever happens now: a failure while waiting still answers 202, never an error
    // that would make the client send it again.
    const finished = await deps.gateway.waitFinished(attemptId, waitS * 1000).catch((err: unknown) => {
      deps.onUnexpected(err, req);
      return null;
    });
    res.setHeader('Preference-Applied', `wait=${waitS}`);
    if (finished) {
      res.status(200).json(finished);
      return;
    }
  }
  const queued: AttemptStatus = { attemptId, status: 'queued' };
  sendJson(res, 202, JSON.stringify(queued));
}

function unavailable(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError('unavailable', 'the queue is unreachable; try again shortly', { retryAfterS: 1 });
}

/** Request count and latency by route template (never by raw path: bots would explode the label set). */
function measure(metrics: IntakeMetrics): RequestHandler {
  // Label children cached per route/status: no label-object hashing per request.
  const counters = new Map<string, { inc(): void }>();
  const histograms = new Map<string, { observe(v: number): void }>();
  const counter = (route: string, status: number): { inc(): void } => {
    const key = `${status} ${route}`;
    let child = counters.get(key);
    if (!child) counters.set(key, (child = metrics.requests.labels({ route, status: String(status) })));
    return child;
  };
  const histogram = (route: string): { observe(v: number): void } => {
    let child = histograms.get(route);
    if (!child) histograms.set(route, (child = metrics.latency.labels({ route })));
    return child;
  };
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const route = routeLabel(req);
      counter(route, res.statusCode).inc();
      histogram(route).observe(Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };
}

function routeLabel(req: Request): string {
  const path = req.path;
  if (path.startsWith('/v1/attempts/')) return '/v1/attempts/:attemptId';
  if (path.startsWith('/v1/campaigns/')) return '/v1/campaigns/:campaignId';
  switch (path) {
    case '/v1/redemptions':
    case '/v1/claims':
    case '/healthz':
    case '/readyz':
    case '/metrics':
    case '/openapi.json':
      return path;
    default:
      return 'other';
  }
}
