-- Benchmarks (issue 7, opening row): an opened bid's document is stored with lz4 rather than
-- pglz. Storing 1,000 opened documents of ~190 KB each spent about a second compressing with
-- pglz in the opening's one transaction; lz4 does the same in under a tenth of that. A server
-- built without lz4 keeps pglz (the opening is then slower, not wrong).
DO $$
BEGIN
    ALTER TABLE bids ALTER COLUMN document SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'this PostgreSQL has no lz4: bids.document stays pglz';
END
$$;
