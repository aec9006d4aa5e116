import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express, { type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { answerOtherMethods, ApiError, jsonBody, onlyMethods, parseOrThrow, type MethodAndPath } from '@dropgate/http';
import { attemptLogin, type AuthThrottle } from './auth-throttle';
import { PageSessions } from './page-sessions';
import { redisUnavailable, type RedisCalls } from './redis-calls';

export interface AdminPageDeps {
  /** Checks an admin token (the same check as the API's bearer). */
  verifyToken: (token: string) => boolean;
  /** Failed sign-ins count with the API's failed logins (none: unthrottled). */
  authThrottle?: AuthThrottle | undefined;
  /** BullMQ queues shown by bull-board under /admin/queues. */
  queues: readonly Queue[];
  /** While Redis is away, bull-board's API (the page polls it) answers 503 `unavailable` at once, not its own 500. */
  redis?: Pick<RedisCalls, 'isDown'> | undefined;
  /** Where `npm run build` put the bundled page (apps/admin/dist/public). */
  publicDir?: string;
  sessionTtlMs?: number;
}

const COOKIE = 'dg_admin_session';
export const QUEUES_PATH = '/admin/queues';

/** The page's own scripts and styles only: no inline script or style, no other origin. */
const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** bull-board's prebuilt UI sets inline styles (React style attributes); its scripts are still same-origin files only. */
const QUEUES_CSP = PAGE_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'").replace("base-uri 'none'", "base-uri 'self'");

const loginBody = z.strictObject({ token: z.string().min(1).max(512) });

function sessionCookie(req: Request): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE) return value.join('=');
  }
  return undefined;
}

const csp =
  (policy: string): RequestHandler =>
  (_req, res, next) => {
    res.setHeader('Content-Security-Policy', policy);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  };

/**
 * The admin web page at `/` (static, bundled at build time), token sign-in at `/session` (an HttpOnly,
 * SameSite=Strict session cookie), and bull-board at /admin/queues behind that session.
 */
export function adminPageRouter(deps: AdminPageDeps): express.Router {
  const publicDir = deps.publicDir ?? path.resolve(__dirname, 'public');
  const sessions = new PageSessions(deps.sessionTtlMs ?? 8 * 3600_000);
  const router = express.Router();

  router.post('/session', ...jsonBody(4096), async (req: Request, res: Response) => {
    const { token } = parseOrThrow(loginBody, req.body);
    // A login like the API's bearer token: the same failed-login count per address, the same block.
    const ok = await attemptLogin(deps.authThrottle, req.ip ?? 'unknown', () => (deps.verifyToken(token) ? true : null));
    if (!ok) throw new ApiError('unauthorized', 'this token is not accepted');
    const id = sessions.open();
    res.cookie(COOKIE, id, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/', maxAge: sessions.ttlMs });
    res.status(204).end();
  });
  router.delete('/session', (req, res) => {
    sessions.close(sessionCookie(req));
    res.clearCookie(COOKIE, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/' });
    res.status(204).end();
  });

  const requireSession: RequestHandler = (req, res, next) => {
    if (sessions.isOpen(sessionCookie(req))) return next();
    // A browser is sent to sign in; anything else gets the API's 401.
    if (req.method === 'GET' && req.accepts(['html', 'json']) === 'html') return res.redirect(303, '/');
    next(new ApiError('unauthorized', 'sign in on the admin page first'));
  };
  const board = new ExpressAdapter();
  board.setBasePath(QUEUES_PATH);
  // Read-only: every change goes through the audited admin API, none through the queue browser.
  createBullBoard({ queues: deps.queues.map((q) => new BullMQAdapter(q, { readOnlyMode: true })), serverAdapter: board, options: { uiConfig: { boardTitle: 'Dropgate queues' } } });
  // Read-only, so GET only: any other method is the API's 405 (or 204 for OPTIONS), after the session as on every route.
  const queuesReadable: RequestHandler = (req, _res, next) => next(req.path.startsWith('/api/') && deps.redis?.isDown ? redisUnavailable() : undefined);
  router.use(QUEUES_PATH, csp(QUEUES_CSP), requireSession, onlyMethods(['get']), queuesReadable, board.getRouter() as express.Router);

  const sessionRoutes: MethodAndPath[] = [
    { method: 'post', path: '/session' },
    { method: 'delete', path: '/session' },
  ];
  if (!existsSync(path.join(publicDir, 'index.html'))) {
    router.get('/', (_req: Request, res: Response) => {
      res.status(503).type('text/plain').send('The admin page is not built: run `npm run build`.\n');
    });
    answerOtherMethods(router, [...sessionRoutes, { method: 'get', path: '/' }]);
    return router;
  }
  router.use(csp(PAGE_CSP), express.static(publicDir, { index: 'index.html', fallthrough: true, maxAge: 0 }));
  answerOtherMethods(router, [...sessionRoutes, ...staticFiles(publicDir).map((file): MethodAndPath => ({ method: 'get', path: file }))]);
  return router;
}

/** The page's paths (`/`, and each file built into `publicDir`), read once: what the static files answer to GET. */
function staticFiles(publicDir: string): string[] {
  const files = readdirSync(publicDir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => '/' + path.relative(publicDir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    // Plain names only: anything else would be read as route syntax (`:param`, `*`, braces).
    .filter((file) => /^[\w./-]+$/.test(file));
  return ['/', ...files];
}
