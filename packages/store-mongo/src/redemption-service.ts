/**
 * redeem/claim on MongoDB without multi-document transactions (a standalone mongod has none).
 *
 * WRITE ORDER of one attempt (each step is one single-document conditional write, atomic on its own):
 *
 *   W1  attempt lease      insert attempts{_id: attemptId, outcome: null, lease, requestedAt: request.now}; a
 *                          duplicate delivery waits for the outcome, or takes the lease over (CAS on an expired
 *                          lease) if the first one died. While a run works, a timer renews its lease every third
 *                          of its length (LeaseKeeper); before W2, W3 and W4 the run checks it still holds it and
 *                          stops writing if a renewal found it taken over.
 *   W2  customer quota     `$push attemptId` into quota.holders (tier scope first, then campaign scope),
 *                          conditional on "not a holder yet and below the limit". Idempotent by attemptId.
 *   W3  code               CAS of the code (the state just judged → redeemed, attemptId set). The unique partial
 *                          index on codes.attemptId makes a second code for the same attempt impossible.
 *   W4  target count       ONE findOneAndUpdate on the campaign: `$inc redeemedCount` and `$push attemptId` into
 *                          `countedRecent` (last COUNTED_WINDOW ids), only while the campaign is active, below its
 *                          target, and `countedRecent` does not hold attemptId yet. It can never exceed the target
 *                          and never counts one attempt twice. Refused → W3 is undone (code given back) and W2
 *                          released: the attempt is `sold_out` (or `campaign_not_active` if it was
 *                          paused/stopped/ended meanwhile).
 *   W5  counted marker     attempts.counted = true (lets a redelivery skip W4 even after the attempt id has left
 *                          the campaign's window).
 *   W6  stop               if W4 reached the target: campaign active|paused → stopped/target_reached
 *                          (conditional, idempotent; any later attempt that sees a full active campaign repeats it).
 *   W7  outcome            attempts.outcome/code/…, finishedAt = requestedAt, written once, fenced by our lease.
 *                          Always LAST, so a recorded outcome means every step before it is done. A failure outcome
 *                          first releases what this attempt reserved (W2 `$pull`, W3 give-back), then records.
 *
 * Why the code (W3) comes before the count (W4): a count taken before the code would have to be handed back
 * when the code write loses, and meanwhile other attempts would read a full campaign and answer sold_out while
 * codes remain. Counting after the code means a success is final as soon as W4 succeeds, so the counter only
 * holds real successes and `redeemedCount >= target` is never a transient state: a full campaign can safely be
 * stopped by any reader.
 *
 * A KILL between any two writes, then a redelivery of the same attemptId (it takes the lease over once it expires):
 *   - after W1:        nothing else written; the redelivery runs the attempt from scratch.
 *   - after W2:        the quota units are ours (holders contains attemptId): reserving again is a no-op; if the
 *                      redelivery ends in a failure it `$pull`s attemptId from every scope of the campaign,
 *                      since it cannot know which scopes the dead run reserved.
 *   - after W3:        the redelivery first looks for a code held by attemptId (indexed): found → it skips the
 *                      checks (they passed already) and continues at W4 with that code.
 *   - after W4, before W5: the redelivery finds the code but no `counted` marker and repeats W4: the campaign's
 *                      `countedRecent` still holds attemptId, so nothing is counted twice; it reads the counter
 *                      and goes on (W5, W6, W7). Only if more than COUNTED_WINDOW other successes were counted on
 *                      the campaign before the redelivery came does the id fall out of the window: then it counts
 *                      again (conditionally: never over the target), i.e. at worst one phantom success per such
 *                      kill and the campaign stops one short — never one over.
 *   - after W5/W6:     marker present → no second count; W6 is repeated (idempotent); W7 recorded.
 *   - during a failure: releases happen before W7, and each is idempotent, so a redelivery repeats them.
 *
 * NO REDELIVERY (the queue ran out of retries), or a redelivery that comes after the attempt went STALE (no lease
 * renewal for `staleAfterMs`): the attempt is settled from what it wrote instead of being run again
 * (stale-attempt.ts) — by that redelivery, or by `recoverStaleAttempts(olderThan)` (a sweeper to run
 * periodically): holds a code → W4 (idempotent) … W7 with that code, i.e. its success is recorded (or, if the
 * campaign refuses the count, the code is given back and the refusal recorded); holds none → quota released,
 * count given back if the campaign remembers one, terminal outcome UNDONE_OUTCOME recorded with
 * `recovered: 'undone'`. `codes.rollback` of a code whose attempt is unfinished waits for that attempt (its
 * lease is renewed while it runs) or, if its lease ran out, finishes it first the same way.
 *
 * A RUN THAT LOST ITS LEASE (stalled longer than the lease, e.g. a long GC pause or a network partition, while
 * another run took over): it stops writing at its next step; if it still reaches W7, the fenced write fails.
 * Either way it waits for the result the other run records, then takes back whatever of its own writes that
 * result does not own (stale-attempt.ts planFenceUndo): a code held by the attempt that is not the recorded
 * code, its count if the recorded result is no success, its quota units likewise. Both runs write the same
 * attempt-keyed slots (one code per attemptId by the unique index, one count per attemptId, one quota unit per
 * scope and attemptId), so they can never double anything; the undo only makes the bookkeeping match the one
 * recorded result. What stays open: a run that stalls between a fence check and its next write can still make
 * that one write after the takeover; it is then undone by that run's own settlement, or — if that run dies —
 * by the sweeper (an unheld count is given back only if the campaign still remembers it).
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
import type { AttemptRequest, RedemptionService } from '@dropgate/store';
import type { AttemptDraft, AttemptLease, AttemptLog, LeaseKeeper, Recorded } from './attempt-log';
import type { CodeAssignment, Taker } from './code-assignment';
import { campaignGate, type CampaignTarget } from './campaign-target';
import type { CustomerQuota } from './customer-quota';
import { CAMPAIGN_FIELDS, toCampaign, type CampaignDoc, type CodeDoc, type Models } from './models';
import { judgeRedeem } from './redeem-judge';
import { sleepWithJitter } from './sleep';
import { isStale, planFenceUndo, planRecovery } from './stale-attempt';

/** A lost code CAS is re-judged on a fresh read; this bounds pathological flapping (lock/unlock loops). */
const MAX_REDEEM_ROUNDS = 8;
/** How often one delivery goes round when fenced out by a takeover of its lease. */
const MAX_RUNS = 5;
/** A refused count whose campaign then reads as open again (a pause and resume in between) is retried this often. */
const MAX_COUNT_TRIES = 3;
/** Stale attempts settled per sweep call. */
const SWEEP_BATCH = 500;
const POLL_MS = 20;

