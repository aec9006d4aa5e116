-- Audit log: every admin action (who = the admin token's name, what, when, on which campaign, details).
-- Redemption outcomes are NOT copied here: the attempts table already records each one (written by the worker's
-- transaction), and the audit query reads both, newest first. The hot path writes nothing more.
CREATE TABLE audit_log (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor       text COLLATE "C" NOT NULL,
  action      text COLLATE "C" NOT NULL,
  campaign_id text COLLATE "C",
  customer_id text COLLATE "C",
  code        text COLLATE "C",
  details     jsonb
);
-- Keyset pagination newest first, overall and per campaign.
CREATE INDEX audit_log_at_idx ON audit_log (at, id);
CREATE INDEX audit_log_campaign_at_idx ON audit_log (campaign_id, at, id);

-- The audit trail reads a campaign's attempts newest first. This index REPLACES attempts_campaign_idx (its prefix
-- serves every query that one served), so the hot path maintains no more indexes than before; finished_at and
-- attempt_id never change after the insert, so the attempt's in-transaction update stays HOT.
CREATE INDEX attempts_campaign_finished_idx ON attempts (campaign_id, finished_at, attempt_id);
DROP INDEX attempts_campaign_idx;
