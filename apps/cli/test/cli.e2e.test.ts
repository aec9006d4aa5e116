import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startSystem, type RunningSystem } from '@dropgate/testkit';
import { cliFor, cliJsonFor, cliReadingFirstChunk } from './cli-harness';

/**
 * The built `dropgate` CLI run as a process (as `npm run cli --` runs it) against the real processes of
 * `npm start` (admin, intake, a worker) on the test PostgreSQL and Redis.
 */

let system: RunningSystem;
let scratch: string;
const cli = cliFor(() => system);
const cliJson = cliJsonFor(cli);

interface Campaign {
  id: string;
  name: string;
  status: string;
  stopReason: string | null;
  tiers: Array<{ name: string; reward: string }>;
  target: number | null;
}
interface Stats {
  campaignId: string;
  codes: Record<string, Record<string, number>>;
  redemptions: number;
  wrongCodes: number | null;
}

const threeTiers = ['--tier', 'tshirt:60:T-shirt', '--tier', 'skate-deck:5:Skate deck', '--tier', 'yeti:5:Yeti cooler'];

beforeAll(async () => {
  system = await startSystem({ workers: 1 });
  scratch = mkdtempSync(path.join(tmpdir(), 'dropgate-cli-'));
});

afterAll(async () => {
  await system?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('usage', () => {
  it('prints help with the exit codes on --help (exit 0), for the program and for a subcommand', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const command of ['campaign', 'generate', 'import', 'job', 'cancel', 'export', 'publish', 'publications', 'lock', 'release', 'disable', 'rollback', 'pause', 'resume', 'stop', 'end', 'stats', 'audit']) {
      expect(top.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    expect(top.stdout).toContain('3  authentication');
    const sub = await cli(['campaign', 'create', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('--tier <name:quantity[:reward]>');
  });

  it('prints its package version on --version (exit 0), sending nothing', async () => {
    const { version } = JSON.parse(readFileSync(path.resolve(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) expect(await cli([flag], { DROPGATE_ADMIN_URL: 'http://127.0.0.1:1' })).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it.each<[string, string[]]>([
    ['no command', []],
    ['an unknown command', ['frobnicate']],
    ['an unknown option', ['campaign', 'list', '--colour']],
    ['a missing argument', ['campaign', 'show']],
    ['a target that is not a number', ['campaign', 'create', '--name', 'x', '--tier', 'tshirt:5', '--target', 'ten']],
    ['a malformed tier', ['campaign', 'create', '--name', 'x', '--tier', 'tshirt']],
    ['a state that does not exist', ['export', 'c1', '--state', 'lost']],
    ['a tier and count together with a list of codes', ['lock', 'c1', '--tier', 'tshirt', '--count', '2', '--codes', 'A,B']],
    ['a date that is not one', ['campaign', 'create', '--name', 'x', '--tier', 'tshirt:5', '--starts-at', 'tomorrow']],
    ['a date without its time zone', ['campaign', 'create', '--name', 'x', '--tier', 'tshirt:5', '--starts-at', '2026-12-24T20:00']],
    ['a date in another form than ISO', ['campaign', 'update', 'c1', '--ends-at', '12/05/2026']],
    ['a release time that is not a day of the calendar', ['lock', 'c1', '--tier', 'tshirt', '--count', '1', '--release-at', '2027-02-30T20:00:00Z']],
    ['a --url that is not an http(s) URL (as DROPGATE_ADMIN_URL)', ['--url', 'ftp://nowhere', 'campaign', 'list']],
    ['a --url that is not a URL', ['--url', 'nowhere', 'campaign', 'list']],
  ])('exits 1 on %s, sending nothing', async (_name, args) => {
    const run = await cli(args);
    expect(run.code).toBe(1);
    expect(run.stderr).not.toBe('');
    expect(run.stdout).toBe('');
  });
});

describe('errors map to exit codes', () => {
  it('exits 3 without a token and with a wrong one', async () => {
    const none = await cli(['campaign', 'list'], { DROPGATE_TOKEN: undefined });
    expect(none.code).toBe(3);
    expect(none.stderr).toContain('DROPGATE_TOKEN');
    const wrong = await cli(['campaign', 'list'], { DROPGATE_TOKEN: 'not-the-admin-token-at-all' });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain('unauthorized');
  });

  it('exits 2 with the API error code for an unknown campaign', async () => {
    const run = await cli(['campaign', 'show', 'no_such_campaign']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('campaign_not_found (HTTP 404)');
  });

  it('exits 4 when nothing answers at the admin URL', async () => {
    const port = await freePort();
    const run = await cli(['campaign', 'list'], { DROPGATE_ADMIN_URL: `http://127.0.0.1:${port}` });
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('cannot reach the admin API');
  });

  it('exits 1 when the file to import is a directory (a local problem, not an unreachable API)', async () => {
    const run = await cli(['import', 'c1', scratch]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot read ${scratch}`);
    expect(run.stderr).not.toContain('cannot reach');
  });

  it('exits 1 on a malformed DROPGATE_ADMIN_URL', async () => {
    const run = await cli(['campaign', 'list'], { DROPGATE_ADMIN_URL: 'ftp://nowhere' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('DROPGATE_ADMIN_URL');
  });
});

describe('campaigns', () => {
  let campaign: Campaign;

  beforeAll(async () => {
    campaign = await cliJson<Campaign>(['campaign', 'create', '--name', 'Skate giveaway', ...threeTiers, '--pattern', 'SKATE-####-####', '--target', '40']);
  });

  it('creates a campaign with three tiers, active, with a target', () => {
    expect(campaign).toMatchObject({ name: 'Skate giveaway', status: 'active', target: 40 });
    expect(campaign.tiers).toEqual([
      { name: 'tshirt', reward: 'T-shirt' },
      { name: 'skate-deck', reward: 'Skate deck' },
      { name: 'yeti', reward: 'Yeti cooler' },
    ]);
  });

  it('lists and shows it, as JSON and as text', async () => {
    const listed = await cliJson<Campaign[]>(['campaign', 'list']);
    expect(listed.map((c) => c.id)).toContain(campaign.id);
    const text = await cli(['campaign', 'list']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^${campaign.id}\\s+active\\s+0\\s+40\\s+tshirt,skate-deck,yeti\\s+Skate giveaway$`, 'm'));
    // The creation's answer also names its code generation job (jobId); the campaign itself is the same.
    const { jobId: _jobId, ...created } = campaign as Campaign & { jobId?: string | null };
    expect(await cliJson<Campaign>(['campaign', 'show', campaign.id])).toEqual(created);
    const shown = await cli(['campaign', 'show', campaign.id]);
    expect(shown.stdout).toContain('SKATE-####-####');
  });

  it('shows the counts by tier and state', async () => {
    const stats = await cliJson<Stats>(['stats', campaign.id]);
    expect(stats.campaignId).toBe(campaign.id);
    expect(stats.redemptions).toBe(0);
    expect(stats.codes.tshirt?.available).toBe(60);
    expect(stats.codes['skate-deck']?.available).toBe(5);
    expect(stats.codes.yeti?.available).toBe(5);
    expect(stats.wrongCodes).toBe(0);
    const text = await cli(['stats', campaign.id]);
    expect(text.stdout).toMatch(/^skate-deck\s+5\s+0\s+0\s+0\s+0$/m);
    expect(text.stdout).toMatch(/^wrong codes sent: 0$/m);
  });

  it('exports the codes as CSV to a file and as JSON to stdout, filtered by tier', async () => {
    const file = path.join(scratch, 'codes.csv');
    const run = await cli(['export', campaign.id, '--out', file]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`70 codes written to ${file}`);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('code,tier,state,customerId,redeemedAt,publicationId');
    expect(lines).toHaveLength(71);
    expect(new Set(lines.slice(1).map((l) => l.split(',')[0])).size).toBe(70);
    for (const line of lines.slice(1)) expect(line).toMatch(/^SKATE-[0-9A-Z]{4}-[0-9A-Z]{4},(tshirt|skate-deck|yeti),available,,,$/);

    const json = await cli(['export', campaign.id, '--format', 'json', '--tier', 'yeti']);
    expect(json.code).toBe(0);
    const yeti = JSON.parse(json.stdout) as Array<{ tier: string }>;
    expect(yeti).toHaveLength(5);
    expect(yeti.every((c) => c.tier === 'yeti')).toBe(true);
    expect(json.stderr).toContain('5 codes exported');
  });

  it('stops quietly with exit 0 when the reader closes the pipe early (`dropgate export c1 | head`)', async () => {
    // Enough codes that the export is still writing when the reader goes (more than a pipe holds).
    const big = await cliJson<Campaign>(['campaign', 'create', '--name', 'Big', '--tier', 'tshirt:20000']);
    const run = await cliReadingFirstChunk(() => system)(['export', big.id]);
    expect(run.stdout.startsWith('code,tier,state,customerId,redeemedAt,publicationId\n')).toBe(true);
    // It was "dropgate: write EPIPE" and exit 4, as if the API had failed.
    expect(run.code).toBe(0);
    expect(run.stderr).not.toMatch(/EPIPE|dropgate:/);
  });

  it('exits 1 when the export file cannot be written, naming it, and leaves no file', async () => {
    const missingDir = path.join(scratch, 'no-such-dir', 'codes.csv');
    const run = await cli(['export', campaign.id, '--out', missingDir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot write ${missingDir}`);
    const intoDir = await cli(['export', campaign.id, '--out', scratch]);
    expect(intoDir.code).toBe(1);
    expect(intoDir.stderr).toContain(`cannot write ${scratch}`);
    // A refused export touches no file: the API answers before the file is opened.
    const refused = await cli(['export', 'no_such_campaign', '--out', path.join(scratch, 'refused.csv')]);
    expect(refused.code).toBe(2);
    expect(existsSync(path.join(scratch, 'refused.csv'))).toBe(false);
  });

  it('pauses, resumes and stops it', async () => {
    expect((await cliJson<Campaign>(['pause', campaign.id])).status).toBe('paused');
    expect((await cliJson<Campaign>(['resume', campaign.id])).status).toBe('active');
    const stopped = await cli(['stop', campaign.id]);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout.trim()).toBe(`${campaign.id}: stopped (manual)`);
    expect((await cliJson<Campaign>(['campaign', 'show', campaign.id])).status).toBe('stopped');
  });

  it('exits 2 on a refused status change and on a create the API rejects', async () => {
    const ended = await cliJson<Campaign>(['campaign', 'create', '--name', 'short', '--tier', 'tshirt:1', '--draft']);
    expect(ended.status).toBe('draft');
    const pause = await cli(['pause', ended.id]);
    expect(pause.code).toBe(2);
    expect(pause.stderr).toContain('invalid_status_transition');
    const bad = await cli(['campaign', 'create', '--name', 'x', '--tier', 'Upper:1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid_request');
    // --length with a --pattern of another length: refused by the API, not dropped (it used to make 8-character codes).
    const disagree = await cli(['campaign', 'create', '--name', 'x', '--tier', 'tshirt:1', '--pattern', 'SKATE-####-####', '--length', '10']);
    expect(disagree.code).toBe(2);
    expect(disagree.stderr).toContain('invalid_code_spec (HTTP 400): length 10 disagrees with the 8 "#" of the pattern');
  });
});
