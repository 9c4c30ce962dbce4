-- Venues and their bookings (execute), complaints (投诉): intake on the supervise plane (20号令
-- 第五十一条), acceptance and decision by the regulator on the decide plane. A complaint's status
-- is derived from the decide rows, never written across planes.

-- the exclusion constraint needs gist equality on uuid (migrations run as the database owner)
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE venues (
    id         uuid PRIMARY KEY,
    region_code text NOT NULL DEFAULT ggzy_region(),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind       text NOT NULL CHECK (kind IN ('opening_hall', 'evaluation_room', 'auction_hall')),
    capacity   integer CHECK (capacity > 0),
    created_by uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    created_at timestamptz NOT NULL DEFAULT ggzy_now(),
    UNIQUE (region_code, name)
);
CREATE INDEX venues_created_by_idx ON venues (created_by);
COMMENT ON TABLE venues IS 'plane:execute';

CREATE TABLE venue_bookings (
    id           uuid PRIMARY KEY,
    venue_id     uuid NOT NULL REFERENCES venues (id) ON DELETE RESTRICT,
    subject_type text NOT NULL CHECK (subject_type IN ('tender', 'auction')),
    subject_id   uuid NOT NULL,
    kind         text NOT NULL CHECK (length(kind) BETWEEN 1 AND 50),
    starts_at    timestamptz NOT NULL,
    ends_at      timestamptz NOT NULL,
    booked_by    uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    booked_at    timestamptz NOT NULL DEFAULT ggzy_now(),
    CHECK (ends_at > starts_at),
    -- half-open periods: a booking may start when the previous one ends
    CONSTRAINT venue_bookings_no_overlap EXCLUDE USING gist
        (venue_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
);
CREATE INDEX venue_bookings_subject_idx ON venue_bookings (subject_type, subject_id);
CREATE INDEX venue_bookings_booked_by_idx ON venue_bookings (booked_by);
COMMENT ON TABLE venue_bookings IS 'plane:execute';

CREATE TABLE complaints (
    id           uuid PRIMARY KEY,
    region_code  text NOT NULL DEFAULT ggzy_region(),
    subject_type text NOT NULL CHECK (subject_type IN ('tender', 'auction')),
    subject_id   uuid NOT NULL,
    org_id       uuid NOT NULL REFERENCES orgs (id) ON DELETE RESTRICT,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    text         text NOT NULL CHECK (length(text) BETWEEN 1 AND 20000),
    -- the rule family whose periods apply: ztb (招标投标法实施条例) or gp (政府采购法)
    regime       text NOT NULL CHECK (regime IN ('ztb', 'gp')),
    window_ends  timestamptz,
    filed_at     timestamptz NOT NULL DEFAULT ggzy_now()
);
CREATE INDEX complaints_subject_idx ON complaints (subject_type, subject_id);
CREATE INDEX complaints_org_idx ON complaints (org_id);
CREATE INDEX complaints_user_idx ON complaints (user_id);
COMMENT ON TABLE complaints IS 'plane:supervise';

CREATE TABLE complaint_acceptances (
    complaint_id uuid PRIMARY KEY REFERENCES complaints (id) ON DELETE RESTRICT,
    accepted     boolean NOT NULL,
    reason       text NOT NULL,
    due_at       timestamptz NOT NULL,
    late         boolean NOT NULL,
    decided_by   uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    at           timestamptz NOT NULL DEFAULT ggzy_now()
);
CREATE INDEX complaint_acceptances_by_idx ON complaint_acceptances (decided_by);
COMMENT ON TABLE complaint_acceptances IS 'plane:decide';

CREATE TABLE complaint_decisions (
    complaint_id uuid PRIMARY KEY REFERENCES complaints (id) ON DELETE RESTRICT,
    decision     text NOT NULL CHECK (decision IN ('upheld', 'dismissed')),
    text         text NOT NULL,
    due_at       timestamptz NOT NULL,
    late         boolean NOT NULL,
    decided_by   uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    at           timestamptz NOT NULL DEFAULT ggzy_now()
);
CREATE INDEX complaint_decisions_by_idx ON complaint_decisions (decided_by);
COMMENT ON TABLE complaint_decisions IS 'plane:decide';

GRANT SELECT, INSERT, UPDATE ON venues, venue_bookings TO ggzy_execute;
GRANT SELECT ON venues, venue_bookings TO ggzy_decide, ggzy_supervise;
-- a published tender's notice shows where its opening takes place
GRANT SELECT (id, name, kind) ON venues TO ggzy_public;
GRANT SELECT (venue_id, subject_type, subject_id, kind, starts_at, ends_at) ON venue_bookings TO ggzy_public;
GRANT SELECT, INSERT ON complaints TO ggzy_supervise;
GRANT SELECT ON complaints TO ggzy_decide;
GRANT SELECT, INSERT ON complaint_acceptances, complaint_decisions TO ggzy_decide;
-- the supervision platform shows each complaint's derived status to complainants and the regulator
GRANT SELECT ON complaint_acceptances, complaint_decisions TO ggzy_supervise;
