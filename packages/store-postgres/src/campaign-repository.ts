import {
  CAMPAIGN_STATUSES,
  canChangeCampaignStatus,
  applyCampaignSettingsPatch,
  newCampaignSettings,
  validateNewCampaign,
  type Campaign,
  type CampaignPatch,
  type CampaignStatus,
  type NewCampaign,
  type StopReason,
  newCampaignId,
} from '@dropgate/core';
import { StoreError, type CampaignRepository } from '@dropgate/store';
import type { Pool, PoolClient } from 'pg';
import { withTransaction } from './connection';
import { CAMPAIGN_COLUMNS, toCampaign, type CampaignRow } from './row-mappers';
import { retryTransient } from './transient-retry';

const UNIQUE_VIOLATION = '23505';
/** Must match the shard expression of dg_count_success (pg_backend_pid() % 64). */
const COUNTER_SHARDS = 64;

/** The statuses a campaign may move to `to` from, straight from the lifecycle table in @dropgate/core. */
function statusesLeadingTo(to: CampaignStatus): CampaignStatus[] {
  return CAMPAIGN_STATUSES.filter((from) => canChangeCampaignStatus(from, to));
}

const notFound = (id: string): StoreError => new StoreError('campaign_not_found', `campaign ${id} does not exist`);

/**
 * Switches how successes are counted when a target appears or disappears (see campaign_counters in
 * 001_init.sql). Setting a target: lock every shard row — which waits for in-flight attempts that are counting
 * on a shard — fold their sum into campaigns.redeemed_count and close them; an attempt that reaches a closed
 * shard falls back to the conditional increment on the campaign row, so the new target holds exactly.
 * Clearing it: reopen the shards. Runs in the transaction that holds the campaign row lock.
 */
async function switchCounting(client: PoolClient, id: string, hadTarget: boolean, hasTarget: boolean): Promise<void> {
  if (!hadTarget && hasTarget) {
    await client.query(
      `WITH locked AS (SELECT redeemed FROM campaign_counters WHERE campaign_id = $1 FOR UPDATE)
       UPDATE campaigns SET redeemed_count = redeemed_count + (SELECT coalesce(sum(redeemed), 0) FROM locked)
       WHERE id = $1`,
      [id],
    );
    await client.query('UPDATE campaign_counters SET redeemed = 0, open = false WHERE campaign_id = $1', [id]);
  } else if (hadTarget && !hasTarget) {
    await client.query('UPDATE campaign_counters SET open = true WHERE campaign_id = $1', [id]);
  }
}

