import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { appEntry, startSystem, type RunningSystem } from '@dropgate/testkit';

/**
 * The README's giveaway walkthrough, run as written: its bash block (less the lines that start `npm start` and set
 * up the CLI, which the test does itself) runs under `bash -e` against the real processes, `dropgate` being the
 * built CLI and `localhost:3000` the test's intake. Every `#>` line of the block must appear in the output, in
 * order, once codes, ids and times are masked: a README that drifts from what the commands print fails here.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const SECTION = '## The giveaway end to end, with the CLI';
const SETUP = /^(npm start|export DROPGATE_|alias dropgate=)/;

function walkthroughBlock(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(SECTION));
  const open = section.indexOf('```bash\n');
  if (readme.indexOf(SECTION) < 0 || open < 0) throw new Error(`README has no "${SECTION}" bash block`);
  const body = section.slice(open + '```bash\n'.length);
  return body.slice(0, body.indexOf('```'));
}

/** Codes, attempt and publication ids, ISO times: what differs from run to run. */
function masked(line: string): string {
  return line
    .replace(/SKATE-[0-9A-Z]{4}-[0-9A-Z]{4}/g, 'SKATE-<code>')
    .replace(/\batt_[a-z0-9]+/g, 'att_<id>')
    .replace(/\bpub_[A-Za-z0-9_-]+/g, 'pub_<id>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
    .replace(/\s+/g, ' ')
    .trim();
}

function run(script: string, cwd: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd, env: { ...env, PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

let system: RunningSystem;
let scratch: string;

beforeAll(async () => {
  system = await startSystem({ workers: 1 });
  scratch = mkdtempSync(path.join(tmpdir(), 'dropgate-readme-'));
}, 120_000);

afterAll(async () => {
  await system?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}, 60_000);

it("runs the README's giveaway walkthrough as written, printing every line it shows", async () => {
  const block = walkthroughBlock();
  const expected = block.split('\n').filter((l) => l.startsWith('#> ')).map((l) => masked(l.slice(3)));
  expect(expected.length).toBeGreaterThan(20);
  const commands = block
    .split('\n')
    .filter((l) => !SETUP.test(l))
    .join('\n')
    .replaceAll('localhost:3000', new URL(system.intakeUrl).host);
  const script = `set -euo pipefail\ndropgate() { "${process.execPath}" "${appEntry('cli')}" "$@"; }\n${commands}`;
  const result = await run(script, scratch, { DROPGATE_ADMIN_URL: system.adminUrl, DROPGATE_TOKEN: system.adminToken });
  expect({ code: result.code, output: result.code === 0 ? '' : result.output }).toEqual({ code: 0, output: '' });

  // Every shown line, in the README's order (lines the README leaves out may come in between).
  const actual = result.output.split('\n').map(masked);
  let at = 0;
  const missing: string[] = [];
  for (const line of expected) {
    const found = actual.indexOf(line, at);
    if (found < 0) missing.push(line);
    else at = found + 1;
  }
  expect({ missing, output: missing.length === 0 ? '' : result.output }).toEqual({ missing: [], output: '' });
}, 120_000);
