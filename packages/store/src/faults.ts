/**
 * Fault injection points of the store's write operations: the one list both adapters and the contract suite share.
 *
 * Each step names a write that has just been made INSIDE the operation's transaction (not committed yet), except
 * `.commit`: the transaction has committed and the caller has not had the answer yet (a crash there means the
 * caller never hears what the database recorded). A test makes a step fail (the operation throws, nothing of it
 * commits) or stall (it waits there, holding whatever it wrote, until released).
 *
 * Off in production: an adapter only calls a hook it was handed in code (`faults` option), which no configuration
 * variable can set, and PostgreSQL's functions carry the steps as comments that only the test harness turns into
 * calls (store-postgres/test/fault-points.ts). A store without a hook pays nothing.
 */
export const FAULT_STEPS = {
  /** Keyed by attempt id. `count` is absent inside a batch (a batch counts once for all, at `batch.count`). */
  redeem: ['quota', 'code', 'count', 'record', 'commit'],
  claim: ['quota', 'code', 'count', 'record', 'commit'],
  /** Keyed by the attempt id of the batch's FIRST request; its elements also pass their own redeem/claim steps. */
  batch: ['count', 'commit'],
  /** Keyed by publication id. */
  publish: ['record', 'codes', 'commit'],
  /** Keyed by the code. */
  rollback: ['code', 'quota', 'count', 'attempt', 'commit'],
} as const;

export type FaultOperation = keyof typeof FAULT_STEPS;
export type FaultStep = { [K in FaultOperation]: `${K}.${(typeof FAULT_STEPS)[K][number]}` }[FaultOperation];

export const ALL_FAULT_STEPS: readonly FaultStep[] = (Object.entries(FAULT_STEPS) as Array<[FaultOperation, readonly string[]]>).flatMap(
  ([operation, steps]) => steps.map((step) => `${operation}.${step}` as FaultStep),
);

/** The steps of one operation, in the order an operation passes them. */
export function faultSteps<K extends FaultOperation>(operation: K): FaultStep[] {
  return FAULT_STEPS[operation].map((step) => `${operation}.${step}` as FaultStep);
}

/** What an adapter calls, when it was handed one (tests only). */
export interface FaultHook {
  /**
   * At each step. May throw (the step fails, the operation's transaction is abandoned) or return a promise that
   * resolves later (the operation stalls there, its transaction open).
   */
  at(step: FaultStep, key: string): Promise<void> | void;
  /** The operation's transaction is run again after it met another one's uncommitted writes (MongoDB's retries). */
  retried?(key: string): void;
}

/** What an injected failure throws, so tests can tell it from a real one. */
export class InjectedFault extends Error {
  constructor(
    readonly step: FaultStep,
    readonly key: string,
  ) {
    super(`dropgate injected fault at ${step} (${key})`);
    this.name = 'InjectedFault';
  }
}
