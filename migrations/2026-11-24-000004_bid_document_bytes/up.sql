-- Benchmarks (issue 7, opening row): an opened bid's document is kept as the exact JSON bytes
-- the opening produced (UTF-8), not as jsonb. Parsing 1,000 documents of ~190 KB into jsonb took
-- PostgreSQL over two seconds inside the opening's transaction, for a column nothing queries
-- by its fields: the figures are columns of their own (price, duration_days, sme), and the red
-- flags read the attachments with convert_from(document, 'UTF8')::jsonb.
ALTER TABLE bids ALTER COLUMN document TYPE bytea USING convert_to(document::text, 'UTF8');
COMMENT ON COLUMN bids.document IS
    'the opened bid document as JSON text in UTF-8 (ggzy-sealed-bid/1 payload, as decrypted)';
DO $$
BEGIN
    ALTER TABLE bids ALTER COLUMN document SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'this PostgreSQL has no lz4: bids.document stays pglz';
END
$$;
