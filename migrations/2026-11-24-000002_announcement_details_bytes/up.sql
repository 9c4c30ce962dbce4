-- Benchmarks (issue 7): a list page carries each announcement's public entry inline only when it
-- is small. A closing manifest or an opening record lists every bid (hundreds of KB for a
-- thousand bids); twenty of those on one page made every request to the first pages cost tens of
-- milliseconds of JSON work, and at 500 requests/s the public pool queued into 503s. The size
-- is computed once, when the announcement is written.
ALTER TABLE announcements
    ADD COLUMN details_bytes integer GENERATED ALWAYS AS (octet_length(details::text)) STORED;
COMMENT ON COLUMN announcements.details_bytes IS
    'size of details as JSON text; list pages omit details above GGZY''s inline limit (16 KiB)';
