import type { Integrity } from '@dropgate/store/testing';
import type { mongo } from 'mongoose';

interface RawCode {
  code: string;
  tier: string;
  state: string;
  customerId: string | null;
  attemptId: string | null;
}

interface RawAttempt {
  _id: string;
  outcome?: string | null;
  code: string | null;
  rolledBackAt?: Date | null;
}

/**
 * The store's invariants for one campaign, from the raw collections (the native driver, none of the adapter's
 * code): the same questions as store-postgres/test/integrity.ts asks in SQL.
 */
export async function mongoIntegrity(db: mongo.Db, campaignId: string): Promise<Integrity> {
  const campaign = await db.collection<{ _id: string }>('campaigns').findOne({ _id: campaignId });
  if (!campaign) throw new Error(`integrity: campaign ${campaignId} not found`);
  const { perCustomerLimit, tiers, redeemedCount } = campaign as unknown as {
    perCustomerLimit: number;
    tiers: Array<{ name: string; perCustomerLimit?: number | null }>;
    redeemedCount: number;
  };
  const codes = await db.collection<RawCode>('codes').find({ campaignId }).toArray();
  const attempts = await db.collection<RawAttempt>('attempts').find({ campaignId }).toArray();
  const shards = await db.collection<{ n: number }>('campaign_counters').find({ campaignId }).toArray();
  const quotas = await db.collection<{ _id: string; holders?: string[] }>('customer_quotas').find({ _id: { $regex: `^${escape(campaignId)}\\|campaign\\|` } }).toArray();

  const held = codes.filter((c) => c.state === 'redeemed');
  const attemptById = new Map(attempts.map((a) => [a._id, a]));
  const codesByAttempt = countBy(codes.filter((c) => c.attemptId !== null), (c) => c.attemptId!);
  const heldBy = new Map(held.map((c) => [c.attemptId, c]));
  const success = (a: RawAttempt): boolean => a.outcome === 'claimed' || a.outcome === 'redeemed';

  const codesHeldTwice =
    [...codesByAttempt.values()].filter((n) => n > 1).length +
    held.filter((c) => {
      const a = c.attemptId ? attemptById.get(c.attemptId) : undefined;
      return !a || a.code !== c.code || !success(a) || a.rolledBackAt != null;
    }).length +
    attempts.filter((a) => success(a) && a.rolledBackAt == null && heldBy.get(a._id)?.code !== a.code).length;

  const perCustomer = countBy(held, (c) => c.customerId ?? '');
  const perCustomerTier = countBy(held, (c) => `${c.customerId ?? ''}\u0000${c.tier}`);
  const tierLimit = new Map(tiers.filter((t) => t.perCustomerLimit != null).map((t) => [t.name, t.perCustomerLimit!]));
  const customersOverLimit =
    [...perCustomer.values()].filter((n) => n > perCustomerLimit).length +
    [...perCustomerTier.entries()].filter(([key, n]) => n > (tierLimit.get(key.split('\u0000')[1]!) ?? Infinity)).length;

  const counted = redeemedCount + shards.reduce((sum, s) => sum + s.n, 0);
  const units = new Set(quotas.flatMap((q) => (q.holders ?? []).map((h) => `${q._id.split('|').slice(2).join('|')}\u0000${h}`)));
  const heldUnits = new Set(held.map((c) => `${c.customerId ?? ''}\u0000${c.attemptId ?? ''}`));
  const quotaDrift = [...units].filter((u) => !heldUnits.has(u)).length + [...heldUnits].filter((u) => !units.has(u)).length;

  return {
    codesHeldTwice,
    customersOverLimit,
    counterDrift: counted - held.length,
    quotaDrift,
    unfinishedAttempts: attempts.filter((a) => a.outcome == null).length,
  };
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) out.set(key(item), (out.get(key(item)) ?? 0) + 1);
  return out;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
