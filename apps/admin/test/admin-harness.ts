import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { closeRedis, createAdminJobQueue, createRedis, type AdminJobQueue } from '@dropgate/queue';
import type { Store } from '@dropgate/store';
import { deleteKeysByPrefix, TEST_REDIS_URL } from '@dropgate/testkit';
import { createAdminApp, type AdminDeps } from '../src/app';
import { startAdminJobsWorker, type AdminJobsWorker } from '../src/jobs/admin-jobs-worker';

/** The admin jobs queue and its worker on the real Redis under a random key prefix (removed by `close`). */
export interface AdminJobsHarness {
  prefix: string;
  queue: AdminJobQueue;
  worker: AdminJobsWorker | null;
  close(): Promise<void>;
}

export async function startAdminJobs(
  store: Store,
  options: { worker?: boolean; onCodesChanged?: ((campaignId: string) => Promise<void>) | undefined } = {},
): Promise<AdminJobsHarness> {
  const prefix = `dgtadm${randomBytes(4).toString('hex')}`;
  const client: Redis = createRedis(TEST_REDIS_URL, 'client', 'admin-test');
  const queue = createAdminJobQueue(client, prefix);
  let workerConnection: Redis | null = null;
  let worker: AdminJobsWorker | null = null;
  if (options.worker !== false) {
    workerConnection = createRedis(TEST_REDIS_URL, 'worker', 'admin-jobs-test');
    const started = startAdminJobsWorker({ connection: workerConnection, prefix, store, onCodesChanged: options.onCodesChanged });
    await started.waitUntilReady();
    worker = started;
  }
  return {
    prefix,
    queue,
    worker,
    async close() {
      await worker?.close();
      await queue.close();
      if (workerConnection) await closeRedis(workerConnection);
      await closeRedis(client);
      await deleteKeysByPrefix(prefix);
    },
  };
}

/** An admin app listening on a free port (closed with `close`). */
/** Changes go nowhere unless the test gives a sink (these tests have no intake listening). */
const noChanges: AdminDeps['changes'] = { publish: () => Promise.resolve({ receivers: 0, applied: 0 }) };

export async function listenAdmin(deps: Omit<AdminDeps, 'changes'> & Partial<Pick<AdminDeps, 'changes'>>): Promise<{ url: string; close(): Promise<void> }> {
  const app = createAdminApp({ ...deps, changes: deps.changes ?? noChanges });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
