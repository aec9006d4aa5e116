/**
 * `npm run bench:store`: claim throughput of the PostgreSQL store at concurrency 1, 16 and 64, then a
 * cross-check IN THE DATABASE that no code went to two attempts/customers. Last line: one JSON summary.
 *
 * Each level gets a fresh campaign with 100,000 codes in one tier (perCustomerLimit 1) and claims from distinct
 * customers, `concurrency` calls in flight on a pool of that many connections, for a fixed time or a claim cap.
 * Everything lives in its own schema (dg_bench), dropped at the start (leftovers) and at the end.
 */
import { randomBytes } from 'node:crypto';
import { generateCodes, resolveCodeSpec, type AttemptResult } from '@dropgate/core';
import { createPostgresStore } from '@dropgate/store-postgres';
import { dropSchema, TEST_DATABASE_URL as DATABASE_URL } from '@dropgate/testkit';
import { Client } from 'pg';

const SCHEMA = 'dg_bench';
const CODES = 100_000;
const LEVELS = [1, 16, 64] as const;
const RUN_MS = 8_000;
const MAX_CLAIMS = 60_000;
const NOW = new Date();

interface LevelResult {
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
  /** CPU this Node process spent per claim (client side of the cost; the rest is PostgreSQL). */
  nodeCpuUs: number;
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
    return await work(client);
  } finally {
    await client.end();
  }
}

