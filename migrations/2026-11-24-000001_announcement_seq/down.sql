DROP TRIGGER IF EXISTS outbox_seq_announcement ON outbox_seq;
DROP FUNCTION IF EXISTS ggzy_announcement_seq();
DROP INDEX IF EXISTS announcements_category_idx;
ALTER TABLE announcements DROP COLUMN IF EXISTS seq;
CREATE INDEX announcements_category_idx ON announcements (category, outbox_id);
