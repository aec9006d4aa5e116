import type { Redis } from 'ioredis';
import { waitFor } from '@dropgate/testkit';

/** The CLIENT LIST flags of the connection named `name` (CLIENT SETNAME), or undefined while it is not connected. */
async function clientFlags(admin: Redis, name: string): Promise<string | undefined> {
  const list = (await admin.client('LIST')) as string;
  const line = list.split('\n').find((l) => l.includes(` name=${name} `));
  return line?.match(/ flags=(\S+)/)?.[1];
}

/**
 * Stalls a reader blocked in XREAD on `streamKey` the way a stalled intake does: its socket is no longer read, its
 * pending read is answered (by an entry added here) and no next read is sent. Entries added from now on wait in the
 * stream until `resume`, so they can be trimmed away first.
 */
export async function stallReader(reader: Redis, admin: Redis, streamKey: string): Promise<{ resume: () => void }> {
  const name = reader.options.connectionName!;
  await waitFor(`${name} blocked in its read`, async () => ((await clientFlags(admin, name))?.includes('b') ? true : undefined), 5000, 10);
  reader.stream.pause();
  await admin.xadd(streamKey, '*', 'event', 'test-stall');
  await waitFor(`${name} answered`, async () => ((await clientFlags(admin, name))?.includes('b') ? undefined : true), 5000, 10);
  return { resume: () => void reader.stream.resume() };
}
