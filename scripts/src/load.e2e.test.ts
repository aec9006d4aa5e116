import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
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
  const redeemed: string[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const json = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.url === '/healthz') return json(200, { status: 'ok' });
      if (req.url === '/v1/campaigns/drop') return json(200, { id: 'drop', open: true, tiers: [{ name: 'tshirt', reward: 'T-shirt' }, { name: 'deck', reward: 'Skate deck' }] });
      // The tier names how this stand-in answers claims: 'broken' 500 every time, 'flaky' 503 every other time.
      if (req.url === '/v1/campaigns/shaky') return json(200, { id: 'shaky', open: true, tiers: [{ name: 'broken', reward: 'x' }, { name: 'flaky', reward: 'y' }] });
      if (req.url?.startsWith('/v1/campaigns/')) return json(404, { error: { code: 'campaign_not_found', message: 'no such campaign' } });
      if (req.method === 'POST' && (req.url === '/v1/claims' || req.url === '/v1/redemptions')) {
        let body = '';
        req.on('data', (chunk: Buffer) => void (body += chunk.toString()));
        return void req.on('end', () => {
          const sent = JSON.parse(body) as { campaignId: string; tier?: string; code?: string };
          if (sent.code !== undefined) redeemed.push(sent.code);
          else claims++;
          if (sent.tier === 'broken') return json(500, { error: { code: 'internal_error', message: 'boom' } });
          if (sent.tier === 'flaky' && claims % 2 === 0) return json(503, { error: { code: 'overloaded', message: 'later' } });
          json(202, { attemptId: `att_${claims}`, status: 'queued' });
        });
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
  const run = (args: string[]): Promise<{ status: number | null; stderr: string; stdout: string }> => {
    const child = spawn(process.execPath, [script, '--url', url, '--duration', '1', '--connections', '1', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    return new Promise((resolve) => child.on('close', (status) => resolve({ status, stderr, stdout })));
  };
  const lastLine = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as { requests: number; exitCode?: number; answers: Record<string, number> };

  it('exits 0 when served, 3 when nothing got through, 4 when failures pass --max-failed-pct', async () => {
    const served = await run(['--campaign', 'drop', '--scenario', 'claim']);
    expect(served.status).toBe(0);
    expect(lastLine(served.stdout).exitCode).toBe(0);

    const broken = await run(['--campaign', 'shaky', '--scenario', 'claim', '--tier', 'broken']);
    expect(broken.status).toBe(3);
    expect(broken.stderr).toMatch(/^load: nothing got through: no request accepted \(no 2xx\) of [\d,]+ requests \(0 transport errors, [\d,]+ 5xx\) \(exit 3\)\n$/);
    expect(lastLine(broken.stdout)).toMatchObject({ exitCode: 3, answers: { '500 internal_error': lastLine(broken.stdout).requests } });

    const flaky = await run(['--campaign', 'shaky', '--scenario', 'claim', '--tier', 'flaky']);
    expect(flaky.status).toBe(4);
    expect(flaky.stderr).toMatch(/% of the requests failed \(0 transport errors, [\d,]+ 5xx\), over --max-failed-pct 1 \(exit 4\)/);
    expect((await run(['--campaign', 'shaky', '--scenario', 'claim', '--tier', 'flaky', '--max-failed-pct', '60'])).status).toBe(0);
  }, 30_000);

  it('--codes-file reads the quoted CSV of the admin export and redeems its codes', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'load-codes-'));
    try {
      const file = path.join(dir, 'drop-codes.csv');
      const exported = ['"code","tier","state","customerId","redeemedAt","publicationId"', '"DG-AAAA-1111","tshirt","redeemed","smith, ""jr""","2026-12-04T10:00:00.000Z",""', 'DG-BBBB-2222,deck,available,,,'];
      writeFileSync(file, exported.join('\r\n') + '\r\n');
      redeemed.length = 0;
      const result = await run(['--campaign', 'drop', '--scenario', 'redeem', '--codes-file', file]);
      expect(result.status).toBe(0);
      expect(result.stdout).toContain('2 codes given');
      expect(new Set(redeemed)).toEqual(new Set(['DG-AAAA-1111', 'DG-BBBB-2222']));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

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
