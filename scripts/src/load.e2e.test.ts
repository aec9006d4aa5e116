import { spawn } from 'node:child_process';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { waitFor } from '@dropgate/testkit';

/**
 * `npm run load` as a load tester runs it (the built script), against a stand-in intake answering the few routes the
 * script uses: what it checks before sending anything, and what Ctrl-C does mid-run.
 */
const script = path.resolve(__dirname, '..', 'dist', 'load.js');

describe('npm run load', () => {
  let server: Server;
  let url = '';
  let claims = 0;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const json = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.url === '/healthz') return json(200, { status: 'ok' });
      if (req.url === '/v1/campaigns/drop') return json(200, { id: 'drop', open: true, tiers: [{ name: 'tshirt', reward: 'T-shirt' }, { name: 'deck', reward: 'Skate deck' }] });
      if (req.url?.startsWith('/v1/campaigns/')) return json(404, { error: { code: 'campaign_not_found', message: 'no such campaign' } });
      if (req.method === 'POST' && req.url === '/v1/claims') {
        req.resume();
        claims++;
        return void req.on('end', () => json(202, { attemptId: `att_${claims}`, status: 'queued' }));
      }
      json(404, { error: { code: 'not_found', message: 'no route' } });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** The script to its end (not spawnSync: the stand-in intake answers from this process's event loop). */
  const run = (args: string[]): Promise<{ status: number | null; stderr: string }> => {
    const child = spawn(process.execPath, [script, '--url', url, '--duration', '1', '--connections', '1', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    return new Promise((resolve) => child.on('close', (status) => resolve({ status, stderr })));
  };

  it('refuses an unknown campaign or tier before sending any load, naming what exists', async () => {
    const before = claims;
    const unknownCampaign = await run(['--campaign', 'nope', '--scenario', 'claim']);
    expect(unknownCampaign.status).toBe(1);
    expect(unknownCampaign.stderr).toBe(`load failed: campaign nope is not known at ${url}, or still a draft (GET /v1/campaigns/nope: 404)\n`);
    const unknownTier = await run(['--campaign', 'drop', '--scenario', 'claim', '--tier', 'yeti']);
    expect(unknownTier.status).toBe(1);
    expect(unknownTier.stderr).toBe('load failed: --tier yeti is not a tier of campaign drop (its tiers: tshirt, deck)\n');
    expect(claims).toBe(before);
  });

  it('Ctrl-C stops the load and still prints what came back, then exits 130', async () => {
    const child = spawn(process.execPath, [script, '--url', url, '--campaign', 'drop', '--scenario', 'claim', '--tier', 'deck', '--duration', '60', '--connections', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // The first progress line (2 s in): the load is running.
    await waitFor('the first progress line', () => (/claim: t=\s*\d+ s/.test(stdout) ? true : undefined), 15_000, 50);
    const startedAt = Date.now();
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(Date.now() - startedAt).toBeLessThan(5000);
    expect(stdout).toContain('interrupted (SIGINT)');
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as { interrupted?: boolean; requests: number; answers: Record<string, number> };
    expect(summary.interrupted).toBe(true);
    expect(summary.requests).toBeGreaterThan(0);
    expect(summary.answers['202']).toBe(summary.requests);
  }, 30_000);
});
