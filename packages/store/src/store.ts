import type {
  AttemptKind,
  AuditEntry,
  AttemptResult,
  Campaign,
  CampaignPatch,
  Outcome,
  CampaignStatus,
  ClaimRequest,
  CodeState,
  NewCampaign,
  RedeemRequest,
  StopReason,
} from '@dropgate/core';

/**
 * The store port: everything the workers and the admin need from persistence. Adapters (PostgreSQL,
 * MongoDB) implement it with conditional writes inside the database; nothing here may rely on a lock
 * held in Node. Every adapter must pass the contract suite in `packages/store/test`.
 */
export interface Store {
  readonly name: 'postgres' | 'mongo';
  readonly campaigns: CampaignRepository;
  readonly codes: CodeRepository;
  readonly redemptions: RedemptionService;
  /** Admin actions, and every redemption outcome (read from the attempt records). */
  readonly audit: AuditLog;
  /** Creates/updates the schema (migrations, indexes). Safe to call concurrently and repeatedly. */
  migrate(): Promise<void>;
  /** Cheap liveness check of the database connection. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface CampaignRepository {
  create(input: NewCampaign): Promise<Campaign>;
  get(id: string): Promise<Campaign | null>;
  list(): Promise<Campaign[]>;
  update(id: string, patch: CampaignPatch): Promise<Campaign>;
  /** Moves the campaign along the lifecycle; illegal moves throw `StoreError('invalid_status_transition')`. */
  setStatus(id: string, status: CampaignStatus, reason?: StopReason): Promise<Campaign>;
}

export interface NewCode {
  code: string;
  tier: string;
}

export interface InsertCodesResult {
  inserted: number;
  /** Codes that already existed in the campaign: reported, never fatal to the batch. */
  duplicates: string[];
}

export interface CodeRecord {
  campaignId: string;
  code: string;
  tier: string;
  state: CodeState;
  customerId: string | null;
  attemptId: string | null;
  redeemedAt: Date | null;
  lockReleaseAt: Date | null;
  /** Why the code is locked (given with the lock); null when it is not locked or none was given. */
  lockReason: string | null;
  publicationId: string | null;
}

export interface LockCodesRequest {
  campaignId: string;
  codes: string[];
  /** When set, the lock ends by itself at this time (it is honoured lazily by redeem/claim and swept by `releaseDueLocks`). */
  releaseAt?: Date | null | undefined;
  /** Why: kept with the lock (`listLocks`, `CodeRecord.lockReason`, what `releaseDueLocks` reports). */
  reason?: string | null | undefined;
}

export interface LockAvailableRequest {
  campaignId: string;
  tier: string;
  /** Exactly this many available codes of the tier are locked, or none. */
  count: number;
  /** When set, the lock ends by itself at this time (as `LockCodesRequest.releaseAt`). */
  releaseAt?: Date | null | undefined;
  /** Why (as `LockCodesRequest.reason`). */
  reason?: string | null | undefined;
}

/** A campaign's codes locked now, by tier, release time and reason (`listLocks`). */
export interface LockGroup {
  tier: string;
  /** null: locked until released by hand. */
  releaseAt: Date | null;
  reason: string | null;
  count: number;
}

/** Codes a sweep made available again, by campaign, tier and the reason they were locked for (`releaseDueLocks`). */
export interface ReleasedLocks {
  campaignId: string;
  tier: string;
  reason: string | null;
  released: number;
}

export interface ListPublicationsQuery {
  campaignId: string;
  /** At most this many (adapters cap it at 1,000), newest first. */
  limit: number;
}

export interface PublishRequest {
  campaignId: string;
  tier: string;
  count: number;
  /** Caller-chosen id: publishing again with the same id returns the same codes (idempotent). */
  publicationId: string;
  /** Where the codes go: a channel (e.g. "instagram") or one customer, who alone may then redeem them. */
  channel?: string | undefined;
  customerId?: string | undefined;
  now: Date;
}

