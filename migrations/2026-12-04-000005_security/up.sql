-- Security (issue 13), findings 2 and 3.
--
-- Finding 2: ggzy_auction_reserve() trusted auctions.stage, which ggzy_execute may write, so
-- `BEGIN; UPDATE auctions SET stage = 'closed'; SELECT ggzy_auction_reserve(…); ROLLBACK;` read
-- the sealed reserve price (底价) of a live lot and left no trace. Now the close is a fact of its
-- own, recorded by a SECURITY DEFINER function into a table that no plane may write, and the
-- reserve is served only once that close has COMMITTED in an earlier transaction: reading the
-- reserve in the transaction that records the close (and rolling both back) is refused. A
-- recorded close freezes the lot (no bid, no price or leader change, no reopening), so the only
-- way to learn the reserve is to end the lot for good, in public (docs/SECURITY.md).

CREATE TABLE auction_closes (
    auction_id          uuid PRIMARY KEY REFERENCES auctions (id) ON DELETE RESTRICT,
    closed_at           timestamptz NOT NULL,
    -- the lot as it stood at the close: the result is judged on these, never on later writes
    final_price         numeric(18, 2),
    leader_registration uuid,
    bid_count           integer NOT NULL,
    -- the top-level transaction that recorded the close (pg_current_xact_id(), also inside a
    -- savepoint): the reserve is refused to that same transaction
    recorded_xact       xid8 NOT NULL,
    recorded_by         text NOT NULL,
    recorded_at         timestamptz NOT NULL DEFAULT clock_timestamp()
);
COMMENT ON TABLE auction_closes IS 'plane:core';
REVOKE ALL ON auction_closes FROM PUBLIC;
GRANT SELECT ON auction_closes TO ggzy_execute, ggzy_decide, ggzy_supervise, ggzy_public;

-- Records the close of a lot (called by the execute plane's engine in the transaction that sets
-- stage = 'closed'). Idempotent: a second call returns the first close's time.
CREATE FUNCTION ggzy_auction_close(lot uuid, at timestamptz) RETURNS timestamptz
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    a auctions%ROWTYPE;
    done timestamptz;
BEGIN
    SELECT c.closed_at INTO done FROM auction_closes c WHERE c.auction_id = lot;
    IF FOUND THEN
        RETURN done;
    END IF;
    SELECT * INTO a FROM auctions WHERE id = lot FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no such auction' USING ERRCODE = 'P0001', HINT = 'ggzy:not_found';
    END IF;
    IF a.stage IS DISTINCT FROM 'closed' OR NOT a.published THEN
        RAISE EXCEPTION 'only a published lot marked closed can be recorded as closed'
            USING ERRCODE = 'P0001', HINT = 'ggzy:invalid_state';
    END IF;
    -- the close cannot be dated in the future of the platform clock
    IF at > ggzy_now() THEN
        RAISE EXCEPTION 'a close cannot be recorded before its time'
            USING ERRCODE = 'P0001', HINT = 'ggzy:invalid_state';
    END IF;
    INSERT INTO auction_closes (auction_id, closed_at, final_price, leader_registration,
        bid_count, recorded_xact, recorded_by)
    VALUES (lot, at, a.current_price, a.leader_registration, a.bid_count,
        pg_current_xact_id(), session_user);
    RETURN at;
