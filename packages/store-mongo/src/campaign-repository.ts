import {
  canChangeCampaignStatus,
  validateNewCampaign,
  type Campaign,
  type CampaignPatch,
  type CampaignStatus,
  type NewCampaign,
  type StopReason,
  newCampaignId,
} from '@dropgate/core';
import { StoreError, type CampaignRepository } from '@dropgate/store';
import type { CampaignTarget } from './campaign-target';
import { isDuplicateKeyError } from './mongo-errors';
import { CAMPAIGN_FIELDS, toCampaign, type CampaignDoc, type Models } from './models';

const PATCHABLE = ['name', 'startsAt', 'endsAt', 'perCustomerLimit', 'target', 'redeemRequiresPublication', 'tiers'] as const;
/** Compare-and-set rounds of an admin write before giving up (each lost round means another admin write landed). */
const MAX_CAS_ROUNDS = 10;

export class MongoCampaignRepository implements CampaignRepository {
  constructor(
    private readonly models: Models,
    private readonly target: CampaignTarget,
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
      createdAt: now,
      updatedAt: now,
      rev: 0,
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
    const doc = await this.models.campaigns.findById(id, CAMPAIGN_FIELDS).lean<CampaignDoc>();
    return doc ? toCampaign(doc) : null;
  }

  async list(): Promise<Campaign[]> {
    const docs = await this.models.campaigns.find({}, CAMPAIGN_FIELDS).sort({ createdAt: 1, _id: 1 }).lean<CampaignDoc[]>();
    return docs.map(toCampaign);
  }

  /**
   * Read-validate-write as a compare-and-set on `rev` (bumped by every admin write), retried when another admin
   * write landed in between, so two patches can never combine into a campaign neither validated. Only the
   * patched fields are written: the counter moved by workers meanwhile is not overwritten (and does not bump
   * `rev`). A target at or below what is already counted is reached at once: the campaign (active or paused)
   * is stopped with `target_reached`, as the counting would have done — by the conditional stop on the live
   * counter, so a success counted between our read and our write is taken into account.
   */
  async update(id: string, patch: CampaignPatch): Promise<Campaign> {
    for (let round = 0; round < MAX_CAS_ROUNDS; round++) {
      const seen = await this.models.campaigns.findById(id, CAMPAIGN_FIELDS).lean<CampaignDoc>();
      if (!seen) throw new StoreError('campaign_not_found', `campaign ${id} not found`);
      const set: Record<string, unknown> = {};
      for (const key of PATCHABLE) if (patch[key] !== undefined) set[key] = patch[key];
      // The merged campaign must still satisfy the creation invariants (limits, tiers, window).
      validateNewCampaign({ ...toCampaign(seen), ...set });
      const doc = await this.models.campaigns
        .findOneAndUpdate({ _id: id, rev: seen.rev ?? null }, { $set: { ...set, updatedAt: new Date() }, $inc: { rev: 1 } }, { returnDocument: 'after', projection: CAMPAIGN_FIELDS })
        .lean<CampaignDoc>();
      if (!doc) continue; // another admin write (or a stop at target) landed since our read: validate again
      const stopped = doc.target != null ? await this.target.stopIfReached(id) : null;
      return toCampaign(stopped ?? doc);
    }
    throw new Error(`campaign ${id}: kept changing during update, giving up`);
  }

  async setStatus(id: string, status: CampaignStatus, reason?: StopReason): Promise<Campaign> {
    // Compare-and-set on the status we checked, so a concurrent move (e.g. target_reached) is never overwritten blindly.
    for (let attempt = 0; attempt < MAX_CAS_ROUNDS; attempt++) {
      const current = await this.models.campaigns.findById(id, CAMPAIGN_FIELDS).lean<CampaignDoc>();
      if (!current) throw new StoreError('campaign_not_found', `campaign ${id} not found`);
      if (!canChangeCampaignStatus(current.status, status))
        throw new StoreError('invalid_status_transition', `campaign ${id} cannot move from ${current.status} to ${status}`);
      // stopReason: set when stopping, cleared when running again, kept as history when ending (as PostgreSQL does).
      const stopReason: StopReason | null = status === 'stopped' ? (reason ?? 'manual') : status === 'ended' ? (current.stopReason ?? null) : null;
      const doc = await this.models.campaigns
        .findOneAndUpdate(
          { _id: id, status: current.status, stopReason: current.stopReason ?? null },
          { $set: { status, stopReason, updatedAt: new Date() }, $inc: { rev: 1 } },
          { returnDocument: 'after', projection: CAMPAIGN_FIELDS },
        )
        .lean<CampaignDoc>();
      if (doc) return toCampaign(doc);
    }
    throw new Error(`campaign ${id}: status kept changing, giving up`);
  }
}
