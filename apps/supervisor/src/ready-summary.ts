import type { IntakeConfig, SupervisorConfig } from '@dropgate/config';

const answers = async (url: string): Promise<boolean> => {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
};

/**
 * Waits until the intake and the admin answer (`/healthz`, `/readyz`), then says where everything is: the line an
 * operator looks for after `npm start`. Gives up silently once `stopped()` (a stop or a failure said why already).
 */
export async function announceWhenReady(config: SupervisorConfig, intake: IntakeConfig, startedAt: number, stopped: () => boolean, log: (msg: string) => void): Promise<void> {
  const intakeUrl = `http://localhost:${config.PORT}`;
  const adminUrl = `http://localhost:${config.ADMIN_PORT}`;
  for (;;) {
    if (stopped()) return;
    const [intakeUp, adminUp] = await Promise.all([answers(`http://127.0.0.1:${config.PORT}/healthz`), answers(`http://127.0.0.1:${config.ADMIN_PORT}/readyz`)]);
    if (intakeUp && adminUp) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (stopped()) return;
  const lastWorkerPort = config.WORKER_METRICS_PORT + config.WORKERS - 1;
  const workerPorts = config.WORKERS === 1 ? `:${config.WORKER_METRICS_PORT}` : `:${config.WORKER_METRICS_PORT}-${lastWorkerPort}`;
  log(`ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s:`);
  log(`  public API    ${intakeUrl}  (POST /v1/redemptions, POST /v1/claims, GET /v1/attempts/:id; GET /openapi.json)`);
  log(`  admin         ${adminUrl}/  (the web page; API under /admin/v1, GET /openapi.json; CLI: DROPGATE_ADMIN_URL=${adminUrl} npm run -s cli -- --help)`);
  log(`  metrics       intake http://${intake.METRICS_HOST}:${intake.METRICS_PORT}/metrics, admin :${config.ADMIN_METRICS_PORT}, workers ${workerPorts} (internal)`);
  log(`Ctrl-C stops everything`);
}