interface Run extends AttemptLease {
  attemptId: string;
  kind: AttemptKind;
  campaignId: string;
  customerId: string;
  /** The `now` the attempt is judged at and recorded with (the first delivery's). */
  now: Date;
  /** This run reserved quota (so a failure must give it back). */
  reserved: boolean;
  /** This run's W4 succeeded (or found the attempt already counted). */
  countedByThisRun: boolean;
  keeper: LeaseKeeper;
}

interface RunResult {
  draft: AttemptDraft;
  /** Needed to release quota scopes on failure; null when the campaign does not exist. */
  campaign: Campaign | null;
  recovered?: 'finished' | 'undone';
}

/** Thrown inside a run's steps once its lease was found taken over: the run stops writing and settles. */
class LeaseLost extends Error {
  constructor(attemptId: string) {
    super(`attempt ${attemptId}: lease taken over`);
  }
}

export interface RecoveryReport {
  /** Stale attempts that held a code and now have their success (or the campaign's refusal) recorded. */
  finished: number;
  /** Stale attempts without a code: quota (and count) given back, UNDONE_OUTCOME recorded. */
  undone: number;
  /** Stale attempts another process settled first, or that failed to settle now (they stay for the next sweep). */
  skipped: number;
}

const fail = (outcome: Outcome, campaign: Campaign | null): RunResult => ({ draft: { outcome, code: null, tier: null, reward: null }, campaign });

export interface RedemptionDeps {
  models: Models;
  attempts: AttemptLog;
  assignment: CodeAssignment;
  quota: CustomerQuota;
  target: CampaignTarget;
  /** A takeover of an attempt whose lease ran out at least this long ago settles it instead of running it. */
  staleAfterMs: number;
}

