import {
  campaignRefusal,
  findTier,
  quotaScopes,
  type AttemptKind,
  type Campaign,
  type ClaimRequest,
  type Outcome,
  type RedeemRequest,
} from '@dropgate/core';
import { releaseQuota, reserveQuota } from './customer-quota';
import { toCampaign, type AttemptDoc, type CodeDoc, type Models } from './models';
import { judgeRedeem } from './redeem-judge';
import { countSuccesses } from './success-counter';
import type { Tx } from './transaction';

/**
 * One redeem or claim INSIDE a transaction (the caller's: one per attempt, or one per batch). The order of checks
 * is the README's (packages/store/README.md). Every decision is taken on documents this transaction reads, and
 * each of them it depends on is also written by it (the code, the quota documents, the attempt, the count), so a
 * concurrent change to any of them makes the transaction run again from the top instead of deciding on a stale
 * read. Nothing is kept between runs.
 */
export interface StepResult {
  attempt: AttemptDoc;
  /** A new success whose counting the caller took over (`countNow` false: a batch counts once at its end). */
  toCount: boolean;
}

interface Held {
  code: string;
  tier: string;
  reward: string | null;
}

interface Attempt {
  kind: AttemptKind;
  attemptId: string;
  campaignId: string;
  customerId: string;
  now: Date;
}

const CLAIMED = (customerId: string, attemptId: string, now: Date) => ({
  $set: { state: 'redeemed', customerId, attemptId, redeemedAt: now, lockReleaseAt: null },
});

export async function redeemIn(tx: Tx, models: Models, req: RedeemRequest, countNow: boolean): Promise<StepResult> {
  const a: Attempt = { kind: 'redeem', ...req };
  const recorded = await tx.findById(models.attempts, req.attemptId);
  if (recorded) return { attempt: recorded, toCount: false };
  const campaign = await openCampaign(tx, models, a);
  if (typeof campaign === 'string') return finish(tx, models, a, campaign);

  const code = await tx.findOne(models.codes, { campaignId: req.campaignId, code: req.code });
  if (!code) return finish(tx, models, a, 'code_not_found');
  const reward = findTier(campaign, code.tier)?.reward ?? null;
  const verdict = judgeRedeem(code, campaign, req.customerId, req.now);
  if (!verdict.ok) {
    const held = verdict.outcome === 'already_redeemed' ? { code: code.code, tier: code.tier, reward } : undefined;
    return finish(tx, models, a, verdict.outcome, held);
  }
  if (!(await reserveQuota(tx, models, campaign.id, req.customerId, req.attemptId, quotaScopes(campaign, code.tier)))) {
    return finish(tx, models, a, 'customer_limit_reached');
  }
  await tx.at('redeem.quota', req.attemptId);
  // Conditional on the very state judged (the transaction makes any concurrent change a conflict anyway).
  const taken = await tx.updateOne(models.codes, { _id: code._id, state: code.state, attemptId: null }, CLAIMED(req.customerId, req.attemptId, req.now));
  if (taken.modified !== 1) throw new Error(`code ${req.code}: changed under a transaction`);
  await tx.at('redeem.code', req.attemptId);
  return succeed(tx, models, a, { code: code.code, tier: code.tier, reward }, countNow);
}

export async function claimIn(tx: Tx, models: Models, req: ClaimRequest, countNow: boolean): Promise<StepResult> {
  const a: Attempt = { kind: 'claim', attemptId: req.attemptId, campaignId: req.campaignId, customerId: req.customerId, now: req.now };
  const recorded = await tx.findById(models.attempts, req.attemptId);
  if (recorded) return { attempt: recorded, toCount: false };
  const campaign = await openCampaign(tx, models, a);
  if (typeof campaign === 'string') return finish(tx, models, a, campaign);
  const tier = findTier(campaign, req.tier ?? campaign.tiers[0]?.name ?? '');
  if (!tier) return finish(tx, models, a, 'code_not_found');

  if (!(await reserveQuota(tx, models, campaign.id, req.customerId, req.attemptId, quotaScopes(campaign, tier.name)))) {
    return finish(tx, models, a, 'customer_limit_reached');
  }
  await tx.at('claim.quota', req.attemptId);
  const code = await takeAnyCode(tx, models, campaign.id, tier.name, a);
  if (!code) {
    await releaseQuota(tx, models, campaign.id, req.customerId, tier.name, req.attemptId);
    return finish(tx, models, a, 'sold_out');
  }
  await tx.at('claim.code', req.attemptId);
  return succeed(tx, models, a, { code: code.code, tier: tier.name, reward: tier.reward }, countNow);
}

