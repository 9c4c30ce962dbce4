DROP FUNCTION IF EXISTS ggzy_auction_reserve(uuid);
DROP TABLE IF EXISTS auction_filings, auction_reserve_prices, auction_bids, auction_registrations, auctions;
REVOKE SELECT ON sequenced_events FROM ggzy_execute;
