import { CODE_STATES, statesAllowing, type Campaign, type CodeState } from '@dropgate/core';
import {
  StoreError,
  withNormalizedCustomer,
  type CodeCounts,
  type CodeRecord,
  type CodeRepository,
  type InsertCodesResult,
  type ListCodesQuery,
  type ListPublicationsQuery,
  type LockAvailableRequest,
  type LockCodesRequest,
  type LockGroup,
  type NewCode,
  type Publication,
  type PublishRequest,
  type ReleasedLocks,
  type RollbackRequest,
  type FaultHook,
} from '@dropgate/store';
import type { Pool, PoolClient } from 'pg';
import { withTransaction } from './connection';
import { CODE_COLUMNS, toCodeRecord, toPublication, type CodeRow, type PublicationRow } from './row-mappers';
import { retryTransient } from './transient-retry';

/** Rows per INSERT statement: big enough to amortise round trips, small enough to keep statements light. */
const INSERT_CHUNK = 10_000;
const MAX_LIST_LIMIT = 10_000;
const MAX_PUBLICATIONS_LIMIT = 1_000;

// The conditional-update filters, from the one transition table in @dropgate/core.
const LOCKABLE = [...statesAllowing('lock')];
const UNLOCKABLE = [...statesAllowing('unlock')];
const DISABLEABLE = [...statesAllowing('disable')];
const ROLLBACKABLE = [...statesAllowing('rollback')];
// Publishing takes `available` codes only; the SQL says so literally (state = 'available') so the planner
// can use the partial index of available codes. Fail fast if the state table ever disagrees.
if (statesAllowing('publish').join() !== 'available') throw new Error('store-postgres: publish query assumes publish only starts from available');

async function loadCampaignTiers(db: Pool | PoolClient, campaignId: string): Promise<Campaign['tiers']> {
  const { rows } = await db.query<{ tiers: Campaign['tiers'] }>('SELECT tiers FROM campaigns WHERE id = $1', [campaignId]);
  if (!rows[0]) throw new StoreError('campaign_not_found', `campaign ${campaignId} does not exist`);
  return rows[0].tiers;
}

/** Which of `input` were not inserted: every occurrence beyond what the database accepted. */
function duplicatesOf(input: string[], inserted: string[]): string[] {
  const accepted = new Map<string, number>();
  for (const code of inserted) accepted.set(code, (accepted.get(code) ?? 0) + 1);
  const duplicates: string[] = [];
  for (const code of input) {
    const left = accepted.get(code) ?? 0;
    if (left > 0) accepted.set(code, left - 1);
    else duplicates.push(code);
  }
  return duplicates;
}

function samePublication(row: PublicationRow, req: PublishRequest): boolean {
  return (
    row.campaign_id === req.campaignId &&
    row.tier === req.tier &&
    row.count === req.count &&
    row.channel === (req.channel ?? null) &&
    row.customer_id === (req.customerId ?? null)
  );
}

