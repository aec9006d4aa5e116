import { randomUUID } from 'node:crypto';
import {
  canChangeCampaignStatus,
  validateNewCampaign,
  type Campaign,
  type CampaignPatch,
  type CampaignStatus,
  type NewCampaign,
  type StopReason,
} from '@dropgate/core';
import { StoreError, type CampaignRepository } from '@dropgate/store';
import { isDuplicateKeyError } from './mongo-errors';
import { toCampaign, type CampaignDoc, type Models } from './models';

const PATCHABLE = ['name', 'startsAt', 'endsAt', 'perCustomerLimit', 'target', 'redeemRequiresPublication', 'tiers'] as const;

export class MongoCampaignRepository implements CampaignRepository {
  constructor(private readonly models: Models) {}

  async create(input: NewCampaign): Promise<Campaign> {
    validateNewCampaign(input);
    const now = new Date();
    const doc: CampaignDoc = {
      _id: input.id ?? randomUUID(),
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
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.models.campaigns.create(doc);
    } catch (err) {
      if (isDuplicateKeyError(err)) throw new StoreError('campaign_exists', `campaign ${doc._id} already exists`);
      throw err;
    }
    return toCampaign(doc);
  }

  async get(id: string): Promise<Campaign | null> {
    const doc = await this.models.campaigns.findById(id).lean<CampaignDoc>();
    return doc ? toCampaign(doc) : null;
  }

  async list(): Promise<Campaign[]> {
    const docs = await this.models.campaigns.find().sort({ createdAt: 1, _id: 1 }).lean<CampaignDoc[]>();
    return docs.map(toCampaign);
  }

  async update(id: string, patch: CampaignPatch): Promise<Campaign> {
    const current = await this.get(id);
    if (!current) throw new StoreError('campaign_not_found', `campaign ${id} not found`);
    const set: Record<string, unknown> = {};
    for (const key of PATCHABLE) if (patch[key] !== undefined) set[key] = patch[key];
    // The merged campaign must still satisfy the creation invariants (limits, tiers, window).
    validateNewCampaign({ ...current, ...set } as NewCampaign);
    // Only the patched fields are written: counters and status moved by workers meanwhile are not overwritten.
    const doc = await this.models.campaigns
      .findOneAndUpdate({ _id: id }, { $set: { ...set, updatedAt: new Date() } }, { returnDocument: 'after' })
      .lean<CampaignDoc>();
    if (!doc) throw new StoreError('campaign_not_found', `campaign ${id} not found`);
    return toCampaign(doc);
  }

  async setStatus(id: string, status: CampaignStatus, reason?: StopReason): Promise<Campaign> {
    // Compare-and-set on the status we checked, so a concurrent move (e.g. target_reached) is never overwritten blindly.
    for (let attempt = 0; attempt < 10; attempt++) {
      const current = await this.models.campaigns.findById(id).lean<CampaignDoc>();
      if (!current) throw new StoreError('campaign_not_found', `campaign ${id} not found`);
      if (!canChangeCampaignStatus(current.status, status))
        throw new StoreError('invalid_status_transition', `campaign ${id} cannot move from ${current.status} to ${status}`);
      const stopReason: StopReason | null = status === 'stopped' ? (reason ?? 'manual') : null;
      const doc = await this.models.campaigns
        .findOneAndUpdate({ _id: id, status: current.status }, { $set: { status, stopReason, updatedAt: new Date() } }, { returnDocument: 'after' })
        .lean<CampaignDoc>();
      if (doc) return toCampaign(doc);
    }
    throw new Error(`campaign ${id}: status kept changing, giving up`);
  }
}
