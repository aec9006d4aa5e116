import type { Campaign } from '@dropgate/core';

export interface CampaignSource {
  list(): Promise<Campaign[]>;
}

/**
 * The intake's view of campaigns: the whole list, reloaded every `ttlMs` in the background, so a request
 * never touches the database and a bot sending random campaign ids cannot make us query it either.
 */
export class CampaignCatalog {
  private byId = new Map<string, Campaign>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly source: CampaignSource,
    private readonly ttlMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch(this.onError);
    }, this.ttlMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async refresh(): Promise<void> {
    const campaigns = await this.source.list();
    this.byId = new Map(campaigns.map((c) => [c.id, c]));
  }

  get(id: string): Campaign | undefined {
    return this.byId.get(id);
  }
}
