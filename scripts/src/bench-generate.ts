/**
 * `npm run bench:generate`: how fast the admin's background generation job puts codes into PostgreSQL, through
 * the real path: a spawned admin process (built dist, its own admin jobs worker), `POST /admin/v1/campaigns` with
 * `Prefer: respond-async`, then `GET /admin/v1/jobs/:jobId` polled until the job completes (progress printed).
 * Afterwards the codes are counted IN THE DATABASE (distinct, per campaign) and the campaign must be active.
 * The admin's resident memory is read from /proc before each run and at its peak during it (VmHWM, reset per run):
 * what a generation of that many codes costs the admin process.
 * Aim: 1,000,000 codes in under 60 s. Everything lives in a schema and queue prefix of its own, removed at the end.
 * Last line: one JSON summary.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appEntry, appEnv, deleteKeysByPrefix, dropSchema, freePort, migrateApp, requestJson, TEST_DATABASE_URL, waitFor } from '@dropgate/testkit';
import { Client } from 'pg';
import { parseFlags } from './bench/cli-flags';
import { residentMemory, resetPeakMemory } from './bench/proc-stats';
import { formatTable, round } from './bench/table';
import { errorWithStack } from '@dropgate/core';

const flags = parseFlags(process.argv.slice(2), {
  usage: "npm run bench:generate -- [flags]: codes per second through the admin's generation job, counted in the database",
  numeric: { count: 1_000_000, runs: 1, 'code-length': 12 },
  about: { count: 'codes generated per run', runs: 'runs, each a campaign of its own', 'code-length': 'characters per code' },
});
const log = (line: string): void => void process.stdout.write(line + '\n');

interface RunResult {
  run: number;
  codes: number;
  seconds: number;
  codesPerSec: number;
  inDatabase: number;
  distinct: number;
  active: boolean;
  /** The admin's resident memory when the run began, and its peak during the run (MiB). */
  rssBeforeMiB: number;
  peakRssMiB: number;
}

const mib = (bytes: number | undefined): number => round((bytes ?? NaN) / 2 ** 20, 1);

async function main(): Promise<void> {
  const id = randomBytes(4).toString('hex');
  const token = randomBytes(18).toString('base64url');
  const port = await freePort();
  const env = appEnv({ DATABASE_SCHEMA: `dg_bench_${id}`, QUEUE_PREFIX: `dgbench${id}`, ADMIN_PORT: String(port), ADMIN_METRICS_PORT: '0', ADMIN_TOKENS: `bench:read+write:${createHash('sha256').update(token).digest('hex')}`, LOG_LEVEL: 'warn' });
  migrateApp(env);
  const admin = spawn(process.execPath, [appEntry('admin')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  const headers = { authorization: `Bearer ${token}` };
  const db = new Client({ connectionString: TEST_DATABASE_URL });
  const results: RunResult[] = [];
  try {
    await waitFor('admin ready', async () => ((await fetch(`${url}/readyz`)).ok ? true : undefined), 30_000, 100);
    await db.connect();
    for (let run = 1; run <= flags.runs; run++) {
      if (!resetPeakMemory(admin.pid!)) log(`  note: the admin's peak memory could not be reset; run ${run}'s peak may be an earlier run's`);
      const rssBefore = residentMemory(admin.pid!)?.rssBytes;
      const started = process.hrtime.bigint();
      const created = await requestJson(`${url}/admin/v1/campaigns`, {
        method: 'POST',
        headers: { ...headers, prefer: 'respond-async' },
        body: {
          name: `bench generate ${run}`,
          tiers: [{ name: 'standard', reward: 't-shirt', quantity: flags.count }],
          perCustomerLimit: 1,
          code: { length: flags['code-length'] },
          status: 'active',
        },
      });
      if (created.status !== 202 && created.status !== 201) throw new Error(`campaign creation answered ${created.status}: ${JSON.stringify(created.body)}`);
      const { id: campaignId, jobId } = created.body as { id: string; jobId: string };
      let lastPrinted = -1;
      const job = await waitFor(
        `job ${jobId}`,
        async () => {
          const status = (await requestJson(`${url}/admin/v1/jobs/${jobId}`, { headers })).body as { state: string; done: number; total: number; error?: string };
          const percent = Math.floor((100 * status.done) / Math.max(1, status.total));
          if (percent >= lastPrinted + 10 || (status.done === status.total && percent > lastPrinted)) {
            lastPrinted = percent;
            log(`  run ${run}: ${status.done.toLocaleString('en-US')} / ${status.total.toLocaleString('en-US')} codes (${percent}%) after ${round(Number(process.hrtime.bigint() - started) / 1e9)} s`);
          }
          return status.state === 'completed' || status.state === 'failed' ? status : undefined;
        },
        30 * 60_000,
        100,
      );
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const peak = residentMemory(admin.pid!)?.peakBytes;
      if (job.state !== 'completed') throw new Error(`job failed: ${job.error}`);
      const counted = await db.query<{ n: string; d: string }>(`SELECT count(*) AS n, count(DISTINCT code) AS d FROM ${env.DATABASE_SCHEMA}.codes WHERE campaign_id = $1`, [campaignId]);
      const campaign = (await requestJson(`${url}/admin/v1/campaigns/${campaignId}`, { headers })).body as { status: string };
      results.push({
        run,
        codes: flags.count,
        seconds: round(seconds, 2),
        codesPerSec: Math.round(flags.count / seconds),
        inDatabase: Number(counted.rows[0]!.n),
        distinct: Number(counted.rows[0]!.d),
        active: campaign.status === 'active',
        rssBeforeMiB: mib(rssBefore),
        peakRssMiB: mib(peak),
      });
    }
  } finally {
    admin.kill('SIGTERM');
    await new Promise((resolve) => admin.once('exit', resolve));
    await db.end().catch(() => undefined);
    await dropSchema(env.DATABASE_SCHEMA!, env.DATABASE_URL);
    await deleteKeysByPrefix(env.QUEUE_PREFIX!);
  }
  log('');
  log(
    formatTable(
      ['run', 'codes', 'seconds', 'codes/s', 'rows in db', 'distinct', 'active', 'admin RSS before MiB', 'admin peak RSS MiB'],
      results.map((r) => [String(r.run), r.codes, r.seconds, r.codesPerSec, r.inDatabase, r.distinct, String(r.active), r.rssBeforeMiB, r.peakRssMiB]),
    ),
  );
  const best = Math.min(...results.map((r) => r.seconds));
  const ok = results.every((r) => r.inDatabase === r.codes && r.distinct === r.codes && r.active);
  log('');
  log(`aim: ${flags.count.toLocaleString('en-US')} codes in under 60 s → best ${best} s ${best < 60 ? '(met)' : '(MISSED)'}; every run exact and active: ${ok}`);
  log(JSON.stringify({ bench: 'generate', count: flags.count, runs: results, bestSeconds: best, aimSeconds: 60, exact: ok }));
  if (!ok) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:generate failed: ${errorWithStack(err)}\n`);
  process.exit(1);
});
