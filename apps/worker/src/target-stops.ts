import type { ChangeSink } from '@dropgate/changes';
import type { Campaign } from '@dropgate/core';

export interface TargetStopsOptions {
  /** Reads a campaign as stored now. */
  campaign: (campaignId: string) => Promise<Campaign | null>;
  changes: ChangeSink;
  /** A success is checked at most this long after it; a burst of successes on one campaign costs one read. */
  checkAfterMs: number;
  onError: (err: unknown) => void;
}

/**
 * The store stops a campaign at its target inside the transaction of the success that reaches it, but only the
 * worker sees that success: this tells the intakes (a `campaign` `status` change) so they refuse at once rather
 * than at their next periodic reload. After a success, the campaign is read once the current burst settles (at
 * most one read per campaign per `checkAfterMs`); a campaign stopped by its target is announced, once per stop.
 */
export class TargetStops {
  private readonly pending = new Set<string>();
  /** Campaigns announced as stopped, until a later success shows them reopened. */
  private readonly announced = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly options: TargetStopsOptions) {}

  /** After a `redeemed` or `claimed` outcome; never throws, never delays the attempt. */
  noteSuccess(campaignId: string): void {
    if (this.pending.has(campaignId)) return;
    this.pending.add(campaignId);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.pending.delete(campaignId);
      this.check(campaignId).catch(this.options.onError);
    }, this.options.checkAfterMs);
    this.timers.add(timer);
  }

  /** Forgets the checks not run yet (shutdown). */
  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.pending.clear();
  }

  private async check(campaignId: string): Promise<void> {
    const campaign = await this.options.campaign(campaignId);
    if (!campaign || campaign.target === null) return;
    const stopped = campaign.status === 'stopped' && campaign.stopReason === 'target_reached';
    if (!stopped) {
      this.announced.delete(campaignId);
      return;
    }
    if (this.announced.has(campaignId)) return;
    this.announced.add(campaignId);
    await this.options.changes.publish({ kind: 'campaign', campaignId, action: 'status' });
  }
}
