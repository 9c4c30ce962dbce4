ALTER TABLE tenders DROP COLUMN holds_applied_seq;