async function runLevel(concurrency: number): Promise<LevelResult> {
  const store = createPostgresStore({ connectionString: DATABASE_URL, schema: SCHEMA, poolSize: concurrency, applicationName: `dropgate-bench-c${concurrency}` });
  try {
    const codeSpec = resolveCodeSpec({ length: 10, prefix: 'BN-' });
    const campaign = await store.campaigns.create({
      name: `bench c=${concurrency}`,
      status: 'active',
      tiers: [{ name: 'standard', reward: 'bench' }],
      perCustomerLimit: 1,
      codeSpec,
    });
    const loadStart = Date.now();
    const inserted = await store.codes.insert(campaign.id, generateCodes(codeSpec, CODES).map((code) => ({ code, tier: 'standard' })));
    if (inserted.inserted !== CODES) throw new Error(`inserted ${inserted.inserted} of ${CODES} codes`);
    log(`c=${concurrency}: campaign ${campaign.id}, ${CODES} codes loaded in ${Date.now() - loadStart} ms`);

    // Open every connection before the clock starts, so the run measures claims, not connection set-up.
    await Promise.all(Array.from({ length: concurrency }, () => store.ping()));

    const run = randomBytes(3).toString('hex');
    const latencies: number[] = [];
    const codes = new Set<string>();
    let issued = 0;
    let claimed = 0;
    let other = 0;
    let errors = 0;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const deadline = started + RUN_MS;
    const progress = setInterval(() => {
      const s = (performance.now() - started) / 1000;
      log(`c=${concurrency}: ${s.toFixed(1)} s, ${claimed} claimed, ${Math.round(claimed / s)} claims/s`);
    }, 1000);
    const worker = async (): Promise<void> => {
      while (performance.now() < deadline && issued < MAX_CLAIMS) {
        const i = issued++;
        const t0 = performance.now();
        try {
          const r: AttemptResult = await store.redemptions.claim({
            attemptId: `bench_${run}_${concurrency}_${i}`,
            campaignId: campaign.id,
            customerId: `cust_${run}_${i}`,
            now: NOW,
          });
          latencies.push(performance.now() - t0);
          if (r.outcome === 'claimed') {
            claimed++;
            codes.add(r.code!);
          } else other++;
        } catch (err) {
          errors++;
          if (errors <= 5) log(`c=${concurrency}: claim failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    clearInterval(progress);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    latencies.sort((a, b) => a - b);
    return {
      concurrency,
      campaignId: campaign.id,
      claims: claimed + other + errors,
      claimed,
      other,
      errors,
      seconds,
      claimsPerSec: Math.round(claimed / seconds),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      nodeCpuUs: Math.round((cpu.user + cpu.system) / Math.max(1, latencies.length)),
      distinctCodes: codes.size,
    };
  } finally {
    await store.close();
  }
}

/** Cross-checks attempts against codes in the database. Every count must be 0. */
async function doubleAssignmentChecks(client: Client, results: LevelResult[]): Promise<Record<string, number>> {
  const ids = results.map((r) => r.campaignId);
  const count = async (sql: string): Promise<number> => Number((await client.query<{ n: string }>(sql, [ids])).rows[0]!.n);
  return {
    // One attempt holding two codes (also forbidden by a unique index).
    attemptWithTwoCodes: await count(
      `SELECT count(*) AS n FROM (SELECT attempt_id FROM codes WHERE campaign_id = ANY ($1) AND attempt_id IS NOT NULL
                                 GROUP BY attempt_id HAVING count(*) > 1) x`,
    ),
    // A customer with more than one code (perCustomerLimit is 1).
    customerWithTwoCodes: await count(
      `SELECT count(*) AS n FROM (SELECT campaign_id, customer_id FROM codes WHERE campaign_id = ANY ($1) AND state = 'redeemed'
                                 GROUP BY campaign_id, customer_id HAVING count(*) > 1) x`,
    ),
    // A successful attempt whose code is not redeemed by that very attempt and customer.
    attemptCodeNotTheirs: await count(
      `SELECT count(*) AS n FROM attempts a
       LEFT JOIN codes c ON c.campaign_id = a.campaign_id AND c.code = a.code
       WHERE a.campaign_id = ANY ($1) AND a.outcome IN ('claimed', 'redeemed')
         AND (c.code IS NULL OR c.state <> 'redeemed' OR c.attempt_id IS DISTINCT FROM a.attempt_id
              OR c.customer_id IS DISTINCT FROM a.customer_id)`,
    ),
    // A code whose attempt row names another code (or another campaign, or did not succeed).
    codeAttemptMismatch: await count(
      `SELECT count(*) AS n FROM codes c
       LEFT JOIN attempts a ON a.attempt_id = c.attempt_id
       WHERE c.campaign_id = ANY ($1) AND c.state = 'redeemed'
         AND (a.attempt_id IS NULL OR a.code IS DISTINCT FROM c.code OR a.campaign_id <> c.campaign_id
              OR a.outcome NOT IN ('claimed', 'redeemed'))`,
    ),
    // The campaign counter disagrees with the codes really redeemed.
    counterMismatch: await count(
      `SELECT count(*) AS n FROM campaigns k
       WHERE k.id = ANY ($1)
         AND k.redeemed_count + coalesce((SELECT sum(s.redeemed) FROM campaign_counters s WHERE s.campaign_id = k.id), 0)
             <> (SELECT count(*) FROM codes c WHERE c.campaign_id = k.id AND c.state = 'redeemed')`,
    ),
  };
}

function table(results: LevelResult[]): string {
  const head = ['concurrency', 'claims', 'claimed', 'other', 'errors', 'seconds', 'claims/s', 'p50 ms', 'p99 ms', 'node cpu µs/claim'];
  const rows = results.map((r) => [
    String(r.concurrency),
    String(r.claims),
    String(r.claimed),
    String(r.other),
    String(r.errors),
    r.seconds.toFixed(2),
    String(r.claimsPerSec),
    r.p50.toFixed(2),
    r.p99.toFixed(2),
    String(r.nodeCpuUs),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  await dropSchema(SCHEMA, DATABASE_URL);
  try {
    const migrator = createPostgresStore({ connectionString: DATABASE_URL, schema: SCHEMA, poolSize: 1 });
    await migrator.migrate();
    await migrator.close();

    const results: LevelResult[] = [];
    for (const concurrency of LEVELS) results.push(await runLevel(concurrency));

    log('');
    log(table(results));
    const checks = await admin(async (client) => {
      await client.query(`SET search_path TO ${SCHEMA}`);
      return doubleAssignmentChecks(client, results);
    });
    // Client side too: every claimed code came back once.
    const clientDuplicates = results.reduce((n, r) => n + (r.claimed - r.distinctCodes), 0);
    log('');
    log('double-assignment cross-check (database):');
    for (const [name, n] of Object.entries(checks)) log(`  ${name.padEnd(22)} ${n}`);
    log(`  ${'clientDuplicateCodes'.padEnd(22)} ${clientDuplicates}`);
    const doubleAssigned = Object.values(checks).reduce((a, b) => a + b, 0) + clientDuplicates;
    const errors = results.reduce((n, r) => n + r.errors, 0);
    if (errors > 0) log(`WARNING: ${errors} claims failed with an error`);
    log(
      JSON.stringify({
        adapter: 'postgres',
        codes: CODES,
        claimsPerSec: Object.fromEntries(results.map((r) => [String(r.concurrency), r.claimsPerSec])),
        doubleAssigned,
      }),
    );
    if (doubleAssigned > 0) process.exitCode = 1;
  } finally {
    await dropSchema(SCHEMA, DATABASE_URL);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
