ALTER TABLE announcements DROP COLUMN IF EXISTS details_bytes;
