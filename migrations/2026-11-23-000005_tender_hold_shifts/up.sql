-- A hold (暂停) on a tender in bidding stops its clock: when the execute plane applies a resume,
-- the bidding-phase deadlines still ahead of the suspension move by the hold's length. This
-- column remembers the last resume applied (holds.seq), so each is applied once.
ALTER TABLE tenders ADD COLUMN holds_applied_seq bigint NOT NULL DEFAULT 0;
COMMENT ON COLUMN tenders.holds_applied_seq IS
    'holds.seq of the last resume whose suspension the bidding deadlines were moved for';
