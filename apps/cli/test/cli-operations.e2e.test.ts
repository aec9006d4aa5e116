import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AuditPageView, CampaignView, ImportReportView, JobView, LockView, PublicationView, RollbackView, StatsView } from '@dropgate/admin-client';
import { requestJson, startSystem, waitFor, type RunningSystem } from '@dropgate/testkit';
import { cliFor, cliJsonFor } from './cli-harness';

/**
 * The code operations of `dropgate` (generate, import, job, publish, publications, lock, release, disable, rollback, audit)
 * run as processes against the real admin, intake and worker of `npm start` on the test PostgreSQL and Redis.
 */

let system: RunningSystem;
let scratch: string;
const cli = cliFor(() => system);
const cliJson = cliJsonFor(cli);

let campaign: CampaignView;
const CODE = /^SKATE-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/;

const stats = (): Promise<StatsView> => cliJson<StatsView>(['stats', campaign.id]);

beforeAll(async () => {
  system = await startSystem({ workers: 1 });
  scratch = mkdtempSync(path.join(tmpdir(), 'dropgate-cli-ops-'));
  campaign = await cliJson<CampaignView>([
    'campaign', 'create', '--name', 'Skate giveaway', '--pattern', 'SKATE-####-####',
    '--tier', 'tshirt:60:T-shirt', '--tier', 'skate-deck:20:Skate deck', '--tier', 'yeti:5:Yeti cooler',
  ]);
}, 120_000);

afterAll(async () => {
  await system?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}, 60_000);

