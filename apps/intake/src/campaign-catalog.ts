import type { Campaign } from '@dropgate/core';

export interface CampaignSource {
  list(): Promise<Campaign[]>;
  get(id: string): Promise<Campaign | null>;
}

/**
 * The intake's view of campaigns, so a request never touches the database and a bot sending random campaign ids
 * cannot make us query it either. Changes arrive at once through `reload(id)` (the change feed); the whole list is
 * also reloaded every `ttlMs` in the background, the fallback for a change whose event was lost.
 *
 * Loads may overlap (a full reload still running when an event's reload finishes): every load takes a ticket when it
 * starts, and a campaign only ever takes the state of a load that started later than the one it holds, so an older
 * read never overwrites a newer one.
 */
export class CampaignCatalog {
  private readonly byId = new Map<string, Campaign>();
  /** Ticket of the load each campaign's entry (or absence) comes from. */
  private readonly loadedBy = new Map<string, number>();
  private lastTicket = 0;
  private fullLoadTicket = 0;
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

  /** Reloads every campaign. */
  async refresh(): Promise<void> {
    const ticket = ++this.lastTicket;
    const campaigns = await this.source.list();
    const seen = new Set<string>();
    for (const c of campaigns) {
      seen.add(c.id);
      this.apply(c.id, c, ticket);
    }
    for (const id of [...this.byId.keys()]) if (!seen.has(id)) this.apply(id, null, ticket);
    this.fullLoadTicket = Math.max(this.fullLoadTicket, ticket);
  }

  /** Reloads one campaign (a change event named it). */
  async reload(id: string): Promise<void> {
    const ticket = ++this.lastTicket;
    this.apply(id, await this.source.get(id), ticket);
  }

  get(id: string): Campaign | undefined {
    return this.byId.get(id);
  }

  private apply(id: string, campaign: Campaign | null, ticket: number): void {
    const held = this.loadedBy.get(id) ?? this.fullLoadTicket;
    if (held > ticket) return;
    this.loadedBy.set(id, ticket);
    if (campaign) this.byId.set(id, campaign);
    else this.byId.delete(id);
  }
}
