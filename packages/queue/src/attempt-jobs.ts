import type { Outcome } from '@dropgate/core';
import type { Job } from 'bullmq';
import type { AttemptJobName } from './queue-names';

/**
 * Job payloads. The job id IS the attempt id (see `enqueueAttempt`), so a payload need not repeat it.
 * Times are ISO-8601 strings: payloads go through JSON.
 */
export interface RedeemJob {
  campaignId: string;
  code: string;
  customerId: string;
  acceptedAt: string;
}

export interface ClaimJob {
  campaignId: string;
  customerId: string;
  /** Defaults to the campaign's first tier. */
  tier?: string | undefined;
  acceptedAt: string;
}

export interface AttemptJobPayloads {
  redeem: RedeemJob;
  claim: ClaimJob;
}

export type AttemptJobData = AttemptJobPayloads[AttemptJobName];

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

export type AttemptJob = Job<AttemptJobData, AttemptJobResult, AttemptJobName>;