END
$$;
REVOKE EXECUTE ON FUNCTION ggzy_auction_close(uuid, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ggzy_auction_close(uuid, timestamptz) TO ggzy_execute;

-- The sealed reserve price: only after a close committed in an earlier transaction.
CREATE OR REPLACE FUNCTION ggzy_auction_reserve(lot uuid) RETURNS numeric
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    xact xid8;
    amount numeric;
BEGIN
    SELECT c.recorded_xact INTO xact FROM auction_closes c WHERE c.auction_id = lot;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the reserve price is sealed until the auction is closed'
            USING ERRCODE = 'P0001', HINT = 'ggzy:reserve_sealed';
    END IF;
    -- a close this very transaction recorded is not a close yet: it could still roll back
    IF xact = pg_current_xact_id_if_assigned() THEN
        RAISE EXCEPTION 'the reserve price is revealed only after the close is committed'
            USING ERRCODE = 'P0001', HINT = 'ggzy:reserve_sealed';
    END IF;
    SELECT r.amount INTO amount FROM auction_reserve_prices r WHERE r.auction_id = lot;
    RETURN amount;
END
$$;
REVOKE EXECUTE ON FUNCTION ggzy_auction_reserve(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ggzy_auction_reserve(uuid) TO ggzy_execute, ggzy_public, ggzy_supervise;

-- The buyer's name is published on the same committed fact.
CREATE OR REPLACE FUNCTION ggzy_auction_buyer(lot uuid, OUT name text, OUT code text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT o.name, o.code
    FROM auctions a
    JOIN auction_closes c ON c.auction_id = a.id
    JOIN auction_registrations r ON r.id = c.leader_registration
    JOIN orgs o ON o.id = r.org_id
    WHERE a.id = lot AND a.result = 'sold'
      AND c.recorded_xact IS DISTINCT FROM pg_current_xact_id_if_assigned()
$$;
REVOKE EXECUTE ON FUNCTION ggzy_auction_buyer(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ggzy_auction_buyer(uuid) TO ggzy_public;

-- A recorded close freezes the lot: no bid after it, no change of its price, leader or count,
-- no stage other than closed. (A superuser can still disable triggers; that is outside the
-- planes' threat model and shows in the audit chain.)
CREATE FUNCTION ggzy_auction_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'auction_bids' THEN
        IF EXISTS (SELECT 1 FROM auction_closes c WHERE c.auction_id = NEW.auction_id) THEN
            RAISE EXCEPTION 'the auction is closed' USING ERRCODE = 'P0001', HINT = 'ggzy:auction_closed';
        END IF;
        RETURN NEW;
    END IF;
    IF EXISTS (SELECT 1 FROM auction_closes c WHERE c.auction_id = NEW.id) AND (
        NEW.stage IS DISTINCT FROM 'closed'
        OR NEW.current_price IS DISTINCT FROM OLD.current_price
        OR NEW.leader_registration IS DISTINCT FROM OLD.leader_registration
        OR NEW.bid_count IS DISTINCT FROM OLD.bid_count
        OR NEW.closed_at IS DISTINCT FROM OLD.closed_at) THEN
        RAISE EXCEPTION 'a closed auction cannot change' USING ERRCODE = 'P0001', HINT = 'ggzy:auction_closed';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER auction_bids_frozen BEFORE INSERT ON auction_bids
    FOR EACH ROW EXECUTE FUNCTION ggzy_auction_frozen();
CREATE TRIGGER auctions_frozen BEFORE UPDATE ON auctions
    FOR EACH ROW EXECUTE FUNCTION ggzy_auction_frozen();

-- Lots closed before this migration: their close is taken as recorded (by the migration).
INSERT INTO auction_closes (auction_id, closed_at, final_price, leader_registration, bid_count,
    recorded_xact, recorded_by)
SELECT id, coalesce(closed_at, ggzy_now()), current_price, leader_registration, bid_count,
    pg_current_xact_id(), 'migration'
FROM auctions WHERE stage = 'closed';

-- Finding 3: ggzy_public could SELECT bid_submissions (org, tender, time, number), so a join listed
-- every bidder of an open tender. The public reads a receipt by its id alone, through a function.
REVOKE SELECT ON bid_submissions FROM ggzy_public;
CREATE FUNCTION ggzy_receipt(submission uuid) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT s.receipt FROM bid_submissions s WHERE s.id = submission
$$;
REVOKE EXECUTE ON FUNCTION ggzy_receipt(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ggzy_receipt(uuid) TO ggzy_public;

-- The public role's grants on tenders and tender files cover drafts too: the routes filter them
-- out, but the grant layer should protect them as well (the same lesson as bid_submissions). Row-
-- level security lets the public role see a tender once it is published, and a file once its
-- tender is; the planes see every row (their own route checks apply), the owner bypasses RLS.
ALTER TABLE tenders ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenders_planes ON tenders
    TO ggzy_identity, ggzy_decide, ggzy_execute, ggzy_supervise, ggzy_sequencer
    USING (true) WITH CHECK (true);
CREATE POLICY tenders_published_to_public ON tenders FOR SELECT TO ggzy_public
    USING (published_at IS NOT NULL);
ALTER TABLE tender_files ENABLE ROW LEVEL SECURITY;
CREATE POLICY tender_files_planes ON tender_files
    TO ggzy_identity, ggzy_decide, ggzy_execute, ggzy_supervise, ggzy_sequencer
    USING (true) WITH CHECK (true);
CREATE POLICY tender_files_published_to_public ON tender_files FOR SELECT TO ggzy_public
    USING (EXISTS (SELECT 1 FROM tenders t WHERE t.id = tender_id AND t.published_at IS NOT NULL));
