import express, { type Request } from 'express';
import type { ChangeSink } from '@dropgate/changes';
import helmet from 'helmet';
import { answerOtherMethods, ApiError, apiErrorHandler, jsonBody, mountRoutes, notFoundHandler, openApiDocument, type Route } from '@dropgate/http';
import type { AdminJobCancels, AdminJobQueue, UploadStaging } from '@dropgate/queue';
import type { Store } from '@dropgate/store';
import { adminPageRouter, type AdminPageDeps } from './admin-page';
import { AdminService } from './admin-service';
import { ADMIN_SCOPES, matchToken, sha256, type AdminTokenEntry } from './admin-tokens';
import { auditTrail } from './audit-trail';
import type { AuthThrottle } from './auth-throttle';
import { bearerAuth } from './bearer-auth';
import type { LockReleaseScheduler } from './jobs/lock-releases';
import { requireScope } from './principal';
import type { RedisCalls } from './redis-calls';
import { adminRoutes } from './routes';

export interface AdminDeps {
  store: Store;
  /** Every change the admin makes is published here, so every intake applies it before the answer leaves. */
  changes: ChangeSink;
  /** Ends timed locks by themselves (without it, a lock with releaseAt is refused). */
  lockReleases?: LockReleaseScheduler | undefined;
  /** A campaign's wrong codes, for its stats (@dropgate/guard's `readCampaignWrongCodes`); absent: null in the stats. */
  wrongCodes?: ((campaignId: string) => Promise<number>) | undefined;
  /** How requests call Redis: refused at once (503 `unavailable`) while it is away; default: never known away. */
  redis?: RedisCalls | undefined;
  /** Resolves when Redis answers (@dropgate/queue's `redisAnswers`), for /readyz; absent: only the store is checked. */
  redisReady?: (() => Promise<void>) | undefined;
  /** The admin jobs queue (code generation, ...); its worker runs in the admin process (see main.ts). */
  jobs: AdminJobQueue;
  /** How long campaign creation waits for its generation job before answering 202 (default 10 s). */
  createWaitMs?: number | undefined;
  /** Named tokens with scopes (SHA-256 hashes). */
  tokens?: readonly AdminTokenEntry[] | undefined;
  /** One plain token with every scope, named "admin" (the former single-token set-up; tests). */
  token?: string | undefined;
  /** Failed logins per address (429 once over); none: unthrottled (tests that send many bad tokens on purpose). */
  authThrottle?: AuthThrottle | undefined;
  trustProxy: boolean | number | string | string[];
  bodyLimitBytes: number;
  onUnexpected: (err: unknown, req: Request) => void;
  /** Where imports are staged for the import job (the admin jobs worker reads them); without it, imports are refused. */
  uploads?: UploadStaging | undefined;
  /** Where a job's cancel is asked for (the admin jobs worker looks); without it, cancels are refused. */
  jobCancels?: AdminJobCancels | undefined;
  /** A failed audit write (the action itself succeeded): report it. */
  onAuditError?: ((err: unknown) => void) | undefined;
  /** The web page at / and bull-board at /admin/queues (its queues); without it, the API only. */
  page?: Omit<AdminPageDeps, 'verifyToken' | 'authThrottle' | 'redis'>;
}

export const ADMIN_PREFIX = '/admin/v1';

function tokenEntries(deps: AdminDeps): AdminTokenEntry[] {
  const entries = [...(deps.tokens ?? [])];
  if (deps.token !== undefined) entries.push({ name: 'admin', scopes: ADMIN_SCOPES, sha256: sha256(deps.token) });
  if (entries.length === 0) throw new Error('the admin app needs at least one token');
  return entries;
}

/** The admin API's OpenAPI 3.1 document, from the route table (the schemas that validate the requests). */
export function adminOpenApi(routes: readonly Route[]) {
  return openApiDocument({
    title: 'Dropgate admin API',
    version: '1',
    description: 'Bearer token on every /admin/v1 route; each operation names the scope it needs (x-required-scope).',
    groups: [{ prefix: ADMIN_PREFIX, routes }],
    bearerAuth: true,
  });
}

/** The admin API (bearer token on every /admin route). Nothing listens until `main.ts` says so. */
export function createAdminApp(deps: AdminDeps): express.Express {
  const service = new AdminService({
    store: deps.store,
    jobs: deps.jobs,
    changes: deps.changes,
    lockReleases: deps.lockReleases,
    uploads: deps.uploads,
    jobCancels: deps.jobCancels,
    wrongCodes: deps.wrongCodes,
    redis: deps.redis,
  });
  const routes = adminRoutes(service, { createWaitMs: deps.createWaitMs ?? 10_000 });
  const openApi = JSON.stringify(adminOpenApi(routes));

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy);
  // Security headers on every answer (CSP, HSTS, nosniff, frame-ancestors none, ...).
  app.use(helmet());
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    await deps.store.ping().catch(() => {
      throw new ApiError('unavailable', 'the store is unreachable', { retryAfterS: 1 });
    });
    await deps.redisReady?.().catch(() => {
      throw new ApiError('unavailable', 'Redis is unreachable', { retryAfterS: 1 });
    });
    res.json({ status: 'ready' });
  });
  app.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(openApi);
  });

  const tokens = tokenEntries(deps);
  const admin = express.Router();
  admin.use(bearerAuth(tokens, deps.authThrottle));
  const json = jsonBody(deps.bodyLimitBytes);
  const onAuditError = deps.onAuditError ?? (() => undefined);
  mountRoutes(admin, routes, {
    before: (route) => [
      ...(route.scope ? [requireScope(route.scope)] : []),
      ...(route.bodyContentTypes ? [] : json),
      // Every change and every export is an audited admin action.
      ...(route.scope === 'write' || route.scope === 'export' ? [auditTrail(route, deps.store.audit, onAuditError)] : []),
    ],
  });

  // A known path with another method: 405 (OPTIONS: 204), both with `Allow` (after the bearer check, as every route).
  answerOtherMethods(admin, routes);
  app.use(ADMIN_PREFIX, admin);
  if (deps.page) app.use(adminPageRouter({ ...deps.page, verifyToken: (token) => matchToken(tokens, token) !== null, authThrottle: deps.authThrottle, redis: deps.redis }));
  answerOtherMethods(app, [
    { method: 'get', path: '/healthz' },
    { method: 'get', path: '/readyz' },
    { method: 'get', path: '/openapi.json' },
  ]);
  app.use(notFoundHandler);
  app.use(apiErrorHandler({ onUnexpected: deps.onUnexpected }));
  return app;
}