/**
 * Takes a success back that its transaction wrote but could not count (the target filled up, in a batch): the code
 * returns to what it was (published if it belongs to a publication, else available; a due lock is available
 * anyway), the quota units are freed, the attempt answers sold_out.
 */
export async function undoSuccess(tx: Tx, models: Models, attemptId: string): Promise<void> {
  const attempt = await tx.findById(models.attempts, attemptId);
  if (!attempt?.code || !attempt.tier) throw new Error(`attempt ${attemptId}: no success to undo`);
  await giveBack(tx, models, attempt.campaignId, attempt.code, attemptId);
  await releaseQuota(tx, models, attempt.campaignId, attempt.customerId, attempt.tier, attemptId);
  await tx.updateOne(models.attempts, { _id: attemptId }, { $set: { outcome: 'sold_out', code: null, tier: null, reward: null } });
}

/** Any available code of the tier from a random point of the claim index (then below it), else a due lock. */
async function takeAnyCode(tx: Tx, models: Models, campaignId: string, tier: string, a: Attempt): Promise<CodeDoc | null> {
  const set = CLAIMED(a.customerId, a.attemptId, a.now);
  const r = Math.random();
  return (
    (await tx.findOneAndUpdate(models.codes, { campaignId, tier, state: 'available', rnd: { $gte: r } }, set, { rnd: 1 })) ??
    (await tx.findOneAndUpdate(models.codes, { campaignId, tier, state: 'available', rnd: { $lt: r } }, set, { rnd: -1 })) ??
    (await tx.findOneAndUpdate(models.codes, { campaignId, tier, state: 'locked', lockReleaseAt: { $lte: a.now } }, set))
  );
}

/** The campaign if it takes attempts at the attempt's `now`, else the refusal (the rule is core's). */
async function openCampaign(tx: Tx, models: Models, a: Attempt): Promise<Campaign | Outcome> {
  const doc = await tx.findById(models.campaigns, a.campaignId);
  // The shards are left out: they only hold counts of campaigns WITHOUT a target, where the count decides nothing.
  const campaign = doc ? toCampaign(doc, 0) : null;
  return campaignRefusal(campaign, a.now) ?? campaign ?? 'campaign_not_active';
}

async function succeed(tx: Tx, models: Models, a: Attempt, held: Held, countNow: boolean): Promise<StepResult> {
  const outcome = a.kind === 'redeem' ? 'redeemed' : 'claimed';
  if (!countNow) return { ...(await finish(tx, models, a, outcome, held)), toCount: true };
  if ((await countSuccesses(tx, models, a.campaignId, 1)) === 1) {
    await tx.at(`${a.kind}.count`, a.attemptId);
    return finish(tx, models, a, outcome, held);
  }
  // The target filled up since the campaign was read: give everything back.
  await giveBack(tx, models, a.campaignId, held.code, a.attemptId);
  await releaseQuota(tx, models, a.campaignId, a.customerId, held.tier, a.attemptId);
  return finish(tx, models, a, 'sold_out');
}

async function giveBack(tx: Tx, models: Models, campaignId: string, code: string, attemptId: string): Promise<void> {
  const doc = await tx.findOne(models.codes, { campaignId, code, attemptId });
  if (!doc) throw new Error(`code ${code}: not held by attempt ${attemptId}`);
  await tx.updateOne(
    models.codes,
    { _id: doc._id, attemptId },
    { $set: { state: doc.publicationId != null ? 'published' : 'available', customerId: null, attemptId: null, redeemedAt: null, lockReleaseAt: null } },
  );
}

/** Records the attempt's outcome (the only write of a refusal). */
async function finish(tx: Tx, models: Models, a: Attempt, outcome: Outcome, held?: Held): Promise<StepResult> {
  const attempt: AttemptDoc = {
    _id: a.attemptId,
    kind: a.kind,
    campaignId: a.campaignId,
    customerId: a.customerId,
    outcome,
    code: held?.code ?? null,
    tier: held?.tier ?? null,
    reward: held?.reward ?? null,
    finishedAt: a.now,
    rolledBackAt: null,
  };
  await tx.insert(models.attempts, [attempt]);
  await tx.at(`${a.kind}.record`, a.attemptId);
  return { attempt, toCount: false };
}