export interface Publication {
  publicationId: string;
  campaignId: string;
  tier: string;
  channel: string | null;
  customerId: string | null;
  codes: string[];
  createdAt: Date;
}

export interface RollbackRequest {
  campaignId: string;
  code: string;
  /** Where the code goes: back into circulation, or out of it. */
  to: 'available' | 'disabled';
  now: Date;
}

export interface ListCodesQuery {
  campaignId: string;
  tier?: string | undefined;
  state?: CodeState | undefined;
  /** Keyset pagination: codes strictly after this one (ordered by code). */
  after?: string | undefined;
  limit: number;
}

/** counts[tier][state] */
export type CodeCounts = Record<string, Record<CodeState, number>>;

export interface CodeRepository {
  insert(campaignId: string, codes: NewCode[]): Promise<InsertCodesResult>;
  get(campaignId: string, code: string): Promise<CodeRecord | null>;
  list(query: ListCodesQuery): Promise<CodeRecord[]>;
  counts(campaignId: string): Promise<CodeCounts>;
  /** available → locked; returns how many were locked (codes in other states are left alone). */
  lock(request: LockCodesRequest): Promise<number>;
  /**
   * Locks exactly `count` available codes of a tier (any of them), or none: throws `StoreError('not_enough_codes')`
   * (or `unknown_tier`, `campaign_not_found`). Returns the codes locked. Concurrent calls never take one code twice.
   */
  lockAvailable(request: LockAvailableRequest): Promise<string[]>;
  /** locked → available. */
  unlock(campaignId: string, codes: string[]): Promise<number>;
  /**
   * The campaign's codes locked as of `now` (a timed lock already due counts as released), grouped by tier,
   * release time and reason: timed ones first, soonest first, then the ones held until released by hand; then by
   * tier and reason (none first), both in code-point order (byte order of UTF-8, whatever the database's locale).
   */
  listLocks(campaignId: string, now: Date): Promise<LockGroup[]>;
  /**
   * Releases every lock whose release time has passed; returns what it released, grouped (nothing: []), ordered by
   * campaign, tier and reason (none first) in code-point order. A code redeemed or claimed after its lock was due
   * and before this ran (a due lock counts as available) is no longer locked, so it is not in what this returns.
   * Every code it releases is in what it returns, exactly once. PostgreSQL releases them in one statement; MongoDB in
   * transactions of a bounded number of codes (its transactions are limited in time and size), and if one of those
   * fails after others committed, it throws `LocksPartlyReleasedError` carrying what they released (free codes the
   * caller must report) and the failure; the rest stays due for the next sweep.
   */
  releaseDueLocks(now: Date): Promise<ReleasedLocks[]>;
  /** any → disabled. */
  disable(campaignId: string, codes: string[]): Promise<number>;
  /**
   * Publishes exactly `count` available codes of a tier, or none (throws `StoreError('not_enough_codes')`).
   * Idempotent by `publicationId`.
   */
  publish(request: PublishRequest): Promise<Publication>;
  /** A campaign's publications, newest first (none for an unknown campaign). */
  listPublications(query: ListPublicationsQuery): Promise<Publication[]>;
  /**
   * redeemed → available|disabled, in one transaction: frees the customer's quota and the campaign's target slot, and
   * marks the attempt that held the code as rolled back (its `rolledBackAt`, as of `request.now`; see `getAttempt`).
   * Returns false when the code was not redeemed (nothing changed).
   */
  rollback(request: RollbackRequest): Promise<boolean>;
}

/** One redeem or claim, tagged by kind, for `RedemptionService.processMany`. */
export type AttemptRequest = ({ kind: 'redeem' } & RedeemRequest) | ({ kind: 'claim' } & ClaimRequest);

/**
 * An attempt refused before any code was looked at, by a rule outside the store (the bot defence's deferred verdict:
 * `source_blocked`). Recorded like any other final outcome, with no code, tier or reward.
 */
