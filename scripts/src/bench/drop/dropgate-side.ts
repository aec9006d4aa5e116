import { Client } from 'pg';
import { ENV_VARS } from '@dropgate/config';
import { createPostgresStore } from '@dropgate/store-postgres';
import { startSystem, waitFor, type RunningSystem } from '@dropgate/testkit';
import { integrity, lostAttempts, recordedOutcomes } from '../db-checks';
import { createCampaignByAdmin } from '../seed';
import { formatNumber } from '../table';

/** The case's campaign: 700 codes in three tiers, one per customer, stopping at 700, published in bulks of 10. */
export const TIERS = [
  { name: 'tshirt', reward: 't-shirt', quantity: 600 },
  { name: 'skate-deck', reward: 'skate deck', quantity: 50 },
  { name: 'yeti', reward: 'yeti', quantity: 50 },
] as const;
export const TOTAL_CODES = TIERS.reduce((n, t) => n + t.quantity, 0);
export const BULK = 10;

/** Who holds a code since when (Dropgate: the code's holder; baseline: every redemption row). */
export interface Holder {
  code: string;
  customerId: string;
  redeemedAt: Date;
}

export interface PublishedCode {
  code: string;
  tier: string;
}

export interface DropgateUnderTest {
  sys: RunningSystem;
  db: Client;
  campaignId: string;
  published: PublishedCode[];
}

/**
 * The load shedding the build ships with (packages/config's defaults): testkit turns it off for tests, the bench
 * sets it back. INTAKE_PROCESSES stays testkit's 1 (the build's default is one per core).
 */
export const SHIPPED_SHEDDING = {
  SHED_EVENT_LOOP_DELAY_MS: String(ENV_VARS.SHED_EVENT_LOOP_DELAY_MS.parse(undefined)),
  SHED_MAX_IN_FLIGHT: String(ENV_VARS.SHED_MAX_IN_FLIGHT.parse(undefined)),
  SHED_TARGET_LATENCY_MS: String(ENV_VARS.SHED_TARGET_LATENCY_MS.parse(undefined)),
  SHED_MIN_IN_FLIGHT: String(ENV_VARS.SHED_MIN_IN_FLIGHT.parse(undefined)),
};

/** The hold's rule as shipped: testkit holds nobody longer (all its customers share 127.0.0.1); here every client has its own address. */
const SHIPPED_HOLD = { ATTEMPT_HOLD_MAX_MS: String(ENV_VARS.ATTEMPT_HOLD_MAX_MS.parse(undefined)) };

/**
 * Dropgate as a deployment behind a load balancer runs it: intake (trusting the loopback proxy hop, so client
 * addresses come from X-Forwarded-For), admin, 2 workers, the build's own defaults for everything else, load
 * shedding included (one intake process, though: see SHIPPED_SHEDDING). The campaign is created through the admin
 * API, its codes published through the store in bulks of 10.
 */
