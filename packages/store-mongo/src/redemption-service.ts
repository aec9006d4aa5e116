/**
 * redeem/claim on MongoDB without multi-document transactions (a standalone mongod has none).
 *
 * WRITE ORDER of one attempt (each step is one single-document conditional write, atomic on its own):
 *
 *   W1  attempt lease      insert attempts{_id: attemptId, outcome: null, lease}; a duplicate delivery waits for
 *                          the outcome, or takes the lease over (CAS on an expired lease) if the first one died.
 *   W2  customer quota     `$push attemptId` into quota.holders (campaign scope, then tier scope), conditional on
 *                          "not a holder yet and below the limit". Idempotent by attemptId.
 *   W3  code               CAS of the code (the state just judged → redeemed, attemptId set). The unique partial
 *                          index on codes.attemptId makes a second code for the same attempt impossible.
 *   W4  target count       `$inc redeemedCount` only while the campaign is active and below its target
 *                          (evaluated in the database): it can never exceed the target. Refused → W3 is undone
 *                          (code given back) and W2 released: the attempt is `sold_out` (or
 *                          `campaign_not_active` if it was paused/stopped/ended meanwhile).
 *   W5  counted marker     attempts.counted = true.
 *   W6  stop               if W4 reached the target: campaign active → stopped/target_reached (conditional,
 *                          idempotent; any later attempt that sees a full active campaign repeats it).
 *   W7  outcome            attempts.outcome/code/… written once, fenced by our lease. Always LAST, so a recorded
 *                          outcome means every step before it is done. A failure outcome first releases what this
 *                          attempt reserved (W2 `$pull`, W3 give-back), then records.
 *
 * Why the code (W3) comes before the count (W4): a count taken before the code would have to be handed back
 * when the code write loses, and meanwhile other attempts would read a full campaign and answer sold_out while
 * codes remain. Counting after the code means a success is final as soon as W4 succeeds, so the counter only
 * holds real successes (plus at most one phantom per kill in the W4→W5 window, below) and
 * `redeemedCount >= target` is never a transient state: a full campaign can safely be stopped by any reader.
 *
 * A KILL between any two writes, then a redelivery of the same attemptId (it takes the lease over once it expires):
 *   - after W1:        nothing else written; the redelivery runs the attempt from scratch.
 *   - after W2:        the quota units are ours (holders contains attemptId): reserving again is a no-op; if the
 *                      redelivery ends in a failure it `$pull`s attemptId from every scope of the campaign,
 *                      since it cannot know which scopes the dead run reserved.
 *   - after W3:        the redelivery first looks for a code held by attemptId (indexed): found → it skips the
 *                      checks (they passed already) and continues at W4 with that code.
 *   - after W4, before W5: the one window that can only be resolved conservatively. The redelivery finds the
 *                      code but no `counted` marker, cannot tell whether the dead run's `$inc` happened, and
 *                      counts again (conditionally). Never over the target; at worst the counter holds one
 *                      phantom success, so the campaign stops one short (under by one), and if the campaign is
 *                      full the code is given back and the attempt answers sold_out. The opposite choice
 *                      (assume counted) could hand out target + 1 codes, which the target forbids.
 *   - after W5/W6:     marker present → no second count; W6 is repeated (idempotent); W7 recorded.
 *   - during a failure: releases happen before W7, and each is idempotent, so a redelivery repeats them.
 * Without a redelivery, a dead attempt keeps its quota units (and, after W3, its code) — nothing in this
 * design lets another attempt finish it; that is the job of the queue's redelivery of the same attemptId.
 *
 * A worker stalled longer than the lease (default 10 s) while a redelivery takes over can run steps in parallel
 * with it: the unique attemptId index still allows one code, the counter still never exceeds the target and
 * only the lease holder can record the outcome, but quota/counter bookkeeping may then be off by one.
 */
import {
  findTier,
  quotaScopes,
  type AttemptKind,
  type AttemptResult,
  type Campaign,
  type ClaimRequest,
  type Outcome,
  type RedeemRequest,
} from '@dropgate/core';
import type { RedemptionService } from '@dropgate/store';
import type { AttemptDraft, AttemptLease, AttemptLog } from './attempt-log';
import type { CodeAssignment, Taker } from './code-assignment';
import { campaignGate, type CampaignTarget } from './campaign-target';
import type { CustomerQuota } from './customer-quota';
import { toCampaign, type CampaignDoc, type CodeDoc, type Models } from './models';
import { judgeRedeem } from './redeem-judge';

