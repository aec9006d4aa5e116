import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { appEntry, appEnv, deleteKeysByPrefix, dropSchema, freePort, requestJson, TEST_DATABASE_URL, waitFor } from '@dropgate/testkit';

/**
 * What `npm start` runs (the supervisor, after `tsc -b`), from an empty schema: it applies the migrations, starts
 * intake, admin and two workers, serves a real claim, and stops everything cleanly on Ctrl-C (SIGINT).
 */
const portIsFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

describe('npm start (the supervisor) on an empty database', () => {
  const id = randomBytes(4).toString('hex');
  const schema = `dg_start_${id}`;
  const prefix = `dgstart${id}`;
  let supervisor: ChildProcess | undefined;
  let output = '';

  afterAll(async () => {
    // The supervisor runs in its own process group: on a failure, take its children down with it.
    if (supervisor?.pid !== undefined && supervisor.exitCode === null) {
      try {
        process.kill(-supervisor.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await dropSchema(schema);
    await deleteKeysByPrefix(prefix);
  });

  it('migrates, runs every process, serves a claim, and stops on SIGINT', async () => {
    const schemaExists = async (): Promise<boolean> => {
      const db = new Client({ connectionString: TEST_DATABASE_URL });
      await db.connect();
      try {
        return (await db.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount === 1;
      } finally {
        await db.end();
      }
    };
    expect(await schemaExists()).toBe(false);

    const [port, adminPort, adminMetricsPort, intakeMetricsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    // Two workers listen on metricsPort and metricsPort + 1: find a pair that is free.
    const metricsPort = await waitFor('two consecutive free ports', async () => {
      const p = await freePort();
      return (await portIsFree(p + 1)) && ![port, adminPort, intakeMetricsPort].includes(p) && ![port, adminPort, intakeMetricsPort].includes(p + 1) ? p : undefined;
    });
    // No ADMIN_TOKENS: the supervisor makes a token up, configures its hash and prints the token.
    const env = appEnv({
      DATABASE_SCHEMA: schema,
      QUEUE_PREFIX: prefix,
      PORT: String(port),
      ADMIN_PORT: String(adminPort),
      ADMIN_METRICS_PORT: String(adminMetricsPort),
      METRICS_PORT: String(intakeMetricsPort),
      WORKER_METRICS_PORT: String(metricsPort),
      WORKERS: '2',
      LOG_LEVEL: 'info',
    });
    const child = spawn(process.execPath, [appEntry('supervisor')], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    supervisor = child;
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));

    const token = await waitFor('the generated admin token', () => /admin token is: (\S+)/.exec(output)?.[1], 30_000);
    const intake = `http://127.0.0.1:${port}`;
    const admin = `http://127.0.0.1:${adminPort}`;
    const intakeInternal = `http://127.0.0.1:${intakeMetricsPort}`;
    await waitFor('intake ready', async () => ((await requestJson(`${intakeInternal}/readyz`)).status === 200 ? true : undefined), 30_000);
    await waitFor('admin ready', async () => ((await requestJson(`${admin}/readyz`)).status === 200 ? true : undefined), 30_000);
    for (const p of [metricsPort, metricsPort + 1]) {
      await waitFor(`worker metrics on :${p}`, async () => ((await fetch(`http://127.0.0.1:${p}/metrics`)).ok ? true : undefined), 30_000);
    }
    expect(await schemaExists()).toBe(true);
    // Once they answer, the supervisor says where everything is.
    await waitFor('the ready summary', () => (/\[supervisor\] Ctrl-C stops everything/.test(output) ? true : undefined), 30_000);
    expect(output).toMatch(/\[supervisor\] ready in \d+\.\d s:/);
    expect(output).toContain(`public API    http://localhost:${port}`);
    expect(output).toContain(`admin         http://localhost:${adminPort}/  (the web page`);
    expect(output).toContain(`workers :${metricsPort}-${metricsPort + 1} (internal)`);

    const created = await requestJson<{ id: string }>(`${admin}/admin/v1/campaigns`, {
      headers: { authorization: `Bearer ${token}` },
      body: { name: 'start', tiers: [{ name: 'standard', reward: 'sticker', quantity: 5 }], perCustomerLimit: 1, code: { length: 10 }, status: 'active', settings: { claims: true } },
    });
    expect(created.status).toBe(201);
    await waitFor('intake to see the campaign open', async () =>
      (await requestJson<{ open?: boolean }>(`${intake}/v1/campaigns/${created.body.id}`)).body.open === true ? true : undefined,
    );
    const claim = await requestJson<{ attemptId: string; status: string }>(`${intake}/v1/claims`, {
      headers: { prefer: 'wait=10' },
      body: { campaignId: created.body.id, customerId: 'first-visitor' },
    });
    expect([200, 202]).toContain(claim.status);
    const done = await waitFor('the claim to finish', async () => {
      const res = await requestJson<{ status: string; outcome?: string }>(`${intake}/v1/attempts/${claim.body.attemptId}`);
      return res.body.status === 'done' ? res.body : undefined;
    }, 30_000, 100);
    expect(done).toMatchObject({ status: 'done', outcome: 'claimed' });

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toMatch(/SIGINT: stopping all processes/);
    // Nothing is left listening.
    for (const url of [`${intake}/healthz`, `${admin}/healthz`, `${intakeInternal}/metrics`, `http://127.0.0.1:${metricsPort}/metrics`]) {
      await expect(fetch(url, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    }
  }, 120_000);
});
