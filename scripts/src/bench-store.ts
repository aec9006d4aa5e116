/**
 * `npm run bench:store`: claim throughput of the PostgreSQL store, side by side in one run:
 *   - single calls (one claim per store call, one transaction each) at concurrency 1, 16 and 64;
 *   - batches as the workers send them (@dropgate/attempt-processing's batchingRedemptions, the workers' own code,
 *     with at most 32 attempts per call (the workers' WORKER_STORE_BATCH_MAX default when this bench was written; the
 *     default is now 64, see bench:drain; kept at 32 so figures compare across runs), WORKER_STORE_BATCH_WAIT_MS 0,
 *     a pool of DATABASE_POOL_SIZE 10) at 16 and 64 in flight;
 * then a cross-check IN THE DATABASE that no code went to two attempts or customers and that every counter equals
 * the records. Last line: one JSON summary.
 *
 * Each run gets a fresh campaign with 100,000 codes in one tier (perCustomerLimit 1) and claims from distinct
 * customers, for a fixed time or a claim cap. Where the time goes: the CPU this Node process and the PostgreSQL
 * backends serving it spent per claim (from /proc). Everything lives in a schema of its own (dg_bench_<random>),
 * dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import { generateCodes, resolveCodeSpec, type AttemptResult, errorMessage, errorWithStack } from '@dropgate/core';
import { batchingRedemptions } from '@dropgate/attempt-processing';
import type { RedemptionService, Store } from '@dropgate/store';
import { createPostgresStore } from '@dropgate/store-postgres';
import { dropSchema, TEST_DATABASE_URL as DATABASE_URL } from '@dropgate/testkit';
import { Client } from 'pg';
import { parseFlags } from './bench/cli-flags';
import { integrity } from './bench/db-checks';
import { procInfo } from './bench/proc-stats';
import { formatTable } from './bench/table';

// No flags: `--help` says what it does, and a typo is refused instead of starting a minute of heavy load.
parseFlags(process.argv.slice(2), {
  usage: 'npm run bench:store: claims/s of the PostgreSQL adapter, single calls at 1, 16, 64 and batches at 16, 64 in flight, 100,000 codes (schema dg_bench_<random>, dropped at the end)',
  about: {},
});

const SCHEMA = `dg_bench_${randomBytes(4).toString('hex')}`;
const CODES = 100_000;
const SINGLE_LEVELS = [1, 16, 64] as const;
const BATCHED_LEVELS = [16, 64] as const;
/** Attempts per store call at most (see the header: 32, the workers' default of the time, for comparable figures). */
const WORKER_BATCH_MAX = 32;
const WORKER_POOL_SIZE = 10;
const RUN_MS = 8_000;
const MAX_CLAIMS = 90_000; // below CODES: a run never sells out
const NOW = new Date();

type Mode = 'single' | 'batched';

interface RunResult {
  mode: Mode;
  concurrency: number;
  campaignId: string;
  claims: number;
  claimed: number;
  other: number;
  errors: number;
  seconds: number;
  claimsPerSec: number;
  p50: number;
  p99: number;
  /** CPU per claim of this Node process (client side) and of the PostgreSQL backends serving it, in µs. */
  nodeCpuUs: number;
  pgCpuUs: number;
  /** Batched runs: store calls made, and how many batches failed and were run one by one. */
  storeCalls: number;
  fellBack: number;
  distinctCodes: number;
}

const log = (line: string): void => void process.stdout.write(line + '\n');

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: DATABASE_URL, application_name: 'dropgate-bench-admin' });
  await client.connect();
  try {
    await client.query(`SET search_path TO ${SCHEMA}`);
    return await work(client);
  } finally {
    await client.end();
  }
}

/** CPU seconds the PostgreSQL backends of one application name have used so far. */
async function backendCpu(applicationName: string): Promise<number> {
  const pids = await admin(async (client) => (await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [applicationName])).rows);
  return pids.reduce((sum, { pid }) => sum + (procInfo(pid)?.cpuS ?? 0), 0);
}

