import net from 'node:net';
import { startSystem, waitFor, type RunningSystem } from '@dropgate/testkit';

/**
 * A load balancer routing by /readyz must stop sending traffic to an intake the moment it is told to stop, while its
 * public port still drains a request in flight (the internal port closes last). Held open here by a request whose
 * body is still being sent; then the intake ends once it is gone.
 */
describe('readiness while the intake shuts down (spawned processes)', () => {
  let sys: RunningSystem;

  beforeAll(async () => {
    sys = await startSystem({ workers: 1, env: { INTAKE_PROCESSES: '1', RATE_LIMITS_ENABLED: 'false' } });
  }, 120_000);

  afterAll(async () => {
    await sys?.stop();
  }, 60_000);

  const readyz = async (): Promise<{ status: number; text: string }> => {
    const res = await fetch(`${sys.intakeInternalUrl}/readyz`);
    return { status: res.status, text: await res.text() };
  };

  it("answers 503 'shutting down' from SIGTERM on, while a request is still in flight", async () => {
    expect((await readyz()).status).toBe(200);

    // A redemption whose body is not all sent: the public port cannot close until it ends.
    const port = Number(new URL(sys.intakeUrl).port);
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.on('error', () => undefined);
    socket.write('POST /v1/claims HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"campaignId":');

    const exited = new Promise<number | null>((resolve) => sys.intake.once('exit', (code) => resolve(code)));
    sys.intake.kill('SIGTERM');
    const during = await waitFor('readiness to drop', async () => {
      const r = await readyz().catch(() => undefined);
      return r && r.status === 503 ? r : undefined;
    }, 5_000, 50);
    expect(during.text).toMatch(/shutting down/);

    socket.destroy();
    expect(await exited).toBe(0);
  }, 60_000);
});
