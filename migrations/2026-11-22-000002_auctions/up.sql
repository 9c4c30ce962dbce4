-- Auctions and listings (issue 4): land 拍卖 and 挂牌, property 网络竞价 (multi-round). One engine
-- row per lot, locked FOR UPDATE by every bid; the reserve price (底价) lives in the decide plane
-- and reaches execute only through ggzy_auction_reserve() once the lot is closed.

CREATE TABLE auctions (
    id                   uuid PRIMARY KEY,
    region_code          text NOT NULL DEFAULT ggzy_region(),
    project_id           uuid NOT NULL REFERENCES projects (id) ON DELETE RESTRICT,
    code                 text NOT NULL UNIQUE,
    title                text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    format               text NOT NULL CHECK (format IN ('english', 'listing', 'online_multi_round')),
    start_price          numeric(18, 2) NOT NULL CHECK (start_price > 0),
    increment            numeric(18, 2) NOT NULL CHECK (increment > 0),
    deposit_amount       numeric(18, 2) NOT NULL CHECK (deposit_amount >= 0),
    countdown_seconds    integer NOT NULL CHECK (countdown_seconds BETWEEN 10 AND 86400),
    announcement_at      timestamptz NOT NULL,
    starts_at            timestamptz NOT NULL,
    free_bidding_until   timestamptz,
    listing_until        timestamptz,
    published            boolean NOT NULL DEFAULT false,
    stage                text NOT NULL DEFAULT 'scheduled' CHECK (stage IN ('scheduled', 'listing',
                             'free_bidding', 'timed', 'on_site', 'closed')),
    ends_at              timestamptz,
    current_price        numeric(18, 2),
    leader_registration  uuid,
    bid_count            integer NOT NULL DEFAULT 0,
    result               text CHECK (result IN ('sold', 'unsold')),
    closed_at            timestamptz,
    paused_at            timestamptz,
    hold_applied_seq     bigint NOT NULL DEFAULT 0,
    -- 延牌: when the disclosure ends with at most extend_if_at_most qualified bidders, the start
    -- moves by extend_working_days, at most extend_max times (then the lot closes unsold)
    extend_working_days  integer CHECK (extend_working_days >= 5),
    extend_max           integer NOT NULL DEFAULT 0 CHECK (extend_max >= 0),
    extend_if_at_most    integer NOT NULL DEFAULT 0 CHECK (extend_if_at_most >= 0),
    extensions_done      integer NOT NULL DEFAULT 0,
    created_by           uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    created_at           timestamptz NOT NULL DEFAULT ggzy_now(),
    CHECK (announcement_at <= starts_at),
    CHECK ((format = 'listing') = (listing_until IS NOT NULL)),
    CHECK ((format = 'online_multi_round') = (free_bidding_until IS NOT NULL))
);
CREATE INDEX auctions_project_idx ON auctions (project_id);
CREATE INDEX auctions_created_by_idx ON auctions (created_by);
COMMENT ON TABLE auctions IS 'plane:execute';

CREATE TABLE auction_registrations (
    id            uuid PRIMARY KEY,
    auction_id    uuid NOT NULL REFERENCES auctions (id) ON DELETE RESTRICT,
    org_id        uuid NOT NULL REFERENCES orgs (id) ON DELETE RESTRICT,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    status        text NOT NULL DEFAULT 'pending_deposit' CHECK (status IN ('pending_deposit',
                      'qualified', 'refunded')),
    bidder_number text,
    payer_account text,
    reference     text,
    registered_at timestamptz NOT NULL DEFAULT ggzy_now(),
    confirmed_by  uuid REFERENCES users (id) ON DELETE RESTRICT,
    confirmed_at  timestamptz,
    refund_due    timestamptz,
    refunded_by   uuid REFERENCES users (id) ON DELETE RESTRICT,
    refunded_at   timestamptz,
    UNIQUE (auction_id, org_id),
    UNIQUE (auction_id, bidder_number)
);
CREATE INDEX auction_registrations_org_idx ON auction_registrations (org_id);
CREATE INDEX auction_registrations_user_idx ON auction_registrations (user_id);
CREATE INDEX auction_registrations_confirmed_idx ON auction_registrations (confirmed_by);
CREATE INDEX auction_registrations_refunded_idx ON auction_registrations (refunded_by);
COMMENT ON TABLE auction_registrations IS 'plane:execute';

-- the bid log, insert-only: the result can be replayed from it (ggzy auction replay)
CREATE TABLE auction_bids (
    auction_id      uuid NOT NULL REFERENCES auctions (id) ON DELETE RESTRICT,
    seq             integer NOT NULL CHECK (seq > 0),
    registration_id uuid NOT NULL REFERENCES auction_registrations (id) ON DELETE RESTRICT,
    amount          numeric(18, 2) NOT NULL,
    stage           text NOT NULL,
    at              timestamptz NOT NULL,
    ends_at         timestamptz,
    client_addr     text,
    fingerprint     text,
    PRIMARY KEY (auction_id, seq)
);
CREATE INDEX auction_bids_registration_idx ON auction_bids (registration_id);
COMMENT ON TABLE auction_bids IS 'plane:execute';

CREATE TABLE auction_reserve_prices (
    auction_id uuid PRIMARY KEY REFERENCES auctions (id) ON DELETE RESTRICT,
    amount     numeric(18, 2) NOT NULL CHECK (amount > 0),
    set_by     uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    set_at     timestamptz NOT NULL DEFAULT ggzy_now()
);
CREATE INDEX auction_reserve_prices_by_idx ON auction_reserve_prices (set_by);
COMMENT ON TABLE auction_reserve_prices IS 'plane:decide';

CREATE TABLE auction_filings (
    auction_id uuid PRIMARY KEY REFERENCES auctions (id) ON DELETE RESTRICT,
    note       text NOT NULL DEFAULT '',
    filed_by   uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    filed_at   timestamptz NOT NULL DEFAULT ggzy_now()
);
CREATE INDEX auction_filings_by_idx ON auction_filings (filed_by);
COMMENT ON TABLE auction_filings IS 'plane:decide';

-- The sealed reserve price: the execute plane gets it only for a closed lot.
CREATE FUNCTION ggzy_auction_reserve(lot uuid) RETURNS numeric
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
REVOKE EXECUTE ON FUNCTION ggzy_auction_reserve(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ggzy_auction_reserve(uuid) TO ggzy_execute, ggzy_public, ggzy_supervise;

GRANT SELECT, INSERT, UPDATE ON auctions, auction_registrations TO ggzy_execute;
GRANT SELECT, INSERT ON auction_bids TO ggzy_execute;
GRANT SELECT ON auctions, auction_registrations, auction_bids TO ggzy_decide, ggzy_supervise;
GRANT SELECT (id, project_id, code, title, format, start_price, increment, deposit_amount,
    countdown_seconds, announcement_at, starts_at, free_bidding_until, listing_until, published,
    stage, ends_at, current_price, bid_count, result, closed_at, extensions_done) ON auctions TO ggzy_public;
-- bidders' identities stay with execute: the result (names after the close) is served by execute
GRANT SELECT (auction_id, seq, amount, stage, at) ON auction_bids TO ggzy_public;
GRANT SELECT, INSERT, UPDATE ON auction_reserve_prices TO ggzy_decide;
GRANT SELECT, INSERT ON auction_filings TO ggzy_decide;
GRANT SELECT ON auction_filings TO ggzy_execute, ggzy_supervise, ggzy_public;
-- the live hall resumes from a sequence number
GRANT SELECT ON sequenced_events TO ggzy_execute;
