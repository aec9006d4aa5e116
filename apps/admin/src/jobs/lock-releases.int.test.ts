import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createLockReleaseQueue, LOCK_SWEEP_SCHEDULER_ID } from '@dropgate/queue';
import { LocksPartlyReleasedError, type Store } from '@dropgate/store';
import type { ChangeEvent } from '@dropgate/changes';
import { startTempStore, type TempStore } from '../../test/admin-harness';
import { deleteKeysByPrefix, TEST_REDIS_URL, waitFor } from '@dropgate/testkit';
import { LOCK_RELEASE_ACTOR, LockReleases } from './lock-releases';

/** The lock-release jobs on real Redis (BullMQ) and PostgreSQL: delayed job, sweep at start, the scheduler. */

const PREFIX = `dglr${randomBytes(4).toString('hex')}`;
let store: TempStore;
const connections: Redis[] = [];
const redis = (): Redis => {
  const r = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  connections.push(r);
  return r;
};
const published: ChangeEvent[] = [];
const errors: unknown[] = [];

function lockReleases(over: Store = store): LockReleases {
  return new LockReleases({
    queue: createLockReleaseQueue(redis(), PREFIX),
    workerConnection: redis(),
    prefix: PREFIX,
    store: over,
    changes: { publish: (e) => (published.push(e), Promise.resolve({ receivers: 0, applied: 0 })) },
    sweepEveryMs: 60_000,
    onError: (err) => errors.push(err),
  });
}

async function campaignWithCodes(n: number): Promise<{ id: string; codes: string[] }> {
  const c = await store.campaigns.create({ name: 'locks', tiers: [{ name: 'standard', reward: 'x' }], perCustomerLimit: 1, codeSpec: { length: 10, charset: 'ABCDEFGHJKMNPQRSTUVWXYZ23456789', pattern: null, prefix: '', suffix: '' }, status: 'active' });
  const codes = Array.from({ length: n }, (_, i) => `LR${randomBytes(3).toString('hex').toUpperCase()}${i}`);
  await store.codes.insert(c.id, codes.map((code) => ({ code, tier: 'standard' })));
  return { id: c.id, codes };
}

beforeAll(async () => {
  store = await startTempStore('lock-release-test');
});

afterAll(async () => {
  await store?.drop();
  await Promise.all(connections.map((r) => r.quit()));
  await deleteKeysByPrefix(PREFIX);
});

describe('LockReleases', () => {
  it('releases due locks at start, then a lock at its release time through the delayed job, and keeps the sweep scheduled', async () => {
    const { id, codes } = await campaignWithCodes(4);
    // Already due before anything runs (everything was down at its time): the sweep at start releases it.
    await store.codes.lock({ campaignId: id, codes: [codes[0]!], releaseAt: new Date(Date.now() - 1000) });
    const releases = lockReleases();
    await releases.start();
    try {
      expect((await store.codes.get(id, codes[0]!))!.state).toBe('available');

      const releaseAt = new Date(Date.now() + 1500);
      await store.codes.lock({ campaignId: id, codes: codes.slice(1, 3), releaseAt, reason: 'held for the show' });
      const jobId = await releases.schedule(id, releaseAt);
      expect(jobId).toBe(`release-${id}-${releaseAt.getTime()}`);
      expect(await releases.schedule(id, releaseAt)).toBe(jobId); // same campaign and time: one job
      expect((await store.codes.get(id, codes[1]!))!.state).toBe('locked');
      await waitFor('the delayed job to release the locks', async () => ((await store.codes.counts(id)).standard!.locked === 0 ? true : undefined), 20_000, 100);
      expect((await store.codes.get(id, codes[2]!))!.state).toBe('available');
      await waitFor('the release to be published', () => (published.some((e) => e.campaignId === id && e.action === 'released') ? true : undefined));

      // Both releases are in the audit trail, by the scheduler, with the campaign, the tier, how many and why.
      const trail = await waitFor('the audit entries of both releases', async () => {
        const { entries } = await store.audit.query({ campaignId: id, limit: 10 });
        const released = entries.filter((e) => e.action === 'releaseDueLocks');
        return released.length === 2 ? released : undefined;
      });
      expect(trail.map(({ kind, actor, campaignId, details }) => ({ kind, actor, campaignId, details }))).toEqual([
        { kind: 'admin', actor: LOCK_RELEASE_ACTOR, campaignId: id, details: { tier: 'standard', released: 2, reason: 'held for the show' } },
        { kind: 'admin', actor: LOCK_RELEASE_ACTOR, campaignId: id, details: { tier: 'standard', released: 1, reason: null } },
      ]);
      expect(LOCK_RELEASE_ACTOR).toBe('scheduler');

      const schedulers = await createLockReleaseQueue(redis(), PREFIX).getJobSchedulers();
      expect(schedulers.map((s) => s.key)).toContain(LOCK_SWEEP_SCHEDULER_ID);
      expect(errors).toEqual([]);
    } finally {
      await releases.close();
    }
  });

  it('a sweep that released some locks and then failed (MongoDB chunks): reports those codes, then fails with the error', async () => {
    const { id, codes } = await campaignWithCodes(2);
    await store.codes.lock({ campaignId: id, codes, releaseAt: new Date(Date.now() - 1000), reason: 'partly' });
    const chunkFailure = new Error('chunk 2: WriteConflict, retries exhausted');
    // The real release, then the failure of a later chunk as MongoDB's adapter reports it.
    const partly: Store = {
      ...store,
      codes: {
        ...store.codes,
        releaseDueLocks: async (now) => {
          throw new LocksPartlyReleasedError(await store.codes.releaseDueLocks(now), chunkFailure);
        },
      },
    };
    const releases = lockReleases(partly);
    try {
      const failed = await releases.start().then(
        () => null,
        (err: unknown) => err,
      );
      expect(failed).toBeInstanceOf(LocksPartlyReleasedError);
      expect((failed as Error).cause).toBe(chunkFailure);
      // The codes released before the failure were reported like a full sweep's: audit trail and announcement.
      const { entries } = await store.audit.query({ campaignId: id, limit: 10 });
      expect(entries.filter((e) => e.action === 'releaseDueLocks').map((e) => e.details)).toEqual([{ tier: 'standard', released: 2, reason: 'partly' }]);
      expect(published.some((e) => e.campaignId === id && e.action === 'released')).toBe(true);
    } finally {
      await releases.close();
    }
  });
});
