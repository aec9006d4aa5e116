import { generateCodeBatches } from '@dropgate/core';
import type { AdminJobProgress, GenerateCodesJob, GenerateCodesResult } from '@dropgate/queue';
import type { Store } from '@dropgate/store';

/** Codes per store call: one transaction each (PostgreSQL: one `INSERT ... SELECT unnest(...)`). */
export const GENERATION_BATCH = 10_000;
/** Store calls in flight at once: the next batch is generated and sent while the database writes the previous one. */
const IN_FLIGHT = 2;

export interface GenerationHooks {
  /** Called after every batch: report progress (and the resume point) somewhere durable, e.g. `job.updateProgress`. */
  onProgress?: ((progress: AdminJobProgress) => Promise<void> | void) | undefined;
  /** Where an earlier run of the same job got to (codes inserted per tier). */
  resume?: Record<string, number> | undefined;
  /** Invalidate the code filter, announce the change... (after the codes are in, before any activation). */
  onCodesChanged?: ((campaignId: string) => Promise<void>) | undefined;
  /** Has a cancel been asked for? Looked at before each batch is sent. */
  cancelRequested?: (() => Promise<boolean>) | undefined;
}

/**
 * Fills each tier with `count` fresh random codes in batches. Uniqueness is the database's: a random code that
 * collides with a stored one (of an earlier run or of this one) comes back as a duplicate and is replaced by a new
 * random one, never dropped, so the tier gets exactly `count` new codes. Nothing here remembers the codes sent:
 * memory is bounded by the batches in flight (IN_FLIGHT × GENERATION_BATCH codes), not by `count`.
 * Resumable: a retried job continues from `hooks.resume` (at worst one batch's progress report was lost, so a
 * crash can leave up to one batch more than asked in a tier — never fewer, never a duplicate).
 * Activates the campaign at the end when the job asks (a campaign never goes live half-filled). A cancel stops it
 * at a batch boundary: what it wrote stays (counted in `inserted`), the campaign is not activated.
 */
export async function runGenerateCodes(store: Store, job: GenerateCodesJob, hooks: GenerationHooks = {}): Promise<GenerateCodesResult> {
  const campaign = await store.campaigns.get(job.campaignId);
  if (!campaign) throw new Error(`campaign ${job.campaignId} does not exist`);
  const total = job.tiers.reduce((n, t) => n + t.count, 0);
  const perTier: Record<string, number> = { ...(hooks.resume ?? {}) };
  let done = Object.values(perTier).reduce((n, v) => n + v, 0);
  let regenerated = 0;
  let cancelled = false;
  const cancelRequested = hooks.cancelRequested ?? (() => Promise.resolve(false));

  tiers: for (const { tier, count } of job.tiers) {
    let missing = count - (perTier[tier] ?? 0);
    while (missing > 0) {
      const inFlight = new Set<Promise<void>>();
      for (const batch of generateCodeBatches(campaign.codeSpec, missing, GENERATION_BATCH)) {
        // A batch boundary: the batches in flight finish (each one transaction), none is sent after them.
        if (await cancelRequested()) {
          cancelled = true;
          await Promise.all(inFlight);
          break tiers;
        }
        const write = store.codes.insert(campaign.id, batch.map((code) => ({ code, tier }))).then(async (result) => {
          perTier[tier] = (perTier[tier] ?? 0) + result.inserted;
          done += result.inserted;
          missing -= result.inserted;
          regenerated += result.duplicates.length;
          await hooks.onProgress?.({ done, total, resume: { ...perTier } });
        });
        inFlight.add(write);
        void write.finally(() => inFlight.delete(write)).catch(() => undefined);
        if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    }
  }
  // Codes written before a cancel are codes of the campaign like any others: in its filter too.
  if (hooks.onCodesChanged && (!cancelled || done > 0)) await hooks.onCodesChanged(campaign.id);
  if (cancelled) return { inserted: done, regenerated, activated: false, cancelled: true };
  let activated = false;
  if (job.activate) {
    const now = await store.campaigns.get(campaign.id);
    if (now?.status === 'draft') {
      await store.campaigns.setStatus(campaign.id, 'active');
      activated = true;
    }
  }
  return { inserted: done, regenerated, activated };
}
