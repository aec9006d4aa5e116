import express, { type RequestHandler, type Response } from 'express';
import { campaignRefusal } from '@dropgate/core';
import { isFinished, type AttemptStatus } from '@dropgate/queue';
import { answerOtherMethods, ApiError, apiErrorHandler, jsonBody, mountRoute, notFoundHandler, parseOrThrow, schemas } from '@dropgate/http';
import type { ClientSource } from '@dropgate/guard';
import { rateLimit, unavailable, type AttemptHandlers } from './attempt-handlers';
import type { IntakeDeps } from './intake-deps';
import { INTAKE_ROUTES, intakeOpenApi } from './intake-routes';
import { preferredWaitSeconds } from './prefer-wait';
import { RequestMeter, routeLabel } from './request-meter';

export type { CampaignLookup, CodeFilterLookup, GuessBudgetLike, IntakeDeps, IntakeSettings, RateGuardLike } from './intake-deps';

/**
 * Builds the public intake app (Express); nothing listens until `main.ts` says so. The attempt routes run `handlers`
 * (attempt-handlers.ts), the very functions the fast lane in front of this app runs (fast-lane.ts).
 */
export function createIntakeApp(deps: IntakeDeps, handlers: AttemptHandlers, meter: RequestMeter = new RequestMeter(deps.metrics)): express.Express {
  const app = express();
  const now = deps.now ?? (() => new Date());
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('trust proxy', deps.settings.trustProxy);
  // No route reads a query string: don't parse one (bots may send big ones).
  app.set('query parser', false);
  app.use(measure(meter));

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
  // Before the body is read: a blocked address or subnet is refused from memory (no parsing, no I/O, no throw).
  const refuseBlockedSource: RequestHandler = (req, res, next) => {
    // req.ip is a getter that parses X-Forwarded-For (trust proxy) on every read: read it once per request.
    const ip = req.ip ?? 'unknown';
    const source = handlers.admitSource(res, ip);
    if (!source) return;
    res.locals.ip = ip;
    res.locals.source = source;
    next();
  };
  const call = (req: express.Request, res: Response) => ({ req, res, ip: res.locals.ip as string, source: res.locals.source as ClientSource });

  mountRoute(app, INTAKE_ROUTES.redeem, refuseBlockedSource, ...body, (req, res) => handlers.redeem(req.body, call(req, res)));
  mountRoute(app, INTAKE_ROUTES.claim, refuseBlockedSource, ...body, (req, res) => handlers.claim(req.body, call(req, res)));

  // Public campaign facts for a giveaway page (from the cached catalog; never a database read).
  mountRoute(app, INTAKE_ROUTES.campaign, (req, res) => {
    const id = parseOrThrow(schemas.id, req.params.campaignId, 'campaign id');
    const campaign = deps.campaigns.get(id);
    // A draft is not announced yet (nor while its codes are generated): its name and rewards stay unpublished.
    if (!campaign || campaign.status === 'draft') throw new ApiError('campaign_not_found', 'no such campaign');
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
    await rateLimit(deps, req.ip ?? 'unknown');
    const view = await deps.gateway.view(attemptId).catch((err: unknown) => {
      throw unavailable(err);
    });
    if (!view) throw new ApiError('attempt_not_found', 'no such attempt (unknown, or expired)');
    res.json(await waitedView(deps, req, res, view));
  });

  // A known path with another method: 405 (OPTIONS: 204), both with `Allow`; only unknown paths are 404.
  answerOtherMethods(app, [...Object.values(INTAKE_ROUTES), { method: 'get', path: '/healthz' }, { method: 'get', path: '/openapi.json' }]);
  app.use(notFoundHandler);
  app.use(apiErrorHandler({ onUnexpected: deps.onUnexpected }));
  return app;
}

/**
 * `GET /v1/attempts/:id` with `Prefer: wait=N`: an unfinished attempt is answered once it finishes or after N seconds
 * (capped as on POST), whichever comes first, by the same waits as POST's (woken by the queue's events, no polling).
 */
async function waitedView(deps: IntakeDeps, req: express.Request, res: Response, view: AttemptStatus): Promise<AttemptStatus> {
  const waitS = preferredWaitSeconds(req.get('prefer'), deps.settings.preferWaitMaxS);
  if (waitS === 0) return view;
  res.setHeader('Preference-Applied', `wait=${waitS}`);
  if (isFinished(view)) return view;
  // Waiting costs a listener, not work: the request leaves the shedder's in-flight count.
  deps.shedder?.leave(res);
  // A failure while waiting answers what was read, as a poll would have.
  const finished = await deps.gateway.waitFinished(view.attemptId, waitS * 1000).catch((err: unknown) => {
    deps.onUnexpected(err, req);
    return null;
  });
  return finished ?? view;
}

/**
 * Request count and latency by route template, when the answer is sent: the route Express ran (so `/v1/claims/` or
 * `/V1/CLAIMS`, which Express routes to `/v1/claims`, count there too); `routeLabel` for what is answered before routing.
 */
function measure(meter: RequestMeter): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => meter.observe((req.route as { path?: string } | undefined)?.path ?? routeLabel(req.path), res.statusCode, start));
    next();
  };
}
