import { StoreClosedError } from '@dropgate/store';
import type { Connection } from 'mongoose';

/** Connections of closed stores. */
const closed = new WeakSet<Connection>();

/**
 * Closes a store's connection for good. `destroy`, not `close`: mongoose refuses to open a destroyed connection
 * again (a closed one would reopen at the next openUri, and the driver may reconnect a client under it), and
 * `force` makes an operation issued later fail at once instead of waiting (buffering) 10 s for a connection that
 * will never come. The driver ignores `force`: in-flight operations end as with `close`.
 */
export async function closeForGood(conn: Connection): Promise<void> {
  closed.add(conn);
  await conn.destroy(true);
}

/** Throws StoreClosedError once the store of `conn` was closed: where the store would open a connection or a session. */
export function assertNotClosed(conn: Connection): void {
  if (closed.has(conn)) throw new StoreClosedError('mongo');
}
