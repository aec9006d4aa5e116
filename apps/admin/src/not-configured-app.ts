import express from 'express';
import helmet from 'helmet';
import { ApiError, sendApiError } from '@dropgate/http';

/**
 * The admin while ADMIN_TOKENS is unset: every request (the API, the page, /readyz; /healthz says the process lives)
 * is answered 503 `admin_not_configured` with `message` (what to set). Staying up rather than exiting keeps docker
 * compose, whose restart policies restart whatever the exit code, from restarting it in a loop; its healthcheck
 * (/readyz) shows it unhealthy meanwhile.
 */
export function createNotConfiguredApp(message: string): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(helmet());
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use((_req, res) => sendApiError(res, new ApiError('admin_not_configured', message)));
  return app;
}