export function createCampaignRepository(pool: Pool): CampaignRepository {
  return {
    async create(input: NewCampaign): Promise<Campaign> {
      validateNewCampaign(input);
      const id = input.id ?? newCampaignId();
      try {
        // One statement: the campaign and all its counter shards exist together or not at all.
        const { rows } = await pool.query<CampaignRow>(
          `WITH created AS (
             INSERT INTO campaigns (id, name, status, starts_at, ends_at, tiers, per_customer_limit, target, code_spec,
                                    redeem_requires_publication, settings)
             VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9::jsonb, $10, $12::jsonb)
             RETURNING *
           ), shards AS (
             INSERT INTO campaign_counters (campaign_id, shard, open)
             SELECT created.id, s, created.target IS NULL FROM created, generate_series(0, $11::integer - 1) AS s
           )
           SELECT * FROM created`,
          [
            id,
            input.name,
            input.status ?? 'draft',
            input.startsAt ?? null,
            input.endsAt ?? null,
            JSON.stringify(input.tiers),
            input.perCustomerLimit,
            input.target ?? null,
            JSON.stringify(input.codeSpec),
            input.redeemRequiresPublication ?? false,
            COUNTER_SHARDS,
            JSON.stringify(newCampaignSettings(input.settings)),
          ],
        );
        return toCampaign(rows[0]!); // a new campaign has counted nothing: redeemed_count is the whole count
      } catch (err) {
        if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw new StoreError('campaign_exists', `campaign ${id} already exists`);
        throw err;
      }
    },

    async get(id: string): Promise<Campaign | null> {
      const { rows } = await pool.query<CampaignRow>(`SELECT ${CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1`, [id]);
      return rows[0] ? toCampaign(rows[0]) : null;
    },

    async list(): Promise<Campaign[]> {
      const { rows } = await pool.query<CampaignRow>(`SELECT ${CAMPAIGN_COLUMNS} FROM campaigns ORDER BY created_at, id`);
      return rows.map(toCampaign);
    },

    async update(id: string, patch: CampaignPatch): Promise<Campaign> {
      // Read-validate-write under the row lock, so two admins patching at once cannot combine into an
      // invalid campaign. status and the counters are not patched here: setStatus and the redemption
      // functions own them.
      return retryTransient(() =>
        withTransaction(pool, async (client) => {
          const { rows } = await client.query<CampaignRow>(`SELECT ${CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1 FOR UPDATE`, [id]);
          if (!rows[0]) throw notFound(id);
          const current = toCampaign(rows[0]);
          const { settings, ...fields } = patch;
          const next: Campaign = { ...current, settings: applyCampaignSettingsPatch(current.settings, settings) };
          for (const [key, value] of Object.entries(fields) as Array<[keyof CampaignPatch, unknown]>) {
            if (value !== undefined) (next as unknown as Record<string, unknown>)[key] = value;
          }
          validateNewCampaign(next);
          await switchCounting(client, id, current.target !== null, next.target !== null);
          // A target at or below what is already counted is reached at once: stop, as the counting would have.
          const updated = await client.query<CampaignRow>(
            `UPDATE campaigns SET name = $2, starts_at = $3, ends_at = $4, per_customer_limit = $5, target = $6,
                    redeem_requires_publication = $7, tiers = $8::jsonb, settings = $9::jsonb, updated_at = now(),
                    status = CASE WHEN $6::integer IS NOT NULL AND redeemed_count >= $6::integer AND status IN ('active', 'paused')
                                  THEN 'stopped' ELSE status END,
                    stop_reason = CASE WHEN $6::integer IS NOT NULL AND redeemed_count >= $6::integer AND status IN ('active', 'paused')
                                       THEN 'target_reached' ELSE stop_reason END
             WHERE id = $1 RETURNING ${CAMPAIGN_COLUMNS}`,
            [id, next.name, next.startsAt, next.endsAt, next.perCustomerLimit, next.target, next.redeemRequiresPublication, JSON.stringify(next.tiers), JSON.stringify(next.settings)],
          );
          return toCampaign(updated.rows[0]!);
        }),
      );
    },

    async setStatus(id: string, status: CampaignStatus, reason?: StopReason): Promise<Campaign> {
      // One conditional UPDATE: the move happens only from a status the lifecycle allows, so a concurrent
      // change (e.g. the target stopping the campaign) can never be overwritten by an illegal move.
      // stop_reason: set when stopping, cleared when running again, kept as history when ending.
      const { rows } = await pool.query<CampaignRow>(
        `UPDATE campaigns SET status = $2,
                stop_reason = CASE WHEN $2::text = 'stopped' THEN $3::text WHEN $2::text = 'ended' THEN stop_reason ELSE NULL END,
                updated_at = now()
         WHERE id = $1 AND status = ANY ($4::text[])
         RETURNING ${CAMPAIGN_COLUMNS}`,
        [id, status, reason ?? 'manual', statusesLeadingTo(status)],
      );
      if (rows[0]) return toCampaign(rows[0]);
      const current = await pool.query<{ status: CampaignStatus }>('SELECT status FROM campaigns WHERE id = $1', [id]);
      if (!current.rows[0]) throw notFound(id);
      throw new StoreError('invalid_status_transition', `campaign ${id} cannot move from ${current.rows[0].status} to ${status}`);
    },
  };
}
