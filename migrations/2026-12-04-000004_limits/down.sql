DROP FUNCTION IF EXISTS ggzy_social_view(uuid, text, uuid);
DROP FUNCTION IF EXISTS ggzy_social_may_view(uuid, text, uuid);
DROP FUNCTION IF EXISTS ggzy_purge_superseded(uuid, integer, uuid);
ALTER TABLE bid_submissions DROP CONSTRAINT IF EXISTS bid_submissions_envelope_kept;
ALTER TABLE bid_submissions DROP CONSTRAINT IF EXISTS bid_submissions_check;
-- purged rows cannot satisfy the old constraint: it comes back NOT VALID
ALTER TABLE bid_submissions ADD CONSTRAINT bid_submissions_check
    CHECK ((kind = 'bid') = (envelope IS NOT NULL AND envelope_sha256 IS NOT NULL
                             AND payload_sha256 IS NOT NULL)) NOT VALID;
ALTER TABLE bid_submissions DROP COLUMN IF EXISTS purged_at;
DROP TRIGGER IF EXISTS outbox_seq_event_subjects ON outbox_seq;
DROP FUNCTION IF EXISTS ggzy_event_subjects();
DROP VIEW IF EXISTS subject_events;
DROP TABLE IF EXISTS event_subjects;
