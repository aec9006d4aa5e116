import {
  applyCampaignSettingsPatch,
  canChangeCampaignStatus,
  newCampaignSettings,
  newCampaignId,
  validateNewCampaign,
  type Campaign,
  type CampaignPatch,
  type CampaignStatus,
  type NewCampaign,
  type StopReason,
} from '@dropgate/core';
import { StoreError, type CampaignRepository, type FaultHook } from '@dropgate/store';
import type { Connection } from 'mongoose';
import { toCampaign, type CampaignCounterDoc, type CampaignDoc, type Models } from './models';
import { newShards, shardedCount, stopAtTarget, switchCounting } from './success-counter';
import { inTransaction, type Tx } from './transaction';

const PATCHABLE = ['name', 'startsAt', 'endsAt', 'perCustomerLimit', 'target', 'redeemRequiresPublication', 'tiers'] as const;
const notFound = (id: string): StoreError => new StoreError('campaign_not_found', `campaign ${id} not found`);

/** Campaigns: every write is one transaction, and reads are one snapshot (the document and its counter shards agree). */
export class MongoCampaignRepository implements CampaignRepository {
  constructor(
    private readonly conn: Connection,
    private readonly models: Models,
    private readonly faults: FaultHook | undefined,
  ) {}

  async create(input: NewCampaign): Promise<Campaign> {
    validateNewCampaign(input);
    const now = new Date();
    const doc: CampaignDoc = {
      _id: input.id ?? newCampaignId(),
      name: input.name,
      status: input.status ?? 'draft',
      startsAt: input.startsAt ?? null,
      endsAt: input.endsAt ?? null,
      tiers: input.tiers.map((t) => ({ name: t.name, reward: t.reward, ...(t.perCustomerLimit !== undefined ? { perCustomerLimit: t.perCustomerLimit } : {}) })),
      perCustomerLimit: input.perCustomerLimit,
      target: input.target ?? null,
      codeSpec: { ...input.codeSpec },
      redeemRequiresPublication: input.redeemRequiresPublication ?? false,
      redeemedCount: 0,
      stopReason: null,
      settings: newCampaignSettings(input.settings),
      createdAt: now,
      updatedAt: now,
    };
    // The campaign and all its counter shards exist together or not at all.
    await this.tx(doc._id, async (tx) => {
      if (await tx.findById(this.models.campaigns, doc._id)) throw new StoreError('campaign_exists', `campaign ${doc._id} already exists`);
      await tx.insert(this.models.campaigns, [doc]);
      await tx.insert(this.models.counters, newShards(doc._id, doc.target === null));
    });
    return toCampaign(doc, 0);
  }

  get(id: string): Promise<Campaign | null> {
    return this.tx(id, (tx) => this.read(tx, id));
  }

  list(): Promise<Campaign[]> {
    return this.tx('campaigns', async (tx) => {
      const docs = await tx.find(this.models.campaigns, {}, { sort: { createdAt: 1, _id: 1 } });
      const sums = await tx.aggregate<{ _id: string; n: number }, CampaignCounterDoc>(this.models.counters, [{ $group: { _id: '$campaignId', n: { $sum: '$n' } } }]);
      const sharded = new Map(sums.map((s) => [s._id, s.n]));
      return docs.map((d) => toCampaign(d, sharded.get(d._id) ?? 0));
    });
  }

  /**
   * Read, validate the merged campaign, write: one transaction, so two admins patching at once cannot combine into
   * a campaign neither validated (their writes conflict and one runs again). A target set or cleared switches how
   * successes are counted (success-counter.ts). A target at or below what is already counted is reached at once:
   * the campaign stops, as the counting would have stopped it.
   */
  update(id: string, patch: CampaignPatch): Promise<Campaign> {
    return this.tx(id, async (tx) => {
      const current = await this.read(tx, id);
      if (!current) throw notFound(id);
      const set: Record<string, unknown> = {};
      for (const key of PATCHABLE) if (patch[key] !== undefined) set[key] = patch[key];
      // The whole merged object is written: the transaction read `current`, so a concurrent patch conflicts and reruns.
      if (patch.settings !== undefined) set.settings = applyCampaignSettingsPatch(current.settings, patch.settings);
      const next: Campaign = { ...current, ...set };
      validateNewCampaign(next);
      await switchCounting(tx, this.models, id, current.target !== null, next.target !== null);
      const stop = stopAtTarget(next, current.redeemedCount);
      await tx.updateOne(this.models.campaigns, { _id: id }, { $set: { ...set, ...(stop ?? {}), updatedAt: new Date() } });
      return (await this.read(tx, id))!;
    });
  }

  /** Only from a status the lifecycle allows (checked on the document this transaction writes). */
  setStatus(id: string, status: CampaignStatus, reason?: StopReason): Promise<Campaign> {
    return this.tx(id, async (tx) => {
      const current = await tx.findById(this.models.campaigns, id);
      if (!current) throw notFound(id);
      if (!canChangeCampaignStatus(current.status, status))
        throw new StoreError('invalid_status_transition', `campaign ${id} cannot move from ${current.status} to ${status}`);
      // stopReason: set when stopping, cleared when running again, kept as history when ending (as PostgreSQL does).
      const stopReason = status === 'stopped' ? (reason ?? 'manual') : status === 'ended' ? (current.stopReason ?? null) : null;
      await tx.updateOne(this.models.campaigns, { _id: id }, { $set: { status, stopReason, updatedAt: new Date() } });
      return (await this.read(tx, id))!;
    });
  }

  private async read(tx: Tx, id: string): Promise<Campaign | null> {
    const doc = await tx.findById(this.models.campaigns, id);
    return doc ? toCampaign(doc, await shardedCount(tx, this.models, id)) : null;
  }

  private tx<T>(key: string, work: (tx: Tx) => Promise<T>): Promise<T> {
    return inTransaction(this.conn, this.faults, key, work);
  }
}
