import type { FaultStep } from '../src/faults';
import type { Store } from '../src/store';

/**
 * How the contract suite reaches an adapter. `open()` returns a NEW store instance (its own pool or
 * connection) on the same isolated schema/database, so tests can run several "workers" at once. Every store it
 * opens has the harness's fault hook; the schema/database is migrated and ready for faults when `createHarness`
 * resolves.
 */
export interface StoreHarness {
  readonly name: 'postgres' | 'mongo';
  /** A new store; `tuning` sets what an adapter lets its constructor tune (an adapter ignores what it has no use for). */
  open(tuning?: StoreTuning): Promise<Store>;
  /** Fault injection into the stores this harness opens. */
  readonly faults: FaultControl;
  /**
   * Whether `processMany` may fail with this error under contention, in which case callers run the batch's
   * attempts one by one (PostgreSQL: a lock wait past the batch's bound, a deadlock). Anything else is a bug.
   */
  isContention(err: unknown): boolean;
  /** What the database itself holds for a campaign, read around the store port (raw queries). */
  integrity(campaignId: string): Promise<Integrity>;
  /** Closes what `open` made and drops the isolated schema/database. */
  teardown(): Promise<void>;
}

/** Adapter constructor options a contract test may set, to reach a behaviour with little data. */
export interface StoreTuning {
  /**
   * Codes per transaction of `releaseDueLocks` (MongoDB releases in chunks: a transaction has a lifetime and size
   * limit). PostgreSQL releases in one statement and ignores it.
   */
  releaseDueLocksChunk?: number | undefined;
}

/** Breaches of the store's invariants for one campaign, counted in the database: every one must be 0. */
export interface Integrity {
  /** An attempt holding two codes, a redeemed code whose attempt record names another code or no success, or a
   *  successful attempt (not rolled back) whose code is not held by it. */
  codesHeldTwice: number;
  /** Customers holding more redeemed codes than the campaign's (or a tier's) per-customer limit. */
  customersOverLimit: number;
  /** The campaign's redeemedCount minus the codes really redeemed. */
  counterDrift: number;
  /** Campaign-scope quota units not matching a held code, plus held codes without their unit. */
  quotaDrift: number;
  /** Attempt records without a final outcome. */
  unfinishedAttempts: number;
}

export const INTACT: Integrity = { codesHeldTwice: 0, customersOverLimit: 0, counterDrift: 0, quotaDrift: 0, unfinishedAttempts: 0 };

/** A stalled operation: it waits at its step, its transaction open, until released. */
export interface Stall {
  /** Resolves once an operation waits at the step. */
  readonly reached: Promise<void>;
  /** Lets it go on, or fail right there (its transaction is then abandoned). */
  release(then: 'continue' | 'fail'): Promise<void>;
}

/**
 * Faults for the contract suite (see packages/store/src/faults.ts). Keys: the attempt id (redeem, claim, and a
 * batch's first attempt for batch steps), the publication id (publish), the code (rollback).
 */
export interface FaultControl {
  /** Every operation reaching `step` for `key` fails there, until `clear()`. */
  fail(step: FaultStep, key: string): Promise<void>;
  /** The first operation reaching `step` for `key` stalls there (later ones pass) until released. */
  stall(step: FaultStep, key: string): Promise<Stall>;
  /**
   * Resolves once some operation of this harness's stores waits for another one's uncommitted writes
   * (PostgreSQL: a row-lock wait; MongoDB: a transaction run again after a write conflict).
   */
  waitingOnOthers(signal?: AbortSignal): Promise<void>;
  /** Disarms every fault; stalls not yet released go on. */
  clear(): Promise<void>;
}

export interface ContractOptions {
  name: StoreHarness['name'];
  createHarness: () => Promise<StoreHarness>;
  /** When set, the suite is registered as skipped (and says so loudly) instead of run. */
  skipReason?: string | undefined;
}