describe('campaign update', () => {
  it('changes the target, clears it with none, and exits 1 with nothing to change', async () => {
    expect((await cliJson<CampaignView>(['campaign', 'update', campaign.id, '--target', '500'])).target).toBe(500);
    const text = await cli(['campaign', 'update', campaign.id, '--target', 'none', '--name', 'Skate giveaway']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^redeemed: {5}0$/m);
    expect((await cliJson<CampaignView>(['campaign', 'show', campaign.id])).target).toBeNull();
    const nothing = await cli(['campaign', 'update', campaign.id]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain('nothing to change');
  });
});

describe('generate and job', () => {
  it('generates codes in a background job, following it with a progress bar to the end', async () => {
    const run = await cli(['generate', campaign.id, '--tier', 'yeti', '--count', '3000']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^generate yeti: 3000 of 3000 done \(job job_[A-Za-z0-9]{16}\)$/m);
    // The bar's last state (not a TTY: cli-progress writes plain lines).
    expect(run.stderr).toMatch(/generate yeti \[[█░]+\] 100% \| 3000\/3000 \| completed/);
    expect((await stats()).codes.yeti?.available).toBe(3005);
  });

  it('returns the job id at once with --no-wait; `job --wait` follows it to completed', async () => {
    const accepted = await cliJson<{ jobId: string }>(['generate', campaign.id, '--tier', 'tshirt', '--count', '40', '--no-wait']);
    expect(accepted.jobId).toMatch(/^job_/);
    const job = await cliJson<JobView>(['job', accepted.jobId, '--wait']);
    expect(job).toMatchObject({ jobId: accepted.jobId, state: 'completed', done: 40, total: 40, result: { inserted: 40 } });
    expect((await stats()).codes.tshirt?.available).toBe(100);
  });

  it('cancels a running generation: `cancel --wait` says how many codes it wrote, all in; the draft stays a draft', async () => {
    const drop = await cliJson<CampaignView>(['campaign', 'create', '--name', 'Cancelled drop', '--pattern', 'CNCL-####-####', '--tier', 'bulk:0', '--draft']);
    const { jobId } = await cliJson<{ jobId: string }>(['generate', drop.id, '--tier', 'bulk', '--count', '500000', '--no-wait']);
    const activate = await cli(['resume', drop.id]);
    expect(activate.code).toBe(2);
    expect(activate.stderr).toContain('codes_job_in_progress');
    const run = await cli(['cancel', jobId, '--wait']);
    expect(run.code).toBe(0);
    const said = new RegExp(`^${jobId}: cancelled, \\d+ of 500000: (\\d+) codes written before it stopped$`, 'm').exec(run.stdout);
    expect(said).not.toBeNull();
    const written = Number(said![1]);
    expect(written).toBeLessThan(500_000);
    expect((await cliJson<StatsView>(['stats', drop.id])).codes.bulk?.available ?? 0).toBe(written);
    expect((await cliJson<CampaignView>(['campaign', 'show', drop.id])).status).toBe('draft');
    const again = await cli(['cancel', jobId]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('job_finished');
  });

  it('exits 2 for a tier the campaign does not have and for an unknown job', async () => {
    const tier = await cli(['generate', campaign.id, '--tier', 'hoodie', '--count', '5']);
    expect(tier.code).toBe(2);
    expect(tier.stderr).toContain('unknown_tier');
    const job = await cli(['job', 'job_AAAAAAAAAAAAAAAA']);
    expect(job.code).toBe(2);
    expect(job.stderr).toContain('job_not_found');
  });
});

describe('import', () => {
  it('imports a CSV file, reporting duplicates and malformed lines without failing', async () => {
    const file = path.join(scratch, 'codes.csv');
    writeFileSync(file, ['code,tier', 'SKATE-2222-3333,skate-deck', 'SKATE-2222-4444,skate-deck', 'SKATE-2222-3333,skate-deck', 'not a code,skate-deck', 'SKATE-2222-5555'].join('\n') + '\n');
    const run = await cli(['import', campaign.id, file, '--tier', 'skate-deck']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^3 imported of \d+ lines: 1 duplicates, 1 malformed$/m);
    expect(run.stdout).toMatch(/^ {2}line 4: duplicate SKATE-2222-3333$/m);
    expect(run.stdout).toMatch(/^ {2}line 5: /m);
    // Uploaded, then imported by a background job followed with a progress bar (in lines of codes: not the header; on stderr).
    expect(run.stderr).toMatch(/^import \[.+\] 100% \| 5\/5 \| completed$/m);
    expect((await stats()).codes['skate-deck']?.available).toBe(23);
  });

  it('imports JSON lines from stdin, and exits 1 on a file that is not there (nothing sent)', async () => {
    const run = await cli(['--json', 'import', campaign.id, '-', '--format', 'jsonl'], {}, '{"code":"SKATE-3333-2222","tier":"yeti"}\n{"code":"SKATE-2222-3333","tier":"yeti"}\n');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject<Partial<ImportReportView>>({ inserted: 1, duplicates: 1, malformed: 0 });
    const missing = await cli(['import', campaign.id, path.join(scratch, 'nope.csv')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read');
  });
});

describe('publish', () => {
  it('publishes 10 codes at once, prints them one a line, and a retry with the same key answers the same codes', async () => {
    const run = await cli(['publish', campaign.id, '--tier', 'tshirt', '--count', '10', '--channel', 'instagram', '--idempotency-key', 'post-2026-12-03']);
    expect(run.code).toBe(0);
    const codes = run.stdout.trim().split('\n');
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(CODE);
    expect(run.stderr).toMatch(/^publication pub_\S+: 10 tshirt codes$/m);

    const retry = await cliJson<PublicationView>(['publish', campaign.id, '--tier', 'tshirt', '--count', '10', '--channel', 'instagram', '--idempotency-key', 'post-2026-12-03']);
    expect([...retry.codes].sort()).toEqual([...codes].sort());
    expect((await stats()).codes.tshirt?.published).toBe(10);

    const listed = await cliJson<PublicationView[]>(['publications', campaign.id]);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ publicationId: retry.publicationId, tier: 'tshirt', channel: 'instagram' });
    const table = await cli(['publications', campaign.id]);
    expect(table.stdout).toMatch(new RegExp(`^${retry.publicationId}\\s+tshirt\\s+10\\s+instagram\\s+-\\s+\\d{4}-`, 'm'));
  });

  it('exits 2 when the tier has fewer codes than asked (all or none)', async () => {
    const run = await cli(['publish', campaign.id, '--tier', 'skate-deck', '--count', '10000']);
    expect(run.code).toBe(2);
    expect((await stats()).codes['skate-deck']?.published ?? 0).toBe(0);
  });
});

describe('lock and release', () => {
  it('locks a batch released by itself at a short schedule', async () => {
    // 12 s: the checks below run three CLI processes while the batch must still be locked (about 1 s each on a
    // loaded machine; 3 s was sometimes over before the listing).
    const lock = await cliJson<LockView>(['lock', campaign.id, '--tier', 'skate-deck', '--count', '5', '--release-in', '12s', '--reason', 'held for the show']);
    expect(lock.locked).toBe(5);
    expect(lock.codes).toHaveLength(5);
    expect(lock.releaseJobId).not.toBeNull();
    expect(lock.reason).toBe('held for the show');
    expect(Date.parse(lock.releaseAt!)).toBeGreaterThan(Date.now());
    expect((await stats()).codes['skate-deck']?.locked).toBe(5);
    const listed = await cli(['locks', campaign.id]);
    expect(listed.stdout.trim().split('\n').map((l) => l.split(/\s{2,}/))).toEqual([
      ['TIER', 'COUNT', 'RELEASED AT', 'REASON'],
      ['skate-deck', '5', lock.releaseAt, 'held for the show'],
    ]);
    await waitFor('the locked batch released', async () => ((await stats()).codes['skate-deck']?.locked ?? 0) === 0 || undefined, 30_000, 500);
    expect((await stats()).codes['skate-deck']?.available).toBe(23);
    expect((await cli(['locks', campaign.id])).stdout.trim()).toBe('no code is locked');
    // The release, in the audit trail as the scheduler's.
    const trail = await waitFor('the release in the audit trail', async () => {
      const page = await cliJson<AuditPageView>(['audit', '--campaign', campaign.id]);
      return page.entries.find((e) => e.action === 'releaseDueLocks');
    }, 10_000, 250);
    expect(trail).toMatchObject({ kind: 'admin', actor: 'scheduler', details: { tier: 'skate-deck', released: 5, reason: 'held for the show' } });
  });

  it('locks by list and releases now; `--release-at <show> --before 30m` schedules half an hour before the show', async () => {
    const [a, b] = (await cliJson<Array<{ code: string }>>(['export', campaign.id, '--format', 'json', '--tier', 'yeti', '--state', 'available'])).map((c) => c.code);
    const locked = await cli(['lock', campaign.id, '--codes', `${a},${b}`]);
    expect(locked.code).toBe(0);
    expect(locked.stdout.trim()).toBe('locked 2 codes');
    // Listed codes the campaign does not have are named, one a line; none found at all is a refusal (exit 2) naming them.
    const partly = await cli(['lock', campaign.id, '--codes', `${b},nope-0000`]);
    expect({ code: partly.code, stdout: partly.stdout.trim() }).toEqual({ code: 0, stdout: 'locked 0 codes\nnot found (1):\nNOPE-0000' });
    const none = await cli(['lock', campaign.id, '--codes', 'nope-0000,nope-1111']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('NOPE-0000, NOPE-1111');
    const released = await cli(['release', campaign.id, '--codes', `${a},nope-0000`]);
    expect(released.stdout.trim()).toBe('released 1 codes\nnot found (1):\nNOPE-0000');
    const releasedNone = await cli(['release', campaign.id, '--codes', 'nope-0000,nope-1111']);
    expect(releasedNone.code).toBe(2);
    expect(releasedNone.stderr).toContain('NOPE-0000, NOPE-1111');
    expect(await cliJson(['release', campaign.id])).toEqual({ released: 1 });

    const show = new Date(Date.now() + 2 * 3_600_000);
    const timed = await cliJson<LockView>(['lock', campaign.id, '--tier', 'yeti', '--count', '2', '--release-at', show.toISOString(), '--before', '30m']);
    expect(Date.parse(timed.releaseAt!)).toBe(show.getTime() - 30 * 60_000);
    expect(await cliJson(['release', campaign.id, '--tier', 'yeti'])).toEqual({ released: 2 });
  });

  it('disables codes for good (a leaked one, typed any way), names the unknown ones; none known exits 2', async () => {
    const [leaked] = (await cliJson<Array<{ code: string }>>(['export', campaign.id, '--format', 'json', '--tier', 'yeti', '--state', 'available'])).map((c) => c.code) as [string];
    const run = await cli(['disable', campaign.id, '--codes', `${leaked.toLowerCase()},nope-0000`, '--reason', 'posted on a forum']);
    expect({ code: run.code, stdout: run.stdout.trim() }).toEqual({ code: 0, stdout: 'disabled 1 codes\nnot found (1):\nNOPE-0000' });
    const listed = await cliJson<Array<{ code: string }>>(['export', campaign.id, '--format', 'json', '--state', 'disabled']);
    expect(listed.map((c) => c.code)).toEqual([leaked]);
    const none = await cli(['disable', campaign.id, '--codes', 'nope-0000,nope-1111']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('NOPE-0000, NOPE-1111');
    expect((await cli(['disable', campaign.id])).code).toBe(1);
  });

  it.each<[string, string[]]>([
    ['neither a count nor codes', ['--tier', 'yeti']],
    ['--before without --release-at', ['--tier', 'yeti', '--count', '1', '--before', '30m']],
    ['both --release-at and --release-in', ['--tier', 'yeti', '--count', '1', '--release-in', '1m', '--release-at', '2030-01-01T00:00:00Z']],
    ['a malformed duration', ['--tier', 'yeti', '--count', '1', '--release-in', 'soon']],
  ])('exits 1 on %s', async (_name, args) => {
    const run = await cli(['lock', campaign.id, ...args]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
  });
});

describe('rollback and audit', () => {
  let redeemed: string;

  beforeAll(async () => {
    [redeemed] = (await cliJson<Array<{ code: string }>>(['export', campaign.id, '--format', 'json', '--tier', 'yeti', '--state', 'available'])).map((c) => c.code) as [string];
    const res = await requestJson<{ outcome?: string }>(`${system.intakeUrl}/v1/redemptions`, {
      body: { campaignId: campaign.id, code: redeemed, customerId: 'alice' },
      headers: { prefer: 'wait=10' },
    });
    expect({ status: res.status, outcome: res.body.outcome }).toEqual({ status: 200, outcome: 'redeemed' });
  });

  it('rolls a redeemed code back to disabled, naming the attempt; a second rollback exits 2', async () => {
    const rolled = await cliJson<RollbackView>(['rollback', campaign.id, redeemed, '--to', 'disabled', '--reason', 'sold on a resale site']);
    expect(rolled).toMatchObject({ code: redeemed, state: 'disabled' });
    expect(rolled.attemptId).toMatch(/^att_/);
    const again = await cli(['rollback', campaign.id, redeemed, '--to', 'available', '--reason', 'again']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('code_not_redeemed');
  });

  it("shows the campaign's audit trail: who did what, and the redemption", async () => {
    const page = await cliJson<AuditPageView>(['audit', '--campaign', campaign.id, '--limit', '100']);
    // Admin actions by the token's name; the timed lock's release by the scheduler.
    const admin = page.entries.filter((e) => e.kind === 'admin' && e.actor !== 'scheduler');
    expect(admin.every((e) => e.actor === 'admin' && e.campaignId === campaign.id)).toBe(true);
    expect(page.entries.filter((e) => e.actor === 'scheduler').map((e) => e.action)).toEqual(['releaseDueLocks']);
    expect(new Set(admin.map((e) => e.action))).toEqual(new Set(['createCampaign', 'updateCampaign', 'generateCodes', 'importCodes', 'codesImported', 'exportCodes', 'publishCodes', 'lockCodes', 'releaseLocks', 'disableCodes', 'rollbackCode']));
    expect(page.entries).toContainEqual(expect.objectContaining({ kind: 'redemption', action: 'redeemed', customerId: 'alice', code: redeemed }));

    const byCode = await cli(['audit', '--code', redeemed]);
    expect(byCode.code).toBe(0);
    expect(byCode.stdout).toMatch(/^AT\s+WHO\s+ACTION\s+CAMPAIGN\s+CUSTOMER\s+CODE\s+DETAILS$/m);
    expect(byCode.stdout).toMatch(new RegExp(`^\\S+\\s+admin\\s+rollbackCode\\s+${campaign.id}\\s+-\\s+${redeemed}\\s+.*sold on a resale site`, 'm'));

    const firstTwo = await cliJson<AuditPageView>(['audit', '--campaign', campaign.id, '--limit', '2']);
    expect(firstTwo.entries).toHaveLength(2);
    const next = await cliJson<AuditPageView>(['audit', '--campaign', campaign.id, '--limit', '2', '--after', firstTwo.next!]);
    expect(next.entries[0]!.id).toBe(page.entries[2]!.id);
  });
});
