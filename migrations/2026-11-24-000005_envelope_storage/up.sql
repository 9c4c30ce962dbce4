-- Benchmarks (issue 7, bid rush): a sealed envelope is age ciphertext in base64 JSON, which pglz
-- cannot shrink by the 25 % it asks for, yet it tried on every 256 KiB envelope: a profile of
-- the bid rush (perf, docs/BENCHMARKS.md) put a quarter of all PostgreSQL CPU in pglz_compress.
-- EXTERNAL keeps the value out of line (TOAST) without the compression attempt.
ALTER TABLE bid_submissions ALTER COLUMN envelope SET STORAGE EXTERNAL;
