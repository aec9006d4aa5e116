import type { CampaignStatus, CodeSpec, CodeState, StopReason, Tier } from '@dropgate/core';

/**
 * What the admin API answers, as JSON (dates are ISO strings). Declared once here for every client (the CLI and
 * the web page); the admin app's zod schemas validate the requests.
 */

export interface CampaignView {
  id: string;
  name: string;
  status: CampaignStatus;
  startsAt: string | null;
  endsAt: string | null;
  tiers: Tier[];
  perCustomerLimit: number;
  target: number | null;
  codeSpec: CodeSpec;
  redeemRequiresPublication: boolean;
  redeemedCount: number;
  stopReason: StopReason | null;
  createdAt: string;
  updatedAt: string;
}

/** Counts of codes by tier, then by state. */
export type CodeCounts = Record<string, Partial<Record<CodeState, number>>>;

export interface StatsView {
  campaignId: string;
  status: CampaignStatus;
  target: number | null;
  redemptions: number;
  codes: CodeCounts;
  /** Recorded attempt outcomes by name (redeemed, sold_out, ...). */
  outcomes: Record<string, number>;
}

export interface CodeView {
  code: string;
  tier: string;
  state: CodeState;
  customerId: string | null;
  redeemedAt: string | null;
  publicationId: string | null;
}

export interface NewTier {
  name: string;
  reward: string;
  quantity: number;
  perCustomerLimit?: number;
}

export interface NewCampaignRequest {
  id?: string;
  name: string;
  tiers: NewTier[];
  perCustomerLimit: number;
  code: { length?: number; charset?: string; pattern?: string; prefix?: string; suffix?: string };
  status?: 'active' | 'draft';
  target?: number | null;
  startsAt?: string | null;
  endsAt?: string | null;
  redeemRequiresPublication?: boolean;
}

export const JOB_STATES = ['waiting', 'active', 'completed', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** `GET /admin/v1/jobs/:jobId`: a background generation or import. Other fields (result, error) may be present. */
export interface JobView {
  state: JobState;
  done: number;
  total: number;
  [extra: string]: unknown;
}

export interface JobAccepted {
  jobId: string;
  [extra: string]: unknown;
}

export interface PublicationRequest {
  tier: string;
  count: number;
  channel?: string;
  customerId?: string;
}

export interface PublicationView {
  publicationId: string;
  codes: string[];
  [extra: string]: unknown;
}

export interface LockRequest {
  tier?: string;
  count?: number;
  codes?: string[];
  /** ISO date: the codes become available by themselves then. */
  releaseAt?: string;
  reason?: string;
}

export interface RollbackRequest {
  to: 'available' | 'disabled';
  reason: string;
}

export interface AuditQuery {
  campaignId?: string;
  customerId?: string;
  code?: string;
  after?: string;
  limit?: number;
}

export type CodesFormat = 'json' | 'csv';
export interface CodesQuery {
  format?: CodesFormat;
  tier?: string;
  state?: CodeState;
}
