import { isOutcome, isSuccessOutcome } from '@dropgate/core';
import { withNormalizedCustomer } from './customer-ids';
import type { RefusalRequest } from './store';
import { StoreError } from './store-error';

/** A refusal as both adapters record it: a known, non-success outcome, and the customer id normalised. */
export function checkedRefusal(request: RefusalRequest): RefusalRequest {
  if (!isOutcome(request.outcome) || isSuccessOutcome(request.outcome)) {
    throw new StoreError('invalid_request', `"${String(request.outcome)}" is not a refusal outcome`);
  }
  return withNormalizedCustomer(request);
}
