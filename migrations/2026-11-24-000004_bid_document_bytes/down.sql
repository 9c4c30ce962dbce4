ALTER TABLE bids ALTER COLUMN document TYPE jsonb USING convert_from(document, 'UTF8')::jsonb;