async function loadCampaign(store: Store, label: string): Promise<string> {
  const codeSpec = resolveCodeSpec({ length: 10, prefix: 'BN-' });
  const campaign = await store.campaigns.create({ name: `bench ${label}`, status: 'active', tiers: [{ name: 'standard', reward: 'bench' }], perCustomerLimit: 1, codeSpec });
  const loadStart = Date.now();
  const inserted = await store.codes.insert(campaign.id, generateCodes(codeSpec, CODES).map((code) => ({ code, tier: 'standard' })));
  if (inserted.inserted !== CODES) throw new Error(`inserted ${inserted.inserted} of ${CODES} codes`);
  log(`${label}: campaign ${campaign.id}, ${CODES} codes loaded in ${Date.now() - loadStart} ms`);
  return campaign.id;
}

async function run(mode: Mode, concurrency: number): Promise<RunResult> {
  const label = `${mode} c=${concurrency}`;
  const applicationName = `dropgate-bench-${mode}-c${concurrency}`;
  const poolSize = mode === 'single' ? concurrency : WORKER_POOL_SIZE;
  const store = createPostgresStore({ connectionString: DATABASE_URL, schema: SCHEMA, poolSize, applicationName });
  try {
    const campaignId = await loadCampaign(store, label);
    let storeCalls = 0;
    let fellBack = 0;
    const redemptions: RedemptionService =
      mode === 'single'
        ? store.redemptions
        : batchingRedemptions(store.redemptions, {
            max: WORKER_BATCH_MAX,
            waitMs: 0,
            onBatch: (_size, failed) => {
              storeCalls++;
              if (failed) fellBack++;
            },
          });
    // Open every connection before the clock starts, so the run measures claims, not connection set-up.
    await Promise.all(Array.from({ length: poolSize }, () => store.ping()));

    const runId = randomBytes(3).toString('hex');
    const latencies: number[] = [];
    const codes = new Set<string>();
    let issued = 0;
    let claimed = 0;
    let other = 0;
    let errors = 0;
    const pgBefore = await backendCpu(applicationName);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const deadline = started + RUN_MS;
    const progress = setInterval(() => {
      const s = (performance.now() - started) / 1000;
      log(`${label}: ${s.toFixed(1)} s, ${claimed} claimed, ${Math.round(claimed / s)} claims/s`);
    }, 1000);
    const worker = async (): Promise<void> => {
      while (performance.now() < deadline && issued < MAX_CLAIMS) {
        const i = issued++;
        const t0 = performance.now();
        try {
          const r: AttemptResult = await redemptions.claim({ attemptId: `bench_${runId}_${mode}_${concurrency}_${i}`, campaignId, customerId: `cust_${runId}_${i}`, now: NOW });
          latencies.push(performance.now() - t0);
          if (r.outcome === 'claimed') {
            claimed++;
            codes.add(r.code!);
          } else other++;
        } catch (err) {
          errors++;
          if (errors <= 5) log(`${label}: claim failed: ${errorMessage(err)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    clearInterval(progress);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const pgCpuS = (await backendCpu(applicationName)) - pgBefore;
    latencies.sort((a, b) => a - b);
    const done = Math.max(1, latencies.length);
    return {
      mode,
      concurrency,
      campaignId,
      claims: claimed + other + errors,
      claimed,
      other,
      errors,
      seconds,
      claimsPerSec: Math.round(claimed / seconds),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      nodeCpuUs: Math.round((cpu.user + cpu.system) / done),
      pgCpuUs: Math.round((pgCpuS * 1e6) / done),
      storeCalls: mode === 'single' ? latencies.length : storeCalls,
      fellBack,
      distinctCodes: codes.size,
    };
  } finally {
    await store.close();
  }
}

/** Ctrl-C mid-run: the bench's schema is dropped before it exits, as at a normal end (else it stays behind). */
function dropSchemaOnInterrupt(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: dropping schema ${SCHEMA} and stopping`);
      dropSchema(SCHEMA, DATABASE_URL).then(
        () => process.exit(130),
        (err: unknown) => {
          process.stderr.write(`could not drop schema ${SCHEMA}: ${errorMessage(err)}\n`);
          process.exit(130);
        },
      );
    });
  }
}

async function main(): Promise<void> {
  dropSchemaOnInterrupt();
  try {
    const migrator = createPostgresStore({ connectionString: DATABASE_URL, schema: SCHEMA, poolSize: 1 });
    await migrator.migrate();
    await migrator.close();
    log(`schema ${SCHEMA}; each run: ${RUN_MS / 1000} s or ${MAX_CLAIMS} claims; batched = ${WORKER_BATCH_MAX} attempts per store call at most, pool of ${WORKER_POOL_SIZE}`);

    // Interleaved, so that load from elsewhere on the machine spreads over both modes.
    const results: RunResult[] = [];
    results.push(await run('single', 1));
    for (const c of BATCHED_LEVELS) {
      results.push(await run('single', c));
      results.push(await run('batched', c));
    }

    log('');
    log(
      formatTable(
        ['mode', 'in flight', 'claims', 'claimed', 'other', 'errors', 'claims/s', 'p50 ms', 'p99 ms', 'store calls', 'fell back', 'node µs/claim', 'pg µs/claim'],
        results.map((r) => [
          r.mode,
          r.concurrency,
          r.claims,
          r.claimed,
          r.other,
          r.errors,
          r.claimsPerSec,
          Number(r.p50.toFixed(2)),
          Number(r.p99.toFixed(2)),
          r.storeCalls,
          r.fellBack,
          r.nodeCpuUs,
          r.pgCpuUs,
        ]),
      ),
    );
    for (const c of BATCHED_LEVELS) {
      const single = results.find((r) => r.mode === 'single' && r.concurrency === c)!;
      const batched = results.find((r) => r.mode === 'batched' && r.concurrency === c)!;
      log(`at ${c} in flight: batched / single = ×${(batched.claimsPerSec / Math.max(1, single.claimsPerSec)).toFixed(2)}`);
    }

    // What the database holds, per campaign: codes held twice, customers over the limit, counters vs records.
    const checks = await admin(async (client) => {
      const out: Array<{ label: string; doubleAssigned: number; counterDrift: number; codesWithForeignAttempt: number }> = [];
      for (const r of results) {
        const report = await integrity(client, r.campaignId, 1);
        out.push({ label: `${r.mode} c=${r.concurrency}`, doubleAssigned: report.doubleAssigned, counterDrift: report.counterDrift, codesWithForeignAttempt: report.codesWithForeignAttempt });
        if (report.redeemedCodes !== r.claimed) log(`WARNING ${r.mode} c=${r.concurrency}: ${report.redeemedCodes} codes redeemed in the database, ${r.claimed} claims answered claimed`);
      }
      return out;
    });
    // Client side too: every claimed code came back once.
    const clientDuplicates = results.reduce((n, r) => n + (r.claimed - r.distinctCodes), 0);
    log('');
    log('double-assignment cross-check (database):');
    log(formatTable(['run', 'doubleAssigned', 'counterDrift', 'foreignAttempt'], checks.map((c) => [c.label, c.doubleAssigned, c.counterDrift, c.codesWithForeignAttempt])));
    log(`client-side duplicate codes: ${clientDuplicates}`);
    const doubleAssigned = checks.reduce((n, c) => n + c.doubleAssigned + c.codesWithForeignAttempt + Math.abs(c.counterDrift), 0) + clientDuplicates;
    const errors = results.reduce((n, r) => n + r.errors, 0);
    if (errors > 0) log(`WARNING: ${errors} claims failed with an error`);
    const perSec = (mode: Mode, levels: readonly number[]) =>
      Object.fromEntries(levels.map((c) => [String(c), results.find((r) => r.mode === mode && r.concurrency === c)!.claimsPerSec]));
    log(
      JSON.stringify({
        adapter: 'postgres',
        codes: CODES,
        claimsPerSec: perSec('single', SINGLE_LEVELS),
        batchedClaimsPerSec: perSec('batched', BATCHED_LEVELS),
        doubleAssigned,
      }),
    );
    if (doubleAssigned > 0 || errors > 0) process.exitCode = 1;
  } finally {
    await dropSchema(SCHEMA, DATABASE_URL);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${errorWithStack(err)}\n`);
  process.exitCode = 1;
});
