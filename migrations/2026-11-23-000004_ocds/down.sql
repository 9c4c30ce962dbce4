DROP FUNCTION IF EXISTS ggzy_auction_buyer(uuid);
REVOKE SELECT (owner_org_id, agency_org_id) ON projects FROM ggzy_public;
DROP INDEX IF EXISTS outbox_public_subject_idx;
DROP VIEW IF EXISTS ocds_public_entries;