export async function startDropgate(log: (line: string) => void): Promise<DropgateUnderTest> {
  const sys = await startSystem({ workers: 2, env: { TRUST_PROXY: 'loopback', LOG_LEVEL: 'warn', ...SHIPPED_SHEDDING, ...SHIPPED_HOLD } });
  const db = new Client({ connectionString: sys.env.DATABASE_URL, application_name: 'dropgate-bench-drop', options: `-c search_path=${sys.schema}` });
  try {
    await db.connect();
    const campaign = await createCampaignByAdmin(sys, {
      name: 'the drop',
      tiers: TIERS,
      perCustomerLimit: 1,
      target: TOTAL_CODES,
      code: { length: 10 },
      status: 'active',
      redeemRequiresPublication: true,
    });
    const store = createPostgresStore({ connectionString: sys.env.DATABASE_URL!, schema: sys.schema, poolSize: 2, applicationName: 'dropgate-bench-drop-seed' });
    const published: PublishedCode[] = [];
    try {
      for (const tier of TIERS) {
        for (let i = 0; i < tier.quantity / BULK; i++) {
          const p = await store.codes.publish({ campaignId: campaign.id, tier: tier.name, count: BULK, publicationId: `bulk-${tier.name}-${i}`, channel: 'web', now: new Date() });
          for (const code of p.codes) published.push({ code, tier: tier.name });
        }
      }
    } finally {
      await store.close();
    }
    log(
      `dropgate: intake ${sys.intakeUrl} (${sys.env.INTAKE_PROCESSES} process; shedding as shipped: SHED_EVENT_LOOP_DELAY_MS ${sys.env.SHED_EVENT_LOOP_DELAY_MS}, ` +
        `SHED_MAX_IN_FLIGHT ${sys.env.SHED_MAX_IN_FLIGHT}, SHED_TARGET_LATENCY_MS ${sys.env.SHED_TARGET_LATENCY_MS}, SHED_MIN_IN_FLIGHT ${sys.env.SHED_MIN_IN_FLIGHT}), 2 workers, schema ${sys.schema}; campaign ${campaign.id}: ${published.length} codes published in ${published.length / BULK} bulks of ${BULK}`);
    // The intake serves the campaign once its catalog has it; its code filter reloads within a second of a change.
    await waitFor(
      'the intake to show the campaign open',
      async () => {
        const res = await fetch(`${sys.intakeUrl}/v1/campaigns/${campaign.id}`, { signal: AbortSignal.timeout(5000) });
        return res.ok && ((await res.json()) as { open?: boolean }).open === true ? true : undefined;
      },
      30_000,
      200,
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    return { sys, db, campaignId: campaign.id, published };
  } catch (err) {
    await db.end().catch(() => undefined);
    await sys.stop();
    throw err;
  }
}

export interface DropgateChecks {
  drained: boolean;
  lost: number;
  doubleAssigned: number;
  customerOverLimit: number;
  counterDrift: number;
  outcomes: Record<string, number>;
  holders: Holder[];
}

/** Waits until every accepted attempt has a recorded outcome (at most `timeoutS`), then checks the database. */
export async function checkDropgate(d: DropgateUnderTest, acceptedIds: readonly string[], timeoutS: number, log: (line: string) => void): Promise<DropgateChecks> {
  const started = performance.now();
  let drained = false;
  let lastLog = 0;
  for (;;) {
    const done = await recordedOutcomes(d.db, d.campaignId);
    if (done >= acceptedIds.length) {
      drained = true;
      break;
    }
    const s = (performance.now() - started) / 1000;
    if (s > timeoutS) break;
    if (s - lastLog >= 2) {
      lastLog = s;
      log(`  dropgate: draining, ${formatNumber(done)} / ${formatNumber(acceptedIds.length)} accepted attempts have an outcome (${s.toFixed(0)} s)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const lost = await lostAttempts(d.db, acceptedIds);
  const report = await integrity(d.db, d.campaignId, 1);
  const { rows } = await d.db.query<{ code: string; customer_id: string; redeemed_at: Date }>(
    `SELECT code, customer_id, redeemed_at FROM codes WHERE campaign_id = $1 AND state = 'redeemed' AND customer_id IS NOT NULL`,
    [d.campaignId],
  );
  return {
    drained,
    lost: lost.lost,
    doubleAssigned: report.doubleAssigned,
    customerOverLimit: report.customersOverLimit,
    counterDrift: report.counterDrift,
    outcomes: report.outcomes,
    holders: rows.map((r) => ({ code: r.code, customerId: r.customer_id, redeemedAt: r.redeemed_at })),
  };
}

/**
 * When each of these attempts was accepted, as recorded (an attempt is judged, and its finished_at recorded, as of
 * its acceptance time: the same clock as a code's redeemed_at).
 */
export async function acceptanceTimes(db: Client, attemptIds: readonly string[]): Promise<Map<string, number>> {
  const times = new Map<string, number>();
  for (let i = 0; i < attemptIds.length; i += 10_000) {
    const { rows } = await db.query<{ attempt_id: string; finished_at: Date }>('SELECT attempt_id, finished_at FROM attempts WHERE attempt_id = ANY($1::text[])', [
      attemptIds.slice(i, i + 10_000),
    ]);
    for (const row of rows) times.set(row.attempt_id, row.finished_at.getTime());
  }
  return times;
}