export function createCodeRepository(pool: Pool, faults?: FaultHook): CodeRepository {
  // Bulk state changes are single statements: a deadlock with another bulk change or a rollback undid all of
  // it, so running it again is safe.
  const write = (text: string, values: unknown[]) => retryTransient(() => pool.query(text, values));
  return {
    async insert(campaignId: string, codes: NewCode[]): Promise<InsertCodesResult> {
      return withTransaction(pool, async (client) => {
        const tiers = new Set((await loadCampaignTiers(client, campaignId)).map((t) => t.name));
        const unknown = codes.find((c) => !tiers.has(c.tier));
        if (unknown) throw new StoreError('unknown_tier', `campaign ${campaignId} has no tier "${unknown.tier}"`);
        // One transaction for the whole batch: all chunks or none. ON CONFLICT DO NOTHING also absorbs a code
        // repeated inside the batch; RETURNING tells which rows really went in.
        let inserted = 0;
        const duplicates: string[] = [];
        for (let start = 0; start < codes.length; start += INSERT_CHUNK) {
          const chunk = codes.slice(start, start + INSERT_CHUNK);
          const values = chunk.map((c) => c.code);
          const { rows } = await client.query<{ code: string }>(
            `INSERT INTO codes (campaign_id, code, tier)
             SELECT $1, u.code, u.tier FROM unnest($2::text[], $3::text[]) AS u(code, tier)
             ON CONFLICT (campaign_id, code) DO NOTHING
             RETURNING code`,
            [campaignId, values, chunk.map((c) => c.tier)],
          );
          inserted += rows.length;
          duplicates.push(...duplicatesOf(values, rows.map((r) => r.code)));
        }
        return { inserted, duplicates };
      });
    },

    async get(campaignId: string, code: string): Promise<CodeRecord | null> {
      const { rows } = await pool.query<CodeRow>(`SELECT ${CODE_COLUMNS} FROM codes WHERE campaign_id = $1 AND code = $2`, [campaignId, code]);
      return rows[0] ? toCodeRecord(rows[0]) : null;
    },

    async list(query: ListCodesQuery): Promise<CodeRecord[]> {
      const limit = Math.min(Math.max(0, Math.floor(query.limit)), MAX_LIST_LIMIT);
      if (limit === 0) return [];
      const params: unknown[] = [query.campaignId];
      const where = ['campaign_id = $1'];
      if (query.tier !== undefined) where.push(`tier = $${params.push(query.tier)}`);
      if (query.state !== undefined) where.push(`state = $${params.push(query.state)}`);
      if (query.after !== undefined) where.push(`code > $${params.push(query.after)}`);
      const { rows } = await pool.query<CodeRow>(
        `SELECT ${CODE_COLUMNS} FROM codes WHERE ${where.join(' AND ')} ORDER BY code LIMIT $${params.push(limit)}`,
        params,
      );
      return rows.map(toCodeRecord);
    },

    async counts(campaignId: string): Promise<CodeCounts> {
      const tiers = await loadCampaignTiers(pool, campaignId);
      const { rows } = await pool.query<{ tier: string; state: CodeState; n: number }>(
        'SELECT tier, state, count(*)::integer AS n FROM codes WHERE campaign_id = $1 GROUP BY tier, state',
        [campaignId],
      );
      const counts: CodeCounts = {};
      const zeros = (): Record<CodeState, number> => Object.fromEntries(CODE_STATES.map((s) => [s, 0])) as Record<CodeState, number>;
      for (const tier of tiers) counts[tier.name] = zeros();
      for (const row of rows) (counts[row.tier] ??= zeros())[row.state] = row.n; // also tiers since removed from the campaign
      return counts;
    },

    async lock(request: LockCodesRequest): Promise<number> {
      const { rowCount } = await write(
        `UPDATE codes SET state = 'locked', lock_release_at = $3, lock_reason = $5
         WHERE campaign_id = $1 AND code = ANY ($2::text[]) AND state = ANY ($4::text[])`,
        [request.campaignId, request.codes, request.releaseAt ?? null, LOCKABLE, request.reason ?? null],
      );
      return rowCount ?? 0;
    },

    async lockAvailable(req: LockAvailableRequest): Promise<string[]> {
      if (!Number.isInteger(req.count) || req.count < 1) throw new RangeError('lock count must be an integer >= 1');
      return retryTransient(() =>
        withTransaction(pool, async (client) => {
          const tiers = await loadCampaignTiers(client, req.campaignId);
          if (!tiers.some((t) => t.name === req.tier)) throw new StoreError('unknown_tier', `campaign ${req.campaignId} has no tier "${req.tier}"`);
          // As publish: SKIP LOCKED first so concurrent callers take different rows, then wait for the codes other
          // transactions hold before refusing (they may roll back).
          const pick = (limit: number, skipLocked: boolean) =>
            client.query<{ code: string }>(
              `WITH picked AS (
                 SELECT code FROM codes
                 WHERE campaign_id = $1 AND tier = $2 AND state = 'available'
                 LIMIT $3 FOR UPDATE${skipLocked ? ' SKIP LOCKED' : ''}
               )
               UPDATE codes AS c SET state = 'locked', lock_release_at = $4, lock_reason = $5
               FROM picked WHERE c.campaign_id = $1 AND c.code = picked.code
               RETURNING c.code`,
              [req.campaignId, req.tier, limit, req.releaseAt ?? null, req.reason ?? null],
            );
          const rows = (await pick(req.count, true)).rows;
          if (rows.length < req.count) rows.push(...(await pick(req.count - rows.length, false)).rows);
          if (rows.length < req.count)
            throw new StoreError('not_enough_codes', `tier "${req.tier}" of campaign ${req.campaignId} has fewer than ${req.count} available codes`);
          return rows.map((r) => r.code).sort();
        }),
      );
    },

    async listPublications(query: ListPublicationsQuery): Promise<Publication[]> {
      const limit = Math.min(Math.max(0, Math.floor(query.limit)), MAX_PUBLICATIONS_LIMIT);
      if (limit === 0) return [];
      const { rows } = await pool.query<PublicationRow>(
        'SELECT * FROM publications WHERE campaign_id = $1 ORDER BY created_at DESC, publication_id DESC LIMIT $2',
        [query.campaignId, limit],
      );
      return rows.map(toPublication);
    },

    async unlock(campaignId: string, codes: string[]): Promise<number> {
      const { rowCount } = await write(
        `UPDATE codes SET state = 'available', lock_release_at = NULL
         WHERE campaign_id = $1 AND code = ANY ($2::text[]) AND state = ANY ($3::text[])`,
        [campaignId, codes, UNLOCKABLE],
      );
      return rowCount ?? 0;
    },

    async listLocks(campaignId: string, now: Date): Promise<LockGroup[]> {
      const { rows } = await pool.query<{ tier: string; release_at: Date | null; reason: string | null; count: number }>(
        `SELECT tier, lock_release_at AS release_at, lock_reason AS reason, count(*)::integer AS count FROM codes
         WHERE campaign_id = $1 AND state = 'locked' AND (lock_release_at IS NULL OR lock_release_at > $2)
         GROUP BY tier, lock_release_at, lock_reason
         ORDER BY lock_release_at NULLS LAST, tier, lock_reason NULLS FIRST`,
        [campaignId, now],
      );
      return rows.map((r) => ({ tier: r.tier, releaseAt: r.release_at, reason: r.reason, count: r.count }));
    },

    async releaseDueLocks(now: Date): Promise<ReleasedLocks[]> {
      // Literal predicate: matches the partial index of timed locks. lock_reason stays (it only means something
      // while locked), so RETURNING still has the reason the codes were held for.
      const { rows } = await write(
        `WITH released AS (
           UPDATE codes SET state = 'available', lock_release_at = NULL
           WHERE state = 'locked' AND lock_release_at IS NOT NULL AND lock_release_at <= $1
           RETURNING campaign_id, tier, lock_reason
         )
         SELECT campaign_id, tier, lock_reason, count(*)::integer AS released FROM released
         GROUP BY campaign_id, tier, lock_reason ORDER BY campaign_id, tier, lock_reason NULLS FIRST`,
        [now],
      );
      return (rows as Array<{ campaign_id: string; tier: string; lock_reason: string | null; released: number }>).map((r) => ({
        campaignId: r.campaign_id,
        tier: r.tier,
        reason: r.lock_reason,
        released: r.released,
      }));
    },

    async disable(campaignId: string, codes: string[]): Promise<number> {
      // A redeemed code keeps its customer/attempt as history; only rollback gives quota and target back.
      const { rowCount } = await write(
        `UPDATE codes SET state = 'disabled', lock_release_at = NULL
         WHERE campaign_id = $1 AND code = ANY ($2::text[]) AND state = ANY ($3::text[])`,
        [campaignId, codes, DISABLEABLE],
      );
      return rowCount ?? 0;
    },

    async publish(request: PublishRequest): Promise<Publication> {
      const req = withNormalizedCustomer(request);
      if (!Number.isInteger(req.count) || req.count < 1) throw new RangeError('publish count must be an integer >= 1');
      const publication = await retryTransient(() => withTransaction(pool, (client) => publishIn(client, req, faults)));
      await faults?.at('publish.commit', req.publicationId);
      return publication;
    },

    async rollback(req: RollbackRequest): Promise<boolean> {
      if (req.to !== 'available' && req.to !== 'disabled') throw new RangeError(`rollback target must be available or disabled, not ${String(req.to)}`);
      const { rows } = await retryTransient(() =>
        pool.query<{ done: boolean }>('SELECT dg_rollback($1, $2, $3, $4::text[], $5) AS done', [req.campaignId, req.code, req.to, ROLLBACKABLE, req.now]),
      );
      await faults?.at('rollback.commit', req.code);
      return rows[0]!.done;
    },
  };
}