export class MongoRedemptionService implements RedemptionService {
  constructor(private readonly deps: RedemptionDeps) {}

  redeem(request: RedeemRequest): Promise<AttemptResult> {
    return this.deliver('redeem', request, (run) => this.redeemSteps(request, run));
  }

  claim(request: ClaimRequest): Promise<AttemptResult> {
    return this.deliver('claim', request, (run) => this.claimSteps(request, run));
  }

  /** No multi-document transactions here: the requests run one after another through redeem/claim. */
  async processMany(requests: readonly AttemptRequest[]): Promise<AttemptResult[]> {
    const results: AttemptResult[] = [];
    for (const req of requests) results.push(req.kind === 'redeem' ? await this.redeem(req) : await this.claim(req));
    return results;
  }

  getAttempt(attemptId: string): Promise<AttemptResult | null> {
    return this.deps.attempts.get(attemptId);
  }

  outcomeCounts(campaignId: string): Promise<Partial<Record<Outcome, number>>> {
    return this.deps.attempts.outcomeCounts(campaignId);
  }

  /**
   * The sweeper: settles (finishes or undoes, see stale-attempt.ts) every unfinished attempt whose lease ran out
   * at or before `olderThan`, up to SWEEP_BATCH per call. Safe to run from several processes at once: each
   * attempt is taken over by CAS on its lease, so only one settles it, and a live run renews its lease.
   */
  async recoverStaleAttempts(olderThan: Date): Promise<RecoveryReport> {
    const report: RecoveryReport = { finished: 0, undone: 0, skipped: 0 };
    for (const attemptId of await this.deps.attempts.findStale(olderThan, SWEEP_BATCH)) {
      try {
        const settled = await this.settleTakenOver(attemptId, olderThan);
        if (settled === 'finished' || settled === 'undone') report[settled]++;
        else report.skipped++;
      } catch {
        report.skipped++; // abandoned again by execute(): the next sweep tries again
      }
    }
    return report;
  }

  /**
   * Returns once `attemptId` has a recorded outcome (or does not exist): waits while a live run holds its lease,
   * settles it (stale-attempt.ts) if its lease ran out. What `codes.rollback` does before taking a code back,
   * the way PostgreSQL's rollback waits on the code's row lock for the redeem's transaction.
   */
  async settle(attemptId: string): Promise<void> {
    const giveUpAt = Date.now() + 3 * this.deps.attempts.leaseMs;
    for (;;) {
      const doc = await this.deps.attempts.raw(attemptId);
      if (!doc || doc.outcome) return;
      if (Date.now() > giveUpAt) throw new Error(`attempt ${attemptId} stayed in flight for ${3 * this.deps.attempts.leaseMs} ms`);
      if (doc.leaseUntil && doc.leaseUntil <= new Date()) await this.settleTakenOver(attemptId, new Date());
      else await sleepWithJitter(POLL_MS);
    }
  }

  /** Takes over an attempt whose lease ran out at or before `olderThan` and settles it; null if someone else had it. */
  private async settleTakenOver(attemptId: string, olderThan: Date): Promise<'finished' | 'undone' | 'other' | null> {
    const lease = await this.deps.attempts.takeOverStale(attemptId, olderThan);
    if (!lease) return null;
    const run = this.startRun(lease, lease, lease.requestedAt ?? new Date());
    const recorded = await this.execute(run, (r) => this.recoverySteps(r));
    if (recorded && !recorded.mine) await this.undoOwn(run, recorded.result);
    if (!recorded?.mine) return 'other';
    const doc = await this.deps.attempts.raw(attemptId);
    return doc?.recovered ?? 'other';
  }

