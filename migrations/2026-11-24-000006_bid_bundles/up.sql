-- Benchmarks (issue 7, opening row): each envelope's three holder bundles are kept beside it,
-- extracted when the envelope is checked at submission, so that a key holder's fetch at the
-- opening reads about a kilobyte per bid instead of the whole 256 KiB envelope (the fetch of
-- 1,000 bundles read 256 MB and took about a second per holder). Rows stored before this
-- column existed keep NULL and are served from their envelopes as before.
ALTER TABLE bid_submissions ADD COLUMN bundles jsonb;
COMMENT ON COLUMN bid_submissions.bundles IS
    '{decide, execute, supervise}: each holder''s age bundle of the envelope, base64 (NULL for a withdrawal or an older row)';