/**
 * All-or-nothing, idempotent publication in one transaction. The publication row is inserted first: a
 * concurrent call with the same id waits on its primary key and then returns the committed publication.
 */
async function publishIn(client: PoolClient, req: PublishRequest, faults: FaultHook | undefined): Promise<Publication> {
  const existing = async (): Promise<Publication> => {
    const { rows } = await client.query<PublicationRow>('SELECT * FROM publications WHERE publication_id = $1', [req.publicationId]);
    const row = rows[0]!;
    if (!samePublication(row, req))
      throw new StoreError('publication_conflict', `publication ${req.publicationId} already exists with other parameters`);
    return toPublication(row);
  };
  const known = await client.query('SELECT 1 FROM publications WHERE publication_id = $1', [req.publicationId]);
  if (known.rowCount) return existing();

  const tiers = await loadCampaignTiers(client, req.campaignId);
  if (!tiers.some((t) => t.name === req.tier)) throw new StoreError('unknown_tier', `campaign ${req.campaignId} has no tier "${req.tier}"`);

  const claimed = await client.query(
    `INSERT INTO publications (publication_id, campaign_id, tier, channel, customer_id, count, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (publication_id) DO NOTHING`,
    [req.publicationId, req.campaignId, req.tier, req.channel ?? null, req.customerId ?? null, req.count, req.now],
  );
  if (!claimed.rowCount) return existing();
  await faults?.at('publish.record', req.publicationId);

  // SKIP LOCKED first: concurrent publications (and claims) each take different rows instead of queueing. If that
  // is not enough, wait for the available codes other transactions hold (they may roll back) before refusing,
  // as a claim does: not_enough_codes only when the codes really are not there.
  const pick = (limit: number, skipLocked: boolean) =>
    client.query<{ code: string }>(
      `WITH picked AS (
         SELECT code FROM codes
         WHERE campaign_id = $1 AND tier = $2 AND state = 'available'
         LIMIT $3 FOR UPDATE${skipLocked ? ' SKIP LOCKED' : ''}
       )
       UPDATE codes AS c SET state = 'published', publication_id = $4, published_to_customer = $5
       FROM picked WHERE c.campaign_id = $1 AND c.code = picked.code
       RETURNING c.code`,
      [req.campaignId, req.tier, limit, req.publicationId, req.customerId ?? null],
    );
  const rows = (await pick(req.count, true)).rows;
  if (rows.length < req.count) rows.push(...(await pick(req.count - rows.length, false)).rows);
  if (rows.length < req.count)
    throw new StoreError('not_enough_codes', `tier "${req.tier}" of campaign ${req.campaignId} has fewer than ${req.count} available codes`);
  await faults?.at('publish.codes', req.publicationId);

  const codes = rows.map((r) => r.code).sort();
  const done = await client.query<PublicationRow>('UPDATE publications SET codes = $2 WHERE publication_id = $1 RETURNING *', [req.publicationId, codes]);
  return toPublication(done.rows[0]!);
}
