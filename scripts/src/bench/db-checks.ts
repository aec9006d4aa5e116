/**
 * What the DATABASE says after a run (not what the clients were told): double assignment and lost attempts.
 * The client must have search_path set to the system's schema.
 */
import type { Client } from 'pg';

export interface IntegrityReport {
  /** Codes carrying an attempt id that is also on another code of the campaign. */
  codesSharingAnAttempt: number;
  /** Customers holding more codes than the per-customer limit allows. */
  customersOverLimit: number;
  /** Successful attempts whose recorded code is held by a different attempt (or by nobody). */
  attemptsWithCodeHeldElsewhere: number;
  /** Sum of the three: codes handed out twice, seen from every side. */
  doubleAssigned: number;
  /** Extra: redeemed codes whose attempt row names another code or did not succeed. */
  codesWithForeignAttempt: number;
  /** Extra: the campaign's success count (redeemed_count + sharded counters) minus the codes really redeemed (0 when consistent). */
  counterDrift: number;
  outcomes: Record<string, number>;
  successAttempts: number;
  redeemedCodes: number;
  campaignRedeemedCount: number;
  codesLeft: number;
}

const one = async (db: Client, sql: string, params: unknown[]): Promise<number> => Number((await db.query<{ n: string }>(sql, params)).rows[0]?.n ?? 0);

export async function integrity(db: Client, campaignId: string, perCustomerLimit: number): Promise<IntegrityReport> {
  const codesSharingAnAttempt = await one(
    db,
    `SELECT coalesce(sum(n), 0) AS n FROM (
       SELECT count(*) AS n FROM codes WHERE campaign_id = $1 AND attempt_id IS NOT NULL GROUP BY attempt_id HAVING count(*) > 1) x`,
    [campaignId],
  );
  const customersOverLimit = await one(
    db,
    `SELECT count(*) AS n FROM (
       SELECT customer_id FROM codes WHERE campaign_id = $1 AND state = 'redeemed' AND customer_id IS NOT NULL
       GROUP BY customer_id HAVING count(*) > $2) x`,
    [campaignId, perCustomerLimit],
  );
  const attemptsWithCodeHeldElsewhere = await one(
    db,
    `SELECT count(*) AS n FROM attempts a
       LEFT JOIN codes c ON c.campaign_id = a.campaign_id AND c.code = a.code
     WHERE a.campaign_id = $1 AND a.outcome IN ('claimed', 'redeemed')
       AND (c.code IS NULL OR c.attempt_id IS DISTINCT FROM a.attempt_id OR c.state <> 'redeemed')`,
    [campaignId],
  );
  const codesWithForeignAttempt = await one(
    db,
    `SELECT count(*) AS n FROM codes c
       LEFT JOIN attempts a ON a.attempt_id = c.attempt_id
     WHERE c.campaign_id = $1 AND c.state = 'redeemed'
       AND (a.attempt_id IS NULL OR a.code IS DISTINCT FROM c.code OR a.campaign_id <> c.campaign_id
            OR a.outcome NOT IN ('claimed', 'redeemed'))`,
    [campaignId],
  );
  const outcomes: Record<string, number> = {};
  for (const row of (
    await db.query<{ outcome: string | null; n: string }>('SELECT outcome, count(*) AS n FROM attempts WHERE campaign_id = $1 GROUP BY outcome', [campaignId])
  ).rows)
    outcomes[row.outcome ?? '(null)'] = Number(row.n);
  const successAttempts = (outcomes.claimed ?? 0) + (outcomes.redeemed ?? 0);
  const redeemedCodes = await one(db, `SELECT count(*) AS n FROM codes WHERE campaign_id = $1 AND state = 'redeemed'`, [campaignId]);
  const codesLeft = await one(db, `SELECT count(*) AS n FROM codes WHERE campaign_id = $1 AND state = 'available'`, [campaignId]);
  // The campaign's success count: campaigns.redeemed_count, plus the sharded counters when the schema has them
  // (campaigns without a target count on campaign_counters to avoid a single hot row).
  const sharded = (await db.query<{ t: string | null }>(`SELECT to_regclass('campaign_counters')::text AS t`)).rows[0]?.t != null;
  const campaignRedeemedCount = await one(
    db,
    sharded
      ? 'SELECT redeemed_count + (SELECT coalesce(sum(redeemed), 0) FROM campaign_counters WHERE campaign_id = $1) AS n FROM campaigns WHERE id = $1'
      : 'SELECT redeemed_count AS n FROM campaigns WHERE id = $1',
    [campaignId],
  );
  return {
    codesSharingAnAttempt,
    customersOverLimit,
    attemptsWithCodeHeldElsewhere,
    doubleAssigned: codesSharingAnAttempt + customersOverLimit + attemptsWithCodeHeldElsewhere,
    codesWithForeignAttempt,
    counterDrift: campaignRedeemedCount - redeemedCodes,
    outcomes,
    successAttempts,
    redeemedCodes,
    campaignRedeemedCount,
    codesLeft,
  };
}

/** Accepted attempt ids with no recorded outcome in `attempts`. */
export async function lostAttempts(db: Client, attemptIds: readonly string[]): Promise<{ lost: number; sample: string[] }> {
  await db.query('CREATE TEMP TABLE IF NOT EXISTS bench_accepted (attempt_id text PRIMARY KEY)');
  await db.query('TRUNCATE bench_accepted');
  const BATCH = 20_000;
  for (let i = 0; i < attemptIds.length; i += BATCH) {
    await db.query('INSERT INTO bench_accepted SELECT unnest($1::text[]) ON CONFLICT DO NOTHING', [attemptIds.slice(i, i + BATCH)]);
  }
  const { rows } = await db.query<{ attempt_id: string }>(
    `SELECT x.attempt_id FROM bench_accepted x
     WHERE NOT EXISTS (SELECT 1 FROM attempts a WHERE a.attempt_id = x.attempt_id AND a.outcome IS NOT NULL)`,
  );
  return { lost: rows.length, sample: rows.slice(0, 5).map((r) => r.attempt_id) };
}

/** Attempts with an outcome recorded for the campaign (what the workers have finished). */
export async function recordedOutcomes(db: Client, campaignId: string): Promise<number> {
  return one(db, 'SELECT count(*) AS n FROM attempts WHERE campaign_id = $1 AND outcome IS NOT NULL', [campaignId]);
}
