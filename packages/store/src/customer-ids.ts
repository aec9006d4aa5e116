import { normalizeCustomerId } from '@dropgate/core';

/**
 * The request with its customer id normalised (core's one rule): every adapter applies it on the way in, so "Alice",
 * "alice " and the full-width form count against one customer's limit whoever calls the store (worker, admin,
 * scripts). Returns the same object when nothing changes (the common case: the intake already normalised it).
 */
export function withNormalizedCustomer<T extends { customerId: string }>(req: T): T;
export function withNormalizedCustomer<T extends { customerId?: string | undefined }>(req: T): T;
export function withNormalizedCustomer<T extends { customerId?: string | undefined }>(req: T): T {
  if (req.customerId === undefined) return req;
  const customerId = normalizeCustomerId(req.customerId);
  return customerId === req.customerId ? req : { ...req, customerId };
}
