import type { Integrity } from '@dropgate/store/testing';
import type { Client } from 'pg';

/** The store's invariants for one campaign, counted with raw SQL (`client` has search_path = the store's schema). */
export async function pgIntegrity(client: Client, campaignId: string): Promise<Integrity> {
  const { rows } = await client.query<Record<keyof Integrity, number>>(
    `WITH held AS (
       SELECT code, tier, customer_id, attempt_id FROM codes WHERE campaign_id = $1 AND state = 'redeemed'
     ), units AS (
       SELECT customer_id, unnest(holders) AS attempt_id FROM customer_quotas WHERE campaign_id = $1 AND scope = 'campaign'
     ), campaign AS (
       SELECT per_customer_limit, tiers,
              redeemed_count + coalesce((SELECT sum(k.redeemed) FROM campaign_counters AS k WHERE k.campaign_id = $1), 0) AS counted
       FROM campaigns WHERE id = $1
     )
     SELECT
       (SELECT count(*) FROM (SELECT attempt_id FROM codes WHERE campaign_id = $1 AND attempt_id IS NOT NULL
                              GROUP BY attempt_id HAVING count(*) > 1) AS x)
       + (SELECT count(*) FROM held AS h LEFT JOIN attempts AS a ON a.attempt_id = h.attempt_id
          WHERE a.attempt_id IS NULL OR a.code IS DISTINCT FROM h.code OR a.outcome NOT IN ('claimed', 'redeemed')
             OR a.rolled_back_at IS NOT NULL)
       + (SELECT count(*) FROM attempts AS a
          WHERE a.campaign_id = $1 AND a.outcome IN ('claimed', 'redeemed') AND a.rolled_back_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM held AS h WHERE h.attempt_id = a.attempt_id AND h.code = a.code))
         AS "codesHeldTwice",
       (SELECT count(*) FROM (SELECT customer_id FROM held GROUP BY customer_id
                              HAVING count(*) > (SELECT per_customer_limit FROM campaign)) AS x)
       + (SELECT count(*) FROM (SELECT h.customer_id FROM held AS h
                                JOIN LATERAL jsonb_array_elements((SELECT tiers FROM campaign)) AS t(tier) ON t.tier->>'name' = h.tier
                                WHERE t.tier ? 'perCustomerLimit'
                                GROUP BY h.customer_id, h.tier, t.tier HAVING count(*) > (t.tier->>'perCustomerLimit')::integer) AS x)
         AS "customersOverLimit",
       (SELECT counted FROM campaign) - (SELECT count(*) FROM held) AS "counterDrift",
       (SELECT count(*) FROM held AS h FULL JOIN units AS u ON u.customer_id = h.customer_id AND u.attempt_id = h.attempt_id
        WHERE h.attempt_id IS NULL OR u.attempt_id IS NULL) AS "quotaDrift",
       (SELECT count(*) FROM attempts WHERE campaign_id = $1 AND outcome IS NULL) AS "unfinishedAttempts"`,
    [campaignId],
  );
  const row = rows[0]!;
  return {
    codesHeldTwice: Number(row.codesHeldTwice),
    customersOverLimit: Number(row.customersOverLimit),
    counterDrift: Number(row.counterDrift),
    quotaDrift: Number(row.quotaDrift),
    unfinishedAttempts: Number(row.unfinishedAttempts),
  };
}