  /** One delivery: W1, then the steps (or the settlement of a stale attempt), W7; fenced and settled on takeover. */
  private async deliver(
    kind: AttemptKind,
    request: { attemptId: string; campaignId: string; customerId: string; now: Date },
    steps: (run: Run) => Promise<RunResult>,
  ): Promise<AttemptResult> {
    const { attempts, staleAfterMs } = this.deps;
    let fenced: Run | null = null; // our last run, fenced out by a takeover: settled against the recorded result
    for (let i = 0; i < MAX_RUNS; i++) {
      const lease = await attempts.acquire({ kind, ...request });
      if ('result' in lease) {
        if (fenced) await this.undoOwn(fenced, lease.result);
        return lease.result;
      }
      // We hold the attempt again: this run resumes from whatever any run (the fenced one included) wrote.
      const run = this.startRun(lease, { kind, ...request }, lease.requestedAt ?? request.now);
      const stale = isStale(lease.previousLeaseUntil, new Date(), staleAfterMs);
      const recorded = await this.execute(run, stale ? (r) => this.recoverySteps(r) : steps);
      if (recorded?.mine) return recorded.result;
      if (recorded) {
        await this.undoOwn(run, recorded.result);
        return recorded.result;
      }
      fenced = run; // another run holds the lease and has recorded nothing yet: wait for its result
    }
    throw new Error(`attempt ${request.attemptId}: lease kept being taken over`);
  }

  private startRun(lease: AttemptLease, who: { kind: AttemptKind; attemptId: string; campaignId: string; customerId: string }, now: Date): Run {
    return {
      ...lease,
      attemptId: who.attemptId,
      kind: who.kind,
      campaignId: who.campaignId,
      customerId: who.customerId,
      now,
      reserved: false,
      countedByThisRun: false,
      keeper: this.deps.attempts.keep(who.attemptId, lease.owner),
    };
  }

  /**
   * Runs the steps under the renewed lease, releases quota of a non-holding outcome, records the outcome (W7).
   * Returns what `finish` returns, or null when the lease was lost during the steps. An infrastructure error
   * abandons the lease (a redelivery may take over at once) and surfaces.
   */
  private async execute(run: Run, steps: (run: Run) => Promise<RunResult>): Promise<Recorded | null> {
    const { attempts, quota } = this.deps;
    try {
      const result = await steps(run);
      this.fence(run);
      // A failed (or already_redeemed) attempt holds no quota: give back what this or an earlier run reserved.
      if (!holdsCode(result.draft.outcome) && result.campaign && (run.reserved || run.resumed))
        await quota.releaseAll(result.campaign, run.customerId, run.attemptId);
      return await attempts.finish(run.attemptId, run.owner, result.draft, run.now, result.recovered ?? null);
    } catch (err) {
      if (err instanceof LeaseLost) return null;
      await attempts.abandon(run.attemptId, run.owner).catch(() => undefined);
      throw err;
    } finally {
      run.keeper.stop();
    }
  }

  /** Stops a run whose lease a renewal found taken over, before its next write. */
  private fence(run: Run): void {
    if (run.keeper.lost) throw new LeaseLost(run.attemptId);
  }

  /** After another run's result was recorded: take back what this run (or the attempt) holds beyond that result. */
  private async undoOwn(run: Run, recorded: AttemptResult): Promise<void> {
    const { assignment, target, quota } = this.deps;
    const held = await assignment.heldBy(run.attemptId);
    const plan = planFenceUndo(recorded, { heldCode: held?.code ?? null, countedByThisRun: run.countedByThisRun });
    if (plan.giveBackCode && held) await assignment.giveBack(held, run.attemptId);
    if (plan.uncount) await target.uncount(run.campaignId, run.attemptId, { onlyIfCounted: true });
    if (plan.releaseQuota) {
      const campaign = await this.loadCampaign(run.campaignId);
      if (campaign) await quota.releaseAll(campaign, run.customerId, run.attemptId);
    }
  }

  /** A stale attempt: finish it with the code it holds, or undo it (stale-attempt.ts). */
  private async recoverySteps(run: Run): Promise<RunResult> {
    const held = await this.deps.assignment.heldBy(run.attemptId);
    const counted = run.counted || (await this.deps.target.isCounted(run.campaignId, run.attemptId));
    const plan = planRecovery({ kind: run.kind, holdsCode: held !== null, counted });
    if (plan.action === 'finish') {
      const result = await this.completeHeld(run.kind === 'redeem' ? 'redeemed' : 'claimed', held!, run, run.now);
      return { ...result, recovered: 'finished' };
    }
    this.fence(run);
    // Counted without a code: the count is given back if the campaign still remembers it, or unconditionally
    // (once, by attempt id) when the attempt's own marker says so.
    if (plan.uncount) await this.deps.target.uncount(run.campaignId, run.attemptId, { onlyIfCounted: !run.counted });
    const campaign = await this.loadCampaign(run.campaignId);
    return { ...fail(plan.outcome, campaign), recovered: 'undone' };
  }

