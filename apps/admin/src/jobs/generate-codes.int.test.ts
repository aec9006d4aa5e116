import v8 from 'node:v8';
import vm from 'node:vm';
import { resolveCodeSpec } from '@dropgate/core';
import { startTempStore, type TempStore } from '../../test/admin-harness';
import { runGenerateCodes } from './generate-codes';

/** The generation job's body on a real PostgreSQL store: exact counts, resume after a crash, activation last. */

let store: TempStore;

beforeAll(async () => {
  store = await startTempStore('generate-test');
});

afterAll(async () => {
  await store?.drop();
});

async function draft(): Promise<string> {
  const c = await store.campaigns.create({
    name: 'gen',
    status: 'draft',
    tiers: [
      { name: 'standard', reward: 'x' },
      { name: 'premium', reward: 'y' },
    ],
    perCustomerLimit: 1,
    codeSpec: resolveCodeSpec({ length: 12 }),
  });
  return c.id;
}

const total = async (id: string, tier: string) => Object.values((await store.codes.counts(id))[tier] ?? {}).reduce((n, v) => n + v, 0);

it('fills each tier with exactly the codes asked for, reports progress up to the total, then activates', async () => {
  const id = await draft();
  const progress: number[] = [];
  const changed: string[] = [];
  const result = await runGenerateCodes(
    store,
    { campaignId: id, tiers: [{ tier: 'standard', count: 25_000 }, { tier: 'premium', count: 7 }], activate: true, requestedBy: 't' },
    { onProgress: (p) => void progress.push(p.done), onCodesChanged: (c) => Promise.resolve(void changed.push(c)) },
  );
  expect(result).toEqual({ inserted: 25_007, regenerated: 0, activated: true });
  expect(await total(id, 'standard')).toBe(25_000);
  expect(await total(id, 'premium')).toBe(7);
  expect(progress[progress.length - 1]).toBe(25_007);
  expect(changed).toEqual([id]);
  expect((await store.campaigns.get(id))?.status).toBe('active');
});

it('continues from its resume point after a crash instead of starting over', async () => {
  const id = await draft();
  // A first run that "crashed" after 12,000 standard codes (what its last progress report recorded).
  await runGenerateCodes(store, { campaignId: id, tiers: [{ tier: 'standard', count: 12_000 }], activate: false, requestedBy: 't' });
  const result = await runGenerateCodes(
    store,
    { campaignId: id, tiers: [{ tier: 'standard', count: 30_000 }, { tier: 'premium', count: 5 }], activate: true, requestedBy: 't' },
    { resume: { standard: 12_000 } },
  );
  expect(await total(id, 'standard')).toBe(30_000);
  expect(await total(id, 'premium')).toBe(5);
  expect(result.inserted).toBe(30_005);
  expect((await store.campaigns.get(id))?.status).toBe('active');
});

it('holds the batches in flight, not the codes it sent: the heap does not grow with the count', async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const id = await draft();
  const held: number[] = [];
  await runGenerateCodes(store, { campaignId: id, tiers: [{ tier: 'standard', count: 120_000 }], activate: false, requestedBy: 't' }, {
    onProgress: () => {
      gc();
      held.push(process.memoryUsage().heapUsed);
    },
  });
  expect(held).toHaveLength(12);
  // Every code sent remembered (Sets of them, as before: 7 MB more by the 11th batch) would grow with each batch;
  // the batches in flight are two 10,000-code arrays at every step (measured: within ±0.7 MB of the first).
  expect(Math.max(...held) - held[0]!).toBeLessThan(2 * 2 ** 20);
  expect(await total(id, 'standard')).toBe(120_000);
});

it('fails without writing for a campaign that does not exist', async () => {
  await expect(runGenerateCodes(store, { campaignId: 'missing', tiers: [{ tier: 'standard', count: 1 }], activate: false, requestedBy: 't' })).rejects.toThrow(/does not exist/);
});

it('stops at a batch boundary once cancelled: the batches written stay whole, in the filter, the campaign not activated', async () => {
  const id = await draft();
  const changed: string[] = [];
  let progressReports = 0;
  const result = await runGenerateCodes(
    store,
    { campaignId: id, tiers: [{ tier: 'standard', count: 45_000 }, { tier: 'premium', count: 10 }], activate: true, requestedBy: 't' },
    {
      onProgress: () => void progressReports++,
      onCodesChanged: (c) => Promise.resolve(void changed.push(c)),
      // Asked for once the first batch is in: the batch already in flight finishes, none is sent after it.
      cancelRequested: () => Promise.resolve(progressReports > 0),
    },
  );
  expect(result.cancelled).toBe(true);
  expect(result.activated).toBe(false);
  expect(result.inserted % 10_000).toBe(0);
  expect(result.inserted).toBeGreaterThanOrEqual(10_000);
  expect(result.inserted).toBeLessThan(45_000);
  expect(await total(id, 'standard')).toBe(result.inserted);
  expect(await total(id, 'premium')).toBe(0);
  expect(changed).toEqual([id]);
  expect((await store.campaigns.get(id))?.status).toBe('draft');
});

it('writes nothing when cancelled before it starts', async () => {
  const id = await draft();
  const changed: string[] = [];
  const result = await runGenerateCodes(
    store,
    { campaignId: id, tiers: [{ tier: 'standard', count: 5 }], activate: true, requestedBy: 't' },
    { cancelRequested: () => Promise.resolve(true), onCodesChanged: (c) => Promise.resolve(void changed.push(c)) },
  );
  expect(result).toEqual({ inserted: 0, regenerated: 0, activated: false, cancelled: true });
  expect(await total(id, 'standard')).toBe(0);
  expect(changed).toEqual([]);
});