/** A lost code CAS is re-judged on a fresh read; this bounds pathological flapping (lock/unlock loops). */
const MAX_REDEEM_ROUNDS = 8;
/** How often one delivery goes round when fenced out by a takeover of its lease. */
const MAX_RUNS = 5;
/** A refused count whose campaign then reads as open again (a pause and resume in between) is retried this often. */
const MAX_COUNT_TRIES = 3;

interface Run extends AttemptLease {
  attemptId: string;
  customerId: string;
  /** This run reserved quota (so a failure must give it back). */
  reserved: boolean;
}

interface RunResult {
  draft: AttemptDraft;
  /** Needed to release quota scopes on failure; null when the campaign does not exist. */
  campaign: Campaign | null;
}

const fail = (outcome: Outcome, campaign: Campaign | null): RunResult => ({ draft: { outcome, code: null, tier: null, reward: null }, campaign });

export interface RedemptionDeps {
  models: Models;
  attempts: AttemptLog;
  assignment: CodeAssignment;
  quota: CustomerQuota;
  target: CampaignTarget;
}

export class MongoRedemptionService implements RedemptionService {
  constructor(private readonly deps: RedemptionDeps) {}

  redeem(request: RedeemRequest): Promise<AttemptResult> {
    return this.run('redeem', request, (run) => this.redeemSteps(request, run));
  }

  claim(request: ClaimRequest): Promise<AttemptResult> {
    return this.run('claim', request, (run) => this.claimSteps(request, run));
  }

  getAttempt(attemptId: string): Promise<AttemptResult | null> {
    return this.deps.attempts.get(attemptId);
  }

  outcomeCounts(campaignId: string): Promise<Partial<Record<Outcome, number>>> {
    return this.deps.attempts.outcomeCounts(campaignId);
  }

  /** W1 … W7 around the steps of one kind of attempt. */
  private async run(
    kind: AttemptKind,
    request: { attemptId: string; campaignId: string; customerId: string },
    steps: (run: Run) => Promise<RunResult>,
  ): Promise<AttemptResult> {
    const { attempts, quota } = this.deps;
    for (let i = 0; i < MAX_RUNS; i++) {
      const lease = await attempts.acquire({ kind, ...request });
      if ('result' in lease) return lease.result;
      const run: Run = { ...lease, attemptId: request.attemptId, customerId: request.customerId, reserved: false };
      let result: RunResult;
      try {
        result = await steps(run);
        // A failed (or already_redeemed) attempt holds no quota: give back what this or an earlier run reserved.
        if (!holdsCode(result.draft.outcome) && result.campaign && (run.reserved || run.resumed))
          await quota.releaseAll(result.campaign, request.customerId, request.attemptId);
      } catch (err) {
        await attempts.abandon(request.attemptId, lease.owner).catch(() => undefined);
        throw err;
      }
      const recorded = await attempts.finish(request.attemptId, lease.owner, result.draft);
      if (recorded) return recorded;
    }
    throw new Error(`attempt ${request.attemptId}: lease kept being taken over`);
  }

  private async redeemSteps(req: RedeemRequest, run: Run): Promise<RunResult> {
    const resumedHold = await this.resumeHeld('redeemed', run, req.now);
    if (resumedHold) return resumedHold;
    const campaign = await this.loadCampaign(req.campaignId);
    const refusal = await this.gate(campaign, req.now);
    if (refusal || !campaign) return fail(refusal ?? 'campaign_not_active', campaign);
    const taker: Taker = { attemptId: req.attemptId, customerId: req.customerId, now: req.now };
    for (let round = 0; round < MAX_REDEEM_ROUNDS; round++) {
      const code = await this.deps.models.codes.findOne({ campaignId: campaign.id, code: req.code }).lean<CodeDoc>();
      if (!code) return fail('code_not_found', campaign);
      const verdict = judgeRedeem(code, campaign, req.customerId, req.now);
      if (!verdict.ok) {
        return verdict.outcome === 'already_redeemed' ? success('already_redeemed', code, campaign) : fail(verdict.outcome, campaign);
      }
      if (!run.reserved) {
        if (!(await this.deps.quota.reserve(campaign.id, req.customerId, req.attemptId, quotaScopes(campaign, code.tier)))) {
          return fail('customer_limit_reached', campaign);
        }
        run.reserved = true;
      }
      const taken = await this.deps.assignment.takeSpecific(code, taker);
      if (taken === 'mine') return this.completeHeld('redeemed', await this.mustHold(req.attemptId), run, req.now);
      if (taken !== 'lost') return this.completeHeld('redeemed', taken.won, run, req.now, campaign);
      // Lost the race: the next round re-reads the code and answers per its new state (steps 4-5).
    }
    throw new Error(`redeem ${req.attemptId}: code ${req.code} kept changing under us`);
  }

