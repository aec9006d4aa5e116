import { OUTCOME_NAMES, statesAllowing, type AttemptResult, type ClaimRequest, type Outcome, type RedeemRequest } from '@dropgate/core';
import { checkedRefusal, withNormalizedCustomer, type AttemptRequest, type FaultHook, type RedemptionService, type RefusalRequest } from '@dropgate/store';
import type { Pool } from 'pg';
import { queryKeepingConnection } from './connection';
import { toAttempt, type AttemptRow } from './row-mappers';
import { retryTransient } from './transient-retry';

/** The states a redeem may start from, from @dropgate/core, handed to dg_redeem so the rule lives in one place. */
const REDEEMABLE = [...statesAllowing('redeem')];

/**
 * Redeem and claim are each ONE call of a stored function (migrations/002_redemption_functions.sql): one round
 * trip, one transaction, every check and conditional write inside the database. Named statements are prepared
 * once per connection, which a refused statement keeps (queryKeepingConnection). A whole call is retried on the rare
 * serialization failure or deadlock.
 */
export function createRedemptionService(pool: Pool, faults?: FaultHook): RedemptionService {
  const service: RedemptionService = {
    async redeem(request: RedeemRequest): Promise<AttemptResult> {
      const req = withNormalizedCustomer(request);
      const { rows } = await retryTransient(() =>
        queryKeepingConnection<AttemptRow>(pool, {
          name: 'dg_redeem',
          text: 'SELECT * FROM dg_redeem($1, $2, $3, $4, $5, $6::text[])',
          values: [req.attemptId, req.campaignId, req.code, req.customerId, req.now, REDEEMABLE],
        }),
      );
      await faults?.at('redeem.commit', req.attemptId);
      return toAttempt(rows[0]!);
    },

    async claim(request: ClaimRequest): Promise<AttemptResult> {
      const req = withNormalizedCustomer(request);
      const { rows } = await retryTransient(() =>
        queryKeepingConnection<AttemptRow>(pool, {
          name: 'dg_claim',
          text: 'SELECT * FROM dg_claim($1, $2, $3, $4, $5)',
          values: [req.attemptId, req.campaignId, req.tier ?? null, req.customerId, req.now],
        }),
      );
      await faults?.at('claim.commit', req.attemptId);
      return toAttempt(rows[0]!);
    },

    /**
     * The whole batch is ONE call of dg_attempt_many (migrations/004_batch_functions.sql), one transaction. Not
     * retried here: on any error (a deadlock between two batches included) nothing of the batch committed, and the
     * caller runs the attempts one by one, each with its own retries.
     */
    async processMany(requests: readonly AttemptRequest[]): Promise<AttemptResult[]> {
      if (requests.length === 0) return [];
      if (requests.length === 1) {
        const only = requests[0]!;
        return [only.kind === 'redeem' ? await service.redeem(only) : await service.claim(only)];
      }
      const { rows } = await queryKeepingConnection<AttemptRow>(pool, {
        name: 'dg_attempt_many',
        text: 'SELECT * FROM dg_attempt_many($1::jsonb, $2::text[])',
        values: [JSON.stringify(requests.map((r) => toBatchElement(withNormalizedCustomer(r)))), REDEEMABLE],
      });
      await faults?.at('batch.commit', requests[0]!.attemptId);
      const byId = new Map(rows.map((row) => [row.attempt_id, row]));
      return requests.map((req) => {
        const row = byId.get(req.attemptId);
        if (!row) throw new Error(`dg_attempt_many returned no row for attempt ${req.attemptId}`);
        return toAttempt(row);
      });
    },

    /**
     * One INSERT that does nothing when the attempt is already recorded (ON CONFLICT waits for a transaction still
     * deciding it); then the recorded row, whichever wrote it. No code, quota or counter is touched.
     */
    async refuse(request: RefusalRequest): Promise<AttemptResult> {
      const req = checkedRefusal(request);
      const { rows } = await retryTransient(() =>
        queryKeepingConnection<AttemptRow>(pool, {
          name: 'dg_refuse',
          text: `INSERT INTO attempts (attempt_id, kind, campaign_id, customer_id, outcome, finished_at) VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (attempt_id) DO NOTHING RETURNING *`,
          values: [req.attemptId, req.kind, req.campaignId, req.customerId, req.outcome, req.now],
        }),
      );
      if (rows[0]) return toAttempt(rows[0]);
      const recorded = await service.getAttempt(req.attemptId);
      if (!recorded) throw new Error(`attempt ${req.attemptId} is neither recorded nor insertable`);
      return recorded;
    },

    async getAttempt(attemptId: string): Promise<AttemptResult | null> {
      // outcome IS NOT NULL: belt and braces, a committed attempt always has one.
      const { rows } = await pool.query<AttemptRow>('SELECT * FROM attempts WHERE attempt_id = $1 AND outcome IS NOT NULL', [attemptId]);
      return rows[0] ? toAttempt(rows[0]) : null;
    },

    async outcomeCounts(campaignId: string): Promise<Partial<Record<Outcome, number>>> {
      const { rows } = await pool.query<{ outcome: Outcome; n: number }>(
        'SELECT outcome, count(*)::integer AS n FROM attempts WHERE campaign_id = $1 AND outcome IS NOT NULL GROUP BY outcome',
        [campaignId],
      );
      const counts: Partial<Record<Outcome, number>> = {};
      for (const row of rows) if (OUTCOME_NAMES.includes(row.outcome)) counts[row.outcome] = row.n;
      return counts;
    },
  };
  return service;
}

/** The element dg_attempt_many reads with jsonb_to_recordset (short keys: the batch is parsed on every call). */
function toBatchElement(req: AttemptRequest): Record<string, string | null> {
  const base = { k: req.kind, a: req.attemptId, m: req.campaignId, u: req.customerId, n: req.now.toISOString() };
  return req.kind === 'redeem' ? { ...base, c: req.code } : { ...base, t: req.tier ?? null };
}
