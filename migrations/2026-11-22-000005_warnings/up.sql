-- Real-time warnings (红黄牌, DOMAIN-RULES.md §5D): cards raised by the supervise plane's
-- periodic scan (`supervision.scan`) from what the supervise role may read, each with its rule,
-- statutory citation, subject, owner (who is expected to act) and due time, closed by a
-- supervisor with the evidence that resolved it. One card per (rule, subject, level): a scan
-- never raises the same card twice.

CREATE TABLE warnings (
    id           uuid PRIMARY KEY,
    region_code  text NOT NULL DEFAULT ggzy_region(),
    level        text NOT NULL CHECK (level IN ('yellow', 'red')),
    rule         text NOT NULL,
    citation     text NOT NULL,
    subject_type text NOT NULL,
    subject_id   uuid NOT NULL,
    owner        text NOT NULL,
    raised_at    timestamptz NOT NULL DEFAULT ggzy_now(),
    due_at       timestamptz,
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    evidence     jsonb NOT NULL DEFAULT '{}',
    resolved_by  uuid REFERENCES users (id) ON DELETE RESTRICT,
    resolved_at  timestamptz,
    resolution   jsonb,
    UNIQUE (rule, subject_type, subject_id, level),
    CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
);
CREATE INDEX warnings_status_idx ON warnings (status, level);
CREATE INDEX warnings_subject_idx ON warnings (subject_type, subject_id);
CREATE INDEX warnings_resolved_by_idx ON warnings (resolved_by);
COMMENT ON TABLE warnings IS 'plane:supervise';

GRANT SELECT, INSERT, UPDATE ON warnings TO ggzy_supervise;
GRANT SELECT ON warnings TO ggzy_decide;
-- the floor shows which holder branches have submitted their pieces, never the pieces
GRANT SELECT (bid_id, branch, holder_id, undecryptable, submitted_at) ON opening_pieces
    TO ggzy_supervise;
