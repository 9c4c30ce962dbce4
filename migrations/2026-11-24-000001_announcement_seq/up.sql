-- Benchmarks (issue 7): the portal's announcement pages read the sequencer's number from the
-- announcement row itself. Before, every page joined `outbox_seq` and walked it in order: the
-- walk crossed every sequenced event of the platform (bids, receipts, live events) between two
-- announcements, so a page after a busy day cost thousands of index probes and the public pool
-- queued (issue 7, public reads). Now the number is copied onto the announcement when the
-- sequencer numbers its outbox row, and the pages walk an index of announcements only.
ALTER TABLE announcements ADD COLUMN seq bigint UNIQUE;
COMMENT ON COLUMN announcements.seq IS
    'outbox_seq.seq of the outbox row, copied when the sequencer numbers it; NULL until then';

UPDATE announcements a SET seq = s.seq FROM outbox_seq s WHERE s.outbox_id = a.outbox_id;

DROP INDEX announcements_category_idx;
CREATE INDEX announcements_category_idx ON announcements (category, seq);

-- Runs in the sequencer's numbering transaction (one statement per batch, whatever its size), so
-- an announcement gets its number in the same commit as its outbox row.
CREATE FUNCTION ggzy_announcement_seq() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE announcements a SET seq = n.seq FROM numbered n WHERE a.outbox_id = n.outbox_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER outbox_seq_announcement AFTER INSERT ON outbox_seq
    REFERENCING NEW TABLE AS numbered
    FOR EACH STATEMENT EXECUTE FUNCTION ggzy_announcement_seq();

REVOKE EXECUTE ON FUNCTION ggzy_announcement_seq() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ggzy_announcement_seq() TO ggzy_sequencer;
