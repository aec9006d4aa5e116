/**
 * An operation on a store after its `close()`: a closed store never opens its connections again (a late call from a
 * shutdown that is still draining must fail, not quietly reconnect). `waitForStore` does not retry it.
 */
export class StoreClosedError extends Error {
  constructor(storeName: string) {
    super(`the ${storeName} store is closed: it never opens its connections again (open a new store)`);
    this.name = 'StoreClosedError';
  }
}
