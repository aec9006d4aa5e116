import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter } from 'prom-client';
import { createMetricsRegistry, metricsHandler } from './index';

describe('metrics', () => {
  let server: Server;
  let base = '';
  const registry = createMetricsRegistry('worker-test');
  const attempts = new Counter({ name: 'dropgate_test_attempts_total', help: 'attempts', labelNames: ['outcome'], registers: [registry] });

  beforeAll(async () => {
    server = createServer(metricsHandler(registry));
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
});
