import { REPLICA_SET_NEEDED } from './setup-errors';

/** What `hello` says about the server (the fields we look at). */
export interface HelloReply {
  setName?: string;
  msg?: string;
  isWritablePrimary?: boolean;
}

/**
 * Why this deployment cannot run the store, or null when it can. Every operation of the store is a multi-document
 * transaction, and MongoDB has those only on a replica set (a single-node one is enough) or a sharded cluster. Pure.
 */
export function transactionSupportProblem(hello: HelloReply): string | null {
  if (hello.msg === 'isdbgrid' || hello.setName) return null;
  return REPLICA_SET_NEEDED;
}
