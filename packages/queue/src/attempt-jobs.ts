import type { Outcome, SourceCounts } from '@dropgate/core';
import type { Job } from 'bullmq';
import type { AttemptJobName } from './queue-names';

/**
 * Job payloads. The job id IS the attempt id (see `enqueueAttempt`), so a payload need not repeat it.
 * Times are ISO-8601 strings: payloads go through JSON.
 */
/**
 * Where an attempt came from, HASHED (never the address itself): what a worker needs to count a wrong code (a
 * `code_not_found` the intake's filter let through) against the same address and subnet budgets as the intake, and
 * to refuse the attempt (`source_blocked`) if its address or subnet was blocked after the intake accepted it.
 */
export interface AttemptSource {
  address: string;
  subnet: string;
}

export interface RedeemJob {
  campaignId: string;
  code: string;
  customerId: string;
  /** When the intake accepted it: the attempt is judged as of this time, however late it is processed. */
  acceptedAt: string;
  /** Absent on jobs from intakes that predate it: such a wrong code counts against the customer only (and the
   *  attempt is never refused as `source_blocked`). */
  source?: AttemptSource | undefined;  /** Written by a worker that held the attempt again (the hold's rule): its source's counts at that look. */
  holdSeen?: SourceCounts | undefined;
}

export interface ClaimJob {
  campaignId: string;
  customerId: string;
  /** Defaults to the campaign's first tier. */
  tier?: string | undefined;
  acceptedAt: string;
  /** Absent on jobs from intakes that predate it: such a claim is never refused as `source_blocked`. */
  source?: AttemptSource | undefined;  /** Written by a worker that held the attempt again (the hold's rule): its source's counts at that look. */
  holdSeen?: SourceCounts | undefined;
}

/**
 * What the worker's processor returns (the job's `returnvalue`): what a client is shown of the attempt's recorded
 * result, nothing more (the attempt id is the job id; the rest is in the store). Absent fields were null: a small
 * value keeps a finished job's hash small in Redis.
 */
export interface AttemptJobResult {
  outcome: Outcome;
  code?: string | null | undefined;
  tier?: string | null | undefined;
  reward?: string | null | undefined;
}

/**
 * The attempts queue's contract, declared once: job name → what it carries and what its processor returns.
 * A job name added here without a processor branch is a type error in the worker.
 */
export interface AttemptJobContract {
  redeem: { payload: RedeemJob; result: AttemptJobResult };
  claim: { payload: ClaimJob; result: AttemptJobResult };
}

export type AttemptJobPayloads = { [N in AttemptJobName]: AttemptJobContract[N]['payload'] };
export type AttemptJobData = AttemptJobPayloads[AttemptJobName];

/** One job to add, told apart by its name: `switch (job.name)` narrows `data`. */
export type AttemptJobRequest = { [N in AttemptJobName]: { name: N; data: AttemptJobPayloads[N] } }[AttemptJobName];

export type AttemptJob = Job<AttemptJobData, AttemptJobResult, AttemptJobName>;
