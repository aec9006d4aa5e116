import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { AdminJobCancels, closeRedis, createAdminJobQueue, createRedis, UploadStaging, type AdminJobQueue } from '@dropgate/queue';
import type { Store } from '@dropgate/store';
import { createPostgresStore } from '@dropgate/store-postgres';
import { deleteKeysByPrefix, http, tempPgSchema, TEST_DATABASE_URL, TEST_REDIS_URL, type HttpInit, type HttpResult } from '@dropgate/testkit';
import { createAdminApp, type AdminDeps } from '../src/app';
import { startAdminJobsWorker, type AdminJobsWorker, type AdminJobsWorkerOptions } from '../src/jobs/admin-jobs-worker';

/** The admin jobs queue and its worker on the real Redis under a random key prefix (removed by `close`). */
export interface AdminJobsHarness {
  prefix: string;
  queue: AdminJobQueue;
  /** Where imports are staged (under `prefix`), for the app and the worker alike. */
  uploads: UploadStaging;
  /** Where cancels are asked for (under `prefix`), for the app and the worker alike. */
  cancels: AdminJobCancels;
  /** The 'client' connection the queue and the staging use. */
  redis: Redis;
  worker: AdminJobsWorker | null;
  close(): Promise<void>;
}

export async function startAdminJobs(
  store: Store,
  options: { worker?: boolean; onCodesChanged?: AdminJobsWorkerOptions['onCodesChanged']; importMaxBytes?: number } = {},
): Promise<AdminJobsHarness> {
  const prefix = `dgtadm${randomBytes(4).toString('hex')}`;
  const client: Redis = createRedis(TEST_REDIS_URL, 'client', 'admin-test');
  const queue = createAdminJobQueue(client, prefix);
  const uploads = new UploadStaging({ redis: client, prefix, maxBytes: options.importMaxBytes ?? 16 * 1024 * 1024 });
  const cancels = new AdminJobCancels(client, prefix);
  let workerConnection: Redis | null = null;
  let worker: AdminJobsWorker | null = null;
  if (options.worker !== false) {
    workerConnection = createRedis(TEST_REDIS_URL, 'worker', 'admin-jobs-test');
    const started = startAdminJobsWorker({ connection: workerConnection, prefix, store, uploads, cancels, onCodesChanged: options.onCodesChanged });
    await started.waitUntilReady();
    worker = started;
  }
  return {
    prefix,
    queue,
    uploads,
    cancels,
    redis: client,
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

/** Changes go nowhere unless the test gives a sink (these tests have no intake listening). */
const noChanges: AdminDeps['changes'] = { publish: () => Promise.resolve({ receivers: 0, applied: 0 }) };

type ListenDeps = Omit<AdminDeps, 'changes' | 'trustProxy' | 'bodyLimitBytes' | 'onUnexpected'> &
  Partial<Pick<AdminDeps, 'changes' | 'trustProxy' | 'bodyLimitBytes' | 'onUnexpected'>>;

/**
 * An admin app listening on a free port (closed with `close`). Defaults: no proxy trusted, 64 KiB JSON bodies, and
 * an unexpected error thrown (a test sees it rather than a 500 it did not look for).
 */
export async function listenAdmin(deps: ListenDeps): Promise<{ url: string; close(): Promise<void> }> {
  const rethrow = (err: unknown) => {
    throw err;
  };
  const app = createAdminApp({ trustProxy: false, bodyLimitBytes: 64 * 1024, onUnexpected: rethrow, ...deps, changes: deps.changes ?? noChanges });
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

/** A whole admin on real services: a PostgreSQL store in a schema of its own, the jobs queue (and worker), the app. */
export interface AdminHarness {
  store: Store;
  jobs: AdminJobsHarness;
  url: string;
  /** A request to `/admin/v1<path>` with `token` as the bearer token. */
  as(token: string, path: string, init?: HttpInit): Promise<HttpResult>;
  close(): Promise<void>;
}

export interface AdminHarnessOptions {
  /** Names the PostgreSQL connections (pg_stat_activity). */
  name: string;
  poolSize?: number | undefined;
  /** Run the admin jobs worker (default true). */
  worker?: boolean | undefined;
  /** Skip the migration (a test that reads no table). */
  migrate?: boolean | undefined;
  /** Largest import staged (bytes). */
  importMaxBytes?: number | undefined;
  /** The app's own dependencies (tokens, lock releases, changes, ...); store, jobs and uploads come from the harness. */
  app: Omit<ListenDeps, 'store' | 'jobs' | 'uploads' | 'jobCancels'>;
}

/** A PostgreSQL store in a schema of its own; `drop` closes it and drops the schema. */
export type TempStore = Store & { drop(): Promise<void> };

/** A `TempStore`, migrated unless told not to. */
export async function startTempStore(name: string, options: { poolSize?: number | undefined; migrate?: boolean | undefined } = {}): Promise<TempStore> {
  const schema = tempPgSchema('dg_t');
  const store = createPostgresStore({ connectionString: TEST_DATABASE_URL, schema: schema.name, poolSize: options.poolSize ?? 4, applicationName: `dropgate-${name}` });
  if (options.migrate !== false) await store.migrate();
  return Object.assign(store, {
    async drop() {
      await store.close();
      await schema.drop();
    },
  });
}

export async function startAdminHarness(options: AdminHarnessOptions): Promise<AdminHarness> {
  const store = await startTempStore(options.name, options);
  const jobs = await startAdminJobs(store, { worker: options.worker, importMaxBytes: options.importMaxBytes });
  const server = await listenAdmin({ store, jobs: jobs.queue, uploads: jobs.uploads, jobCancels: jobs.cancels, ...options.app });
  return {
    store,
    jobs,
    url: server.url,
    as: (token, path, init = {}) => http(server.url, `/admin/v1${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } }),
    async close() {
      await server.close();
      await jobs.close();
      await store.drop();
    },
  };
}