  private async redeemSteps(req: RedeemRequest, run: Run): Promise<RunResult> {
    const resumedHold = await this.resumeHeld('redeemed', run);
    if (resumedHold) return resumedHold;
    const campaign = await this.loadCampaign(req.campaignId);
    const refusal = await this.gate(campaign, run.now);
    if (refusal || !campaign) return fail(refusal ?? 'campaign_not_active', campaign);
    const taker: Taker = { attemptId: req.attemptId, customerId: req.customerId, now: run.now };
    for (let round = 0; round < MAX_REDEEM_ROUNDS; round++) {
      const code = await this.deps.models.codes.findOne({ campaignId: campaign.id, code: req.code }).lean<CodeDoc>();
      if (!code) return fail('code_not_found', campaign);
      const verdict = judgeRedeem(code, campaign, req.customerId, run.now);
      if (!verdict.ok) {
        return verdict.outcome === 'already_redeemed' ? success('already_redeemed', code, campaign) : fail(verdict.outcome, campaign);
      }
      if (!run.reserved) {
        this.fence(run);
        if (!(await this.deps.quota.reserve(campaign.id, req.customerId, req.attemptId, quotaScopes(campaign, code.tier)))) {
          return fail('customer_limit_reached', campaign);
        }
        run.reserved = true;
      }
      this.fence(run);
      const taken = await this.deps.assignment.takeSpecific(code, taker);
      if (taken === 'mine') return this.completeHeld('redeemed', await this.mustHold(req.attemptId), run, run.now);
      if (taken !== 'lost') return this.completeHeld('redeemed', taken.won, run, run.now, campaign);
      // Lost the race: the next round re-reads the code and answers per its new state (steps 4-5).
    }
    throw new Error(`redeem ${req.attemptId}: code ${req.code} kept changing under us`);
  }

  private async claimSteps(req: ClaimRequest, run: Run): Promise<RunResult> {
    const resumedHold = await this.resumeHeld('claimed', run);
    if (resumedHold) return resumedHold;
    const campaign = await this.loadCampaign(req.campaignId);
    const refusal = await this.gate(campaign, run.now);
    if (refusal || !campaign) return fail(refusal ?? 'campaign_not_active', campaign);
    const tier = findTier(campaign, req.tier ?? campaign.tiers[0]?.name ?? '');
    if (!tier) return fail('code_not_found', campaign);
    this.fence(run);
    if (!(await this.deps.quota.reserve(campaign.id, req.customerId, req.attemptId, quotaScopes(campaign, tier.name)))) {
      return fail('customer_limit_reached', campaign);
    }
    run.reserved = true;
    const taker: Taker = { attemptId: req.attemptId, customerId: req.customerId, now: run.now };
    this.fence(run);
    let taken = await this.deps.assignment.takeAny(campaign.id, tier.name, taker);
    // Due locks count as available: free those of this tier, then look once more before answering sold_out.
    if (taken === null && (await this.deps.assignment.releaseDueLocks(campaign.id, tier.name, run.now)) > 0) {
      this.fence(run);
      taken = await this.deps.assignment.takeAny(campaign.id, tier.name, taker);
    }
    if (taken === null || taken === 'lost') return fail('sold_out', campaign);
    if (taken === 'mine') return this.completeHeld('claimed', await this.mustHold(req.attemptId), run, run.now);
    return this.completeHeld('claimed', taken.won, run, run.now, campaign);
  }

  /** On a resumed attempt: if the earlier run got as far as W3, carry on from W4 with its code (no checks again). */
  private async resumeHeld(outcome: 'redeemed' | 'claimed', run: Run): Promise<RunResult | null> {
    if (!run.resumed) return null;
    const held = await this.deps.assignment.heldBy(run.attemptId);
    return held ? this.completeHeld(outcome, held, run, run.now) : null;
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
      this.fence(run);
      const counted = await target.count(code.campaignId, run.attemptId);
      if (counted) {
        run.countedByThisRun = true;
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
    const doc = await this.deps.models.campaigns.findById(id, CAMPAIGN_FIELDS).lean<CampaignDoc>();
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
