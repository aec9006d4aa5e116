/**
 * The reference of `npm run bench:intake` and `bench:pipeline`: a bare Express 5 app with `express.json` and one route
 * (POST /v1/redemptions and /v1/claims) answering 202 with a small JSON body, nothing else (no metrics, no rate
 * limit, no queue). Run as its own process, as the intake is, so both are measured the same way; PROCESSES > 1 runs
 * it as a node:cluster of that many processes sharing the port, as the intake runs with INTAKE_PROCESSES. PORT from
 * the environment; prints "listening" once every process is.
 */
import cluster from 'node:cluster';
import express from 'express';

const processes = Math.max(1, Number(process.env.PROCESSES ?? 1));

if (processes > 1 && cluster.isPrimary) {
  let listening = 0;
  for (let i = 0; i < processes; i++) {
    cluster.fork().on('listening', () => {
      if (++listening === processes) process.stdout.write('listening\n');
    });
  }
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    process.exit(0);
  });
} else {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.post(['/v1/redemptions', '/v1/claims'], express.json({ limit: 4096 }), (_req, res) => {
    res.status(202).json({ attemptId: 'bare', status: 'queued' });
  });
  const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => {
    if (processes === 1) process.stdout.write('listening\n');
  });
  server.keepAliveTimeout = 65_000;
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
