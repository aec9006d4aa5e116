/** Errors the store raises for caller mistakes (not infrastructure failures, which surface as-is). */
export type StoreErrorCode =
  | 'campaign_not_found'
  | 'campaign_exists'
  | 'invalid_status_transition'
  | 'unknown_tier'
  | 'not_enough_codes'
  | 'publication_conflict'
  /** A malformed argument the API layer could not check (e.g. an audit cursor this store did not make). */
  | 'invalid_request';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code);
}
