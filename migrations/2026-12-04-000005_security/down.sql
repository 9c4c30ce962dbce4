DROP POLICY IF EXISTS tender_files_published_to_public ON tender_files;
DROP POLICY IF EXISTS tender_files_planes ON tender_files;
ALTER TABLE tender_files DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenders_published_to_public ON tenders;
DROP POLICY IF EXISTS tenders_planes ON tenders;
ALTER TABLE tenders DISABLE ROW LEVEL SECURITY;
DROP FUNCTION IF EXISTS ggzy_receipt(uuid);
GRANT SELECT (id, tender_id, round, org_id, submission_no, kind, envelope_sha256, received_at,
    receipt) ON bid_submissions TO ggzy_public;
DROP TRIGGER IF EXISTS auctions_frozen ON auctions;
DROP TRIGGER IF EXISTS auction_bids_frozen ON auction_bids;
DROP FUNCTION IF EXISTS ggzy_auction_frozen();
CREATE OR REPLACE FUNCTION ggzy_auction_buyer(lot uuid, OUT name text, OUT code text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT o.name, o.code
    FROM auctions a
    JOIN auction_registrations r ON r.id = a.leader_registration
    JOIN orgs o ON o.id = r.org_id
    WHERE a.id = lot AND a.stage = 'closed' AND a.result = 'sold'
$$;
CREATE OR REPLACE FUNCTION ggzy_auction_reserve(lot uuid) RETURNS numeric
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    st text;
    amount numeric;
BEGIN
    SELECT a.stage INTO st FROM auctions a WHERE a.id = lot;
    IF st IS DISTINCT FROM 'closed' THEN
        RAISE EXCEPTION 'the reserve price is sealed until the auction is closed'
            USING ERRCODE = 'P0001', HINT = 'ggzy:reserve_sealed';
    END IF;
    SELECT r.amount INTO amount FROM auction_reserve_prices r WHERE r.auction_id = lot;
    RETURN amount;
END
$$;
DROP FUNCTION IF EXISTS ggzy_auction_close(uuid, timestamptz);
DROP TABLE IF EXISTS auction_closes;
