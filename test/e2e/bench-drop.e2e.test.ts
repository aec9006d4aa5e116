import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The smoke run of `npm run bench:drop` (the built script, as `npm run` starts it): a 20,000-request drop against
 * Dropgate and the afternoon build. Asserts the invariants IN THE DATABASE as the bench reports them for Dropgate (no
 * code twice, nobody over the limit, every accepted attempt final), that both sides replayed the same plan, and that
 * the result draws. No timing assertion: the machine may be loaded.
 */
const ROOT = path.resolve(__dirname, '..', '..');

function run(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // SIGTERM: the bench stops what it started (processes, schemas) before exiting.
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

interface Side {
  requests: number;
  legitTotal: number;
  botRequests: number;
  redeemed: number;
  doubleAssigned: number;
  customerOverLimit: number;
  lost: number;
  longPolls: number;
  longPollP50Ms: number | null;
  longPollP99Ms: number | null;
  legitShed: number;
  legitGaveUpShed: number;
  legitFailed: number;
  botRejected: number;
  botShed: number;
}

describe('bench:drop smoke run (20,000 requests)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dropgate-bench-drop-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('replays the drop on both sides; Dropgate keeps every invariant in the database', async () => {
    const out = path.join(dir, 'drop.json');
    const bench = await run([path.join(ROOT, 'scripts', 'dist', 'bench-drop.js'), '--requests', '20000', '--out', out], 540_000);
    // On a failure the report shows what the bench said last.
    expect({ code: bench.code, said: bench.code === 0 ? '' : (bench.stdout + bench.stderr).slice(-3000) }).toEqual({ code: 0, said: '' });
    const last = JSON.parse(bench.stdout.trim().split('\n').at(-1)!) as { dropgate: Side; baseline: Side };
    expect(last.dropgate).toMatchObject({ doubleAssigned: 0, customerOverLimit: 0, lost: 0 });
    expect(last.dropgate.requests).toBeGreaterThan(15_000);
    expect(last.dropgate.redeemed).toBeLessThanOrEqual(700);
    // The same plan on both sides (the customers' sessions adapt to the answers; the units do not).
    expect(last.baseline.legitTotal).toBe(last.dropgate.legitTotal);
    expect(last.baseline.botRequests).toBe(last.dropgate.botRequests);
    // Legit customers wait for their outcome (Prefer: wait): those answers are reported apart, held ATTEMPT_HOLD_MS (2 s) at least.
    expect(last.dropgate.longPolls).toBeGreaterThan(0);
    expect(last.dropgate.longPollP50Ms).toBeGreaterThanOrEqual(2000);
    expect(last.baseline).toMatchObject({ longPolls: 0, longPollP50Ms: null, longPollP99Ms: null });
    // Dropgate runs with the shipped load shedding: customers retry a 503 after its Retry-After, and a session that
    // still ends on one was shed at least once and counts as failed; a bot's 503 counts as refused at the intake.
    for (const k of ['legitShed', 'legitGaveUpShed', 'botShed'] as const) expect(last.dropgate[k]).toBeGreaterThanOrEqual(0);
    expect(last.dropgate.legitGaveUpShed).toBeLessThanOrEqual(last.dropgate.legitShed);
    expect(last.dropgate.legitGaveUpShed).toBeLessThanOrEqual(last.dropgate.legitFailed);
    expect(last.dropgate.botShed).toBeLessThanOrEqual(last.dropgate.botRejected);
    expect(bench.stdout).toContain('dropgate ran with the shipped load shedding');
    // Hundreds of concurrent waits add no listener per wait (it was a MaxListenersExceededWarning on the Queue).
    expect(bench.stdout + bench.stderr).not.toContain('MaxListenersExceededWarning');

    const svg = path.join(dir, 'drop.svg');
    const chart = await run([path.join(ROOT, 'scripts', 'dist', 'bench-drop-chart.js'), '--in', out, '--svg', svg], 60_000);
    expect(chart.code).toBe(0);
    const drawn = readFileSync(svg, 'utf8');
    expect(drawn).toMatch(/^<svg /);
    expect(drawn).toContain('Dropgate: ');
    expect(drawn).toContain('the afternoon build (baseline): ');
  }, 600_000);
});
