import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import { abortOnExit, dropSchema, freePort, stopChild, TEST_DATABASE_URL, waitFor } from '@dropgate/testkit';
import type { Holder, PublishedCode } from './dropgate-side';

export const BASELINE_CAMPAIGN = 'the-drop';

export interface BaselineUnderTest {
  url: string;
  schema: string;
  db: Client;
  stop(): Promise<void>;
}

/** scripts/baseline/dist/server.js: from scripts/dist/bench/drop, three levels up to scripts/. */
const SERVER = path.join(__dirname, '..', '..', '..', 'baseline', 'dist', 'server.js');

/** Starts the afternoon build (scripts/baseline) on a schema of its own and loads it with the SAME published codes. */
export async function startBaseline(codes: readonly PublishedCode[]): Promise<BaselineUnderTest> {
  const schema = `dg_baseline_${randomBytes(4).toString('hex')}`;
  const port = await freePort();
  const child = spawn(process.execPath, [SERVER], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port), DATABASE_URL: TEST_DATABASE_URL, BASELINE_SCHEMA: schema },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  child.on('error', () => undefined);
  const url = `http://127.0.0.1:${port}`;
  const db = new Client({ connectionString: TEST_DATABASE_URL, application_name: 'dropgate-bench-drop-baseline', options: `-c search_path=${schema}` });
  const stop = async (): Promise<void> => {
    await db.end().catch(() => undefined);
    await stopChild(child);
    await dropSchema(schema).catch((err: unknown) => process.stderr.write(`baseline clean-up failed: ${String(err)}\n`));
  };
  const died = new AbortController();
  const unwatch = abortOnExit(child, 'the baseline', died);
  try {
    await waitFor('the baseline to answer', async () => ((await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) })).ok ? true : undefined), 30_000, 100, died.signal);
    await db.connect();
    await db.query('INSERT INTO bl_codes (campaign_id, code, tier) SELECT $1, unnest($2::text[]), unnest($3::text[])', [BASELINE_CAMPAIGN, codes.map((c) => c.code), codes.map((c) => c.tier)]);
  } catch (err) {
    unwatch();
    await stop();
    throw err;
  }
  unwatch();
  return { url, schema, db, stop };
}

export interface BaselineChecks {
  /** Redemptions beyond the first of a code: each is a code handed out again. */
  doubleAssigned: number;
  /** Codes handed out more than once. */
  codesGivenTwice: number;
  customerOverLimit: number;
  redemptionRows: number;
  redeemedCodes: number;
  holders: Holder[];
}

export async function checkBaseline(b: BaselineUnderTest): Promise<BaselineChecks> {
  const one = async (sql: string): Promise<number> => Number((await b.db.query<{ n: string }>(sql)).rows[0]?.n ?? 0);
  const { rows } = await b.db.query<{ code: string; customer_id: string; redeemed_at: Date }>('SELECT code, customer_id, redeemed_at FROM bl_redemptions');
  return {
    doubleAssigned: await one('SELECT coalesce(sum(n - 1), 0) AS n FROM (SELECT count(*) AS n FROM bl_redemptions GROUP BY campaign_id, code HAVING count(*) > 1) x'),
    codesGivenTwice: await one('SELECT count(*) AS n FROM (SELECT 1 FROM bl_redemptions GROUP BY campaign_id, code HAVING count(*) > 1) x'),
    customerOverLimit: await one('SELECT count(*) AS n FROM (SELECT 1 FROM bl_redemptions GROUP BY campaign_id, customer_id HAVING count(*) > 1) x'),
    redemptionRows: rows.length,
    redeemedCodes: await one(`SELECT count(*) AS n FROM bl_codes WHERE state = 'redeemed'`),
    holders: rows.map((r) => ({ code: r.code, customerId: r.customer_id, redeemedAt: r.redeemed_at })),
  };
}
