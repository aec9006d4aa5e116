import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter } from 'prom-client';
import { createInternalServer, createMetricsRegistry, registryMetrics } from './index';

describe('metrics', () => {
  let server: Server;
  let base = '';
  const registry = createMetricsRegistry('worker-test');
  const attempts = new Counter({ name: 'dropgate_test_attempts_total', help: 'attempts', labelNames: ['outcome'], registers: [registry] });
  // What the process's readiness check does next: answer, refuse, or hang (a dependency that is away).
  let readiness: 'ready' | 'refuse' | 'hang' = 'ready';

  beforeAll(async () => {
    server = createInternalServer({
      metrics: registryMetrics(registry),
      ready: () => (readiness === 'ready' ? Promise.resolve() : readiness === 'refuse' ? Promise.reject(new Error('redis down')) : new Promise<void>(() => undefined)),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('holds default metrics and app metrics, all labelled with the app', async () => {
    attempts.inc({ outcome: 'redeemed' });
    const text = await registry.metrics();
    expect(text).toMatch(/^process_cpu_user_seconds_total\{app="worker-test"\} /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds\{app="worker-test"\} /m);
    expect(text).toContain('dropgate_test_attempts_total{outcome="redeemed",app="worker-test"} 1');
  });

  it('serves the registry over plain Node http', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(registry.contentType);
    expect(await res.text()).toContain('dropgate_test_attempts_total');
  });

  it('refuses other methods', async () => {
    const res = await fetch(`${base}/metrics`, { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });

  it('answers /healthz and /readyz by what they mean, and nothing but /metrics with the metrics', async () => {
    // A probe of /readyz used to get the metrics text with 200 from the worker and admin ports, whatever the state.
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready' });
    const other = await fetch(`${base}/`);
    expect(other.status).toBe(404);
    expect(await other.text()).not.toContain('dropgate_test_attempts_total');
    readiness = 'refuse';
    const refused = await fetch(`${base}/readyz`);
    expect(refused.status).toBe(503);
    // Why, as the check said it: the operator knows where to look.
    expect(await refused.json()).toEqual({ error: { code: 'unavailable', message: 'not ready: redis down' } });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('says not ready when the readiness check does not answer in time', async () => {
    readiness = 'hang';
    const startedAt = Date.now();
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(Date.now() - startedAt).toBeLessThan(5000);
    readiness = 'ready';
  });
});