  private async claimSteps(req: ClaimRequest, run: Run): Promise<RunResult> {
    const resumedHold = await this.resumeHeld('claimed', run, req.now);
    if (resumedHold) return resumedHold;
    const campaign = await this.loadCampaign(req.campaignId);
    const refusal = await this.gate(campaign, req.now);
    if (refusal || !campaign) return fail(refusal ?? 'campaign_not_active', campaign);
    const tier = findTier(campaign, req.tier ?? campaign.tiers[0]?.name ?? '');
    if (!tier) return fail('code_not_found', campaign);
    if (!(await this.deps.quota.reserve(campaign.id, req.customerId, req.attemptId, quotaScopes(campaign, tier.name)))) {
      return fail('customer_limit_reached', campaign);
    }
    run.reserved = true;
    const taker: Taker = { attemptId: req.attemptId, customerId: req.customerId, now: req.now };
    let taken = await this.deps.assignment.takeAny(campaign.id, tier.name, taker);
    // Due locks count as available: free those of this tier, then look once more before answering sold_out.
    if (taken === null && (await this.deps.assignment.releaseDueLocks(campaign.id, tier.name, req.now)) > 0) {
      taken = await this.deps.assignment.takeAny(campaign.id, tier.name, taker);
    }
    if (taken === null || taken === 'lost') return fail('sold_out', campaign);
    if (taken === 'mine') return this.completeHeld('claimed', await this.mustHold(req.attemptId), run, req.now);
    return this.completeHeld('claimed', taken.won, run, req.now, campaign);
  }

  /** On a resumed attempt: if the earlier run got as far as W3, carry on from W4 with its code (no checks again). */
  private async resumeHeld(outcome: 'redeemed' | 'claimed', run: Run, now: Date): Promise<RunResult | null> {
    if (!run.resumed) return null;
    const held = await this.deps.assignment.heldBy(run.attemptId);
    return held ? this.completeHeld(outcome, held, run, now) : null;
  }

  /** W4 → W6 for an attempt that holds `code` (W3 done). `known`: the campaign as read by this run, if any. */
  private async completeHeld(outcome: 'redeemed' | 'claimed', code: CodeDoc, run: Run, now: Date, known?: Campaign): Promise<RunResult> {
    const { attempts, assignment, target } = this.deps;
    let campaign = known ?? (await this.loadCampaign(code.campaignId));
    if (run.counted) {
      await target.stopIfReached(code.campaignId);
      return success(outcome, code, campaign);
    }
    for (let tries = 0; tries < MAX_COUNT_TRIES; tries++) {
      const counted = await target.count(code.campaignId);
      if (counted) {
        await attempts.markCounted(run.attemptId, run.owner);
        run.counted = true;
        if (counted.reached) await target.stopIfReached(code.campaignId);
        return success(outcome, code, campaign);
      }
      // Refused: paused/stopped/ended meanwhile, or full. Read why, to answer with the right outcome.
      campaign = await this.loadCampaign(code.campaignId);
      const refusal = await this.gate(campaign, now);
      if (refusal) {
        await assignment.giveBack(code, run.attemptId);
        return fail(refusal, campaign);
      }
      // Open again already (e.g. resumed between our two reads): try once more.
    }
    await assignment.giveBack(code, run.attemptId);
    return fail('sold_out', campaign);
  }

  private async mustHold(attemptId: string): Promise<CodeDoc> {
    const held = await this.deps.assignment.heldBy(attemptId);
    if (!held) throw new Error(`attempt ${attemptId}: unique index refused a code but none is held`);
    return held;
  }

  private async loadCampaign(id: string): Promise<Campaign | null> {
    const doc = await this.deps.models.campaigns.findById(id).lean<CampaignDoc>();
    return doc ? toCampaign(doc) : null;
  }

  /** Step 2; a full campaign still marked active is stopped on the way (heals a kill between W4 and W6). */
  private async gate(campaign: Campaign | null, now: Date): Promise<Outcome | null> {
    const refusal = campaignGate(campaign, now);
    if (refusal === 'sold_out' && campaign?.status === 'active') await this.deps.target.stopIfReached(campaign.id);
    return refusal;
  }
}

const holdsCode = (outcome: Outcome): boolean => outcome === 'redeemed' || outcome === 'claimed';

function success(outcome: 'redeemed' | 'claimed' | 'already_redeemed', code: CodeDoc, campaign: Campaign | null): RunResult {
  const reward = campaign ? (findTier(campaign, code.tier)?.reward ?? null) : null;
  return { draft: { outcome, code: code.code, tier: code.tier, reward }, campaign };
}
