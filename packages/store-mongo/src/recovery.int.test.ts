import { randomBytes } from 'node:crypto';
import mongoose, { type Connection } from 'mongoose';
import { generateCodes, resolveCodeSpec } from '@dropgate/core';
import { createMongoStore, type MongoStore } from './index';

/**
 * Crash windows of the MongoDB adapter, set up by writing the state a killed worker leaves behind straight into
 * the collections. Runs only with MONGO_URL (like the contract suite); written without a server at hand, so
 * treat a first failure here as a test to check as much as the adapter.
 */
const url = process.env.MONGO_URL;
const maybe = url ? describe : describe.skip;
const NOW = new Date('2026-06-01T12:00:00Z');
const LONG_AGO = new Date(Date.now() - 3_600_000);

maybe('mongo recovery of dead work', () => {
  const dbName = `dropgate_recovery_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  let store: MongoStore;
  let conn: Connection;
  beforeAll(async () => {
    store = createMongoStore({ url: url!, dbName, staleAttemptMs: 60_000 });
    await store.migrate();
    conn = await mongoose.createConnection(url!, { dbName }).asPromise();
  });
  afterAll(async () => {
    await store?.close();
    await conn?.dropDatabase();
    await conn?.close();
  });

  async function campaignWith(n: number, target: number | null = null) {
    const codeSpec = resolveCodeSpec({ length: 10, prefix: 'RC-' });
    const campaign = await store.campaigns.create({ name: 'recovery', status: 'active', tiers: [{ name: 'standard', reward: 'x' }], perCustomerLimit: 1, target, codeSpec });
    const codes = generateCodes(codeSpec, n);
    await store.codes.insert(campaign.id, codes.map((code) => ({ code, tier: 'standard' })));
    return { campaign, codes };
  }
  /** A dead attempt: W1 (and optionally W2 quota, W3 code) written, lease run out long ago. */
  async function deadAttempt(campaignId: string, customerId: string, opts: { code?: string; quota?: boolean } = {}) {
    const attemptId = `att_dead_${randomBytes(6).toString('hex')}`;
    await conn.collection('attempts').insertOne({
      _id: attemptId as never, kind: 'claim', campaignId, customerId, outcome: null, code: null, tier: null, reward: null,
      finishedAt: null, leaseOwner: 'dead', leaseUntil: LONG_AGO, counted: false, requestedAt: NOW,
    });
    if (opts.quota) await conn.collection('customer_quotas').updateOne({ _id: `${campaignId}|campaign|${customerId}` as never }, { $push: { holders: attemptId } as never }, { upsert: true });
    if (opts.code)
      await conn.collection('codes').updateOne({ campaignId, code: opts.code }, { $set: { state: 'redeemed', customerId, attemptId, redeemedAt: NOW } });
    return attemptId;
  }

  it('the sweeper finishes an attempt that holds a code and undoes one that holds only quota', async () => {
    const { campaign, codes } = await campaignWith(3);
    const holding = await deadAttempt(campaign.id, 'h', { quota: true, code: codes[0]! });
    const empty = await deadAttempt(campaign.id, 'e', { quota: true });
    const report = await store.recoverStaleAttempts(new Date(Date.now() - 60_000));
    expect(report).toMatchObject({ finished: 1, undone: 1 });
    expect(await store.redemptions.getAttempt(holding)).toMatchObject({ outcome: 'claimed', code: codes[0], finishedAt: NOW });
    expect(await store.redemptions.getAttempt(empty)).toMatchObject({ outcome: 'sold_out', code: null });
    expect((await store.campaigns.get(campaign.id))!.redeemedCount).toBe(1);
    // e's quota unit is free again: e can claim.
    expect((await store.redemptions.claim({ attemptId: `att_e_${randomBytes(4).toString('hex')}`, campaignId: campaign.id, customerId: 'e', now: NOW })).outcome).toBe('claimed');
    expect(await store.recoverStaleAttempts(new Date())).toMatchObject({ finished: 0, undone: 0 });
  });

  it('a redelivery of a stale attempt settles it like the sweeper; a kill between W4 and W5 is not counted twice', async () => {
    const { campaign, codes } = await campaignWith(3);
    const id = await deadAttempt(campaign.id, 'k', { quota: true, code: codes[1]! });
    // W4 done (counted in the campaign's window), W5 marker not written.
    await conn.collection('campaigns').updateOne({ _id: campaign.id as never }, { $inc: { redeemedCount: 1 }, $push: { countedRecent: id } as never });
    const r = await store.redemptions.claim({ attemptId: id, campaignId: campaign.id, customerId: 'k', now: new Date(NOW.getTime() + 1000) });
    expect(r).toMatchObject({ outcome: 'claimed', code: codes[1], finishedAt: NOW });
    expect((await store.campaigns.get(campaign.id))!.redeemedCount).toBe(1);
  });

  it('a rollback killed after its code write is finished by calling it again', async () => {
    const { campaign, codes } = await campaignWith(3);
    const r = await store.redemptions.claim({ attemptId: `att_rb_${randomBytes(4).toString('hex')}`, campaignId: campaign.id, customerId: 'rb', now: NOW });
    // R1 only: the code moved and marked, quota and counter not yet given back.
    await conn.collection('codes').updateOne(
      { campaignId: campaign.id, code: r.code },
      { $set: { state: 'available', customerId: null, attemptId: null, redeemedAt: null, rollbackOf: { attemptId: r.attemptId, customerId: 'rb', tier: 'standard', at: LONG_AGO } } },
    );
    expect(await store.codes.rollback({ campaignId: campaign.id, code: r.code!, to: 'available', now: NOW })).toBe(false);
    expect((await store.campaigns.get(campaign.id))!.redeemedCount).toBe(0);
    expect((await store.redemptions.claim({ attemptId: `att_rb2_${randomBytes(4).toString('hex')}`, campaignId: campaign.id, customerId: 'rb', now: NOW })).outcome).toBe('claimed');
    expect(codes).toContain(r.code);
  });

  it('the update shape W4 uses counts an attempt id once (server semantics of $ne + $push/$each/$slice)', async () => {
    const { campaign } = await campaignWith(1, 5);
    const id = 'att_idem_0001';
    for (let i = 0; i < 3; i++) {
      await conn.collection('campaigns').updateOne(
        { _id: campaign.id as never, countedRecent: { $ne: id } },
        { $inc: { redeemedCount: 1 }, $push: { countedRecent: { $each: [id], $slice: -1000 } } as never },
      );
    }
    expect((await store.campaigns.get(campaign.id))!.redeemedCount).toBe(1);
  });
});