export interface RefusalRequest {
  attemptId: string;
  kind: AttemptKind;
  campaignId: string;
  customerId: string;
  /** A refusal (never a success outcome: those only come from redeem/claim). */
  outcome: Outcome;
  /** The time it is judged at (as redeem/claim's `now`): the attempt's finishedAt. */
  now: Date;
}

export interface RedemptionService {
  /**
   * Redeems one specific code. Outcomes: redeemed, already_redeemed, code_not_found, code_already_used,
   * code_locked, code_disabled, campaign_not_active, customer_limit_reached, sold_out (target reached).
   * Idempotent by attemptId: any redelivery returns the first recorded result.
   */
  redeem(request: RedeemRequest): Promise<AttemptResult>;
  /**
   * Assigns the next available code of a tier. Outcomes: claimed, campaign_not_active, customer_limit_reached,
   * sold_out — only when no claimable code exists once every transaction holding one has ended (a code another
   * operation holds may come back if that one rolls back: the claim waits for it).
   */
  claim(request: ClaimRequest): Promise<AttemptResult>;
  /**
   * Many redeems/claims at once (what a worker has in flight): one result per request, in request order, each the
   * same as the matching `redeem`/`claim` call would return — same checks, same idempotency by attemptId (an
   * attemptId given twice, in one batch or across calls, is recorded once and answers the same result). First come,
   * first served: redeems of one code, and claims of one campaign, are decided in the order of their `now` (when they
   * were accepted); otherwise the order is unspecified, as if they were concurrent calls. The batch is ONE transaction
   * (nothing of it commits on an error) and counts its successes once per campaign at its end; successes its
   * campaign's target has no room for then answer sold_out, as a single call that lost the last slot does.
   * It fails as a whole: on an error the caller may simply run each request again with `redeem`/`claim`
   * (idempotent). PostgreSQL bounds a batch's lock waits (50 ms) and fails it rather than wait longer.
   */
  processMany(requests: readonly AttemptRequest[]): Promise<AttemptResult[]>;
  /**
   * Records a refusal decided outside the store (no code, quota or counter is touched). Idempotent by attemptId: if
   * the attempt already has a recorded result (a redelivery of one that was redeemed, refused, ...), that result is
   * returned and nothing changes. Throws `StoreError('invalid_request')` for a success outcome.
   */
  refuse(request: RefusalRequest): Promise<AttemptResult>;
  /**
   * The recorded result of an attempt, or null if it never finished. `rolledBackAt` is set once an operator rolled
   * its code back (`codes.rollback`): the record keeps what the attempt got, but it no longer holds that code.
   */
  getAttempt(attemptId: string): Promise<AttemptResult | null>;
  /** How many attempts ended with each outcome. */
  outcomeCounts(campaignId: string): Promise<Partial<Record<AttemptResult['outcome'], number>>>;
}

/** One line of the audit trail (declared in core: the admin API's clients receive it too). */
export type { AuditEntry } from '@dropgate/core';

export interface NewAuditEntry {
  actor: string;
  action: string;
  campaignId?: string | null | undefined;
  customerId?: string | null | undefined;
  code?: string | null | undefined;
  details?: Record<string, unknown> | null | undefined;
}

export interface AuditQuery {
  campaignId?: string | undefined;
  customerId?: string | undefined;
  code?: string | undefined;
  /** Keyset pagination: the `next` cursor of the previous page (entries strictly older than its last one). */
  after?: string | undefined;
  limit: number;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Cursor of the next (older) page, or null when this page is the last. */
  next: string | null;
}

/**
 * The audit trail. Admin actions are recorded here; redemption outcomes are NOT written twice: every adapter reads
 * them from its attempt records, so the redemption hot path costs nothing more. `query` returns both, newest first.
 */
export interface AuditLog {
  record(entry: NewAuditEntry): Promise<AuditEntry>;
  /** Throws `StoreError('invalid_request')` for a cursor this adapter did not make. */
  query(query: AuditQuery): Promise<AuditPage>;
}
