-- OCDS 1.1 releases and records (issue 6): the public plane serves them from the sequenced
-- public log entries, so it reads those entries through a view and nothing else of the outbox.

-- Public log entries (outbox rows of kind 'public') with the sequencer's number. The number is
-- written in commit order and appears only together with every smaller one (DESIGN.md §8), so a
-- crawler paging by it with `after=` never misses an entry. A security barrier keeps the other
-- kinds (events, mail) out of reach of anything the public role could put in a query.
CREATE VIEW ocds_public_entries WITH (security_barrier) AS
    SELECT s.seq, o.created_at, o.topic, o.subject_type, o.subject_id, o.payload
    FROM outbox_seq s JOIN outbox o ON o.id = s.outbox_id
    WHERE o.kind = 'public';
COMMENT ON VIEW ocds_public_entries IS 'plane:sequencer';
GRANT SELECT ON ocds_public_entries TO ggzy_public;

-- A record is looked up by its procedure; the feed pages by seq (outbox_seq's primary key).
CREATE INDEX outbox_public_subject_idx ON outbox (subject_id) WHERE kind = 'public';

-- A notice names the tenderer (招标人/采购人/出让人) and its agency (招标代理机构): the release's
-- buyer and procuring entity. Nothing else of projects is added for the public role.
GRANT SELECT (owner_org_id, agency_org_id) ON projects TO ggzy_public;

-- The buyer of a sold lot (竞得人/受让方), published with the result (GET /auctions/{id}/result):
-- the public role has no grant on registrations (they link anonymous numbers to bidders), so it
-- gets the name and code of the winner of a closed, sold lot alone, and nothing before the close.
CREATE FUNCTION ggzy_auction_buyer(lot uuid, OUT name text, OUT code text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT o.name, o.code
    FROM auctions a
    JOIN auction_registrations r ON r.id = a.leader_registration
    JOIN orgs o ON o.id = r.org_id
    WHERE a.id = lot AND a.stage = 'closed' AND a.result = 'sold'
$$;
REVOKE EXECUTE ON FUNCTION ggzy_auction_buyer(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ggzy_auction_buyer(uuid) TO ggzy_public;
