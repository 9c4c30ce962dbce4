ALTER TABLE bid_submissions DROP COLUMN IF EXISTS bundles;
