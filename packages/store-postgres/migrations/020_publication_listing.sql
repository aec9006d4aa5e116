-- GET /admin/v1/campaigns/:id/publications lists a campaign's publications, newest first.
CREATE INDEX IF NOT EXISTS publications_by_campaign_idx ON publications (campaign_id, created_at DESC, publication_id DESC);
