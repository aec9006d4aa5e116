import type { ChangeFeed } from '@dropgate/changes';
import type { CampaignCatalog } from './campaign-catalog';

/** The catalog follows the change feed: a campaign change reloads that campaign; after a reconnect, all of them. */
export function followChanges(feed: ChangeFeed, catalog: CampaignCatalog): void {
  feed.onChange((event) => (event.kind === 'campaign' ? catalog.reload(event.campaignId) : undefined));
  feed.onResync(() => catalog.refresh());
}
