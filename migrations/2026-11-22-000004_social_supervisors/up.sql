-- Social supervisors (社会监督员): appointed and assigned by the regulator (decide), their
-- conflict declarations, observations and the log of their views (supervise). An assignment
-- stands only while no conflict is declared for it: derived when reading, never written across
-- planes. The access log is owned by the supervise plane (the only one that serves the views).

CREATE TABLE social_supervisor_appointments (
    id             uuid PRIMARY KEY,
    region_code    text NOT NULL DEFAULT ggzy_region(),
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    certificate_no text NOT NULL CHECK (length(certificate_no) BETWEEN 1 AND 100),
    term_start     date NOT NULL,
    term_end       date NOT NULL,
    appointed_by   uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    appointed_at   timestamptz NOT NULL DEFAULT ggzy_now(),
    CHECK (term_end >= term_start),
    UNIQUE (region_code, certificate_no)
);
CREATE INDEX social_supervisor_appointments_user_idx ON social_supervisor_appointments (user_id);
CREATE INDEX social_supervisor_appointments_by_idx ON social_supervisor_appointments (appointed_by);
COMMENT ON TABLE social_supervisor_appointments IS 'plane:decide';

CREATE TABLE social_assignments (
    id             uuid PRIMARY KEY,
    appointment_id uuid NOT NULL REFERENCES social_supervisor_appointments (id) ON DELETE RESTRICT,
    subject_type   text NOT NULL CHECK (subject_type IN ('project', 'tender', 'auction')),
    subject_id     uuid NOT NULL,
    random         boolean NOT NULL,
    assigned_by    uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    assigned_at    timestamptz NOT NULL DEFAULT ggzy_now(),
    UNIQUE (appointment_id, subject_type, subject_id)
);
CREATE INDEX social_assignments_subject_idx ON social_assignments (subject_type, subject_id);
CREATE INDEX social_assignments_by_idx ON social_assignments (assigned_by);
COMMENT ON TABLE social_assignments IS 'plane:decide';

CREATE TABLE social_conflict_declarations (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    subject_type text NOT NULL CHECK (subject_type IN ('project', 'tender', 'auction')),
    subject_id   uuid NOT NULL,
    conflict     boolean NOT NULL,
    detail       text CHECK (length(detail) <= 5000),
    declared_at  timestamptz NOT NULL DEFAULT ggzy_now()
);
CREATE INDEX social_conflict_declarations_user_idx
    ON social_conflict_declarations (user_id, subject_type, subject_id);
COMMENT ON TABLE social_conflict_declarations IS 'plane:supervise';

CREATE TABLE observations (
    id           uuid PRIMARY KEY,
    region_code  text NOT NULL DEFAULT ggzy_region(),
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    role         text NOT NULL,
    subject_type text NOT NULL CHECK (subject_type IN ('project', 'tender', 'auction')),
    subject_id   uuid NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('check_in', 'note', 'concern')),
    text         text NOT NULL CHECK (length(text) BETWEEN 1 AND 20000),
    created_at   timestamptz NOT NULL DEFAULT ggzy_now(),
    -- a concern must be answered by then (3 工作日); read by the electronic supervision warnings
    answer_due   timestamptz,
    answer       text,
    answered_by  uuid REFERENCES users (id) ON DELETE RESTRICT,
    answered_at  timestamptz,
    CHECK ((kind = 'concern') = (answer_due IS NOT NULL)),
    CHECK ((answered_at IS NULL) = (answer IS NULL))
);
CREATE INDEX observations_subject_idx ON observations (subject_type, subject_id);
CREATE INDEX observations_user_idx ON observations (user_id);
CREATE INDEX observations_answered_by_idx ON observations (answered_by);
COMMENT ON TABLE observations IS 'plane:supervise';

CREATE TABLE access_log (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    role         text NOT NULL,
    subject_type text NOT NULL,
    subject_id   uuid NOT NULL,
    allowed      boolean NOT NULL,
    at           timestamptz NOT NULL DEFAULT ggzy_now()
);
CREATE INDEX access_log_at_idx ON access_log (at DESC, id DESC);
CREATE INDEX access_log_user_idx ON access_log (user_id);
COMMENT ON TABLE access_log IS 'plane:supervise';

GRANT SELECT, INSERT ON social_supervisor_appointments, social_assignments TO ggzy_decide;
-- the supervise plane derives who may view what from the appointments and assignments
GRANT SELECT ON social_supervisor_appointments, social_assignments TO ggzy_supervise;
GRANT SELECT, INSERT ON social_conflict_declarations, access_log TO ggzy_supervise;
GRANT SELECT, INSERT, UPDATE ON observations TO ggzy_supervise;
-- a random assignment skips supervisors who declared a conflict on the subject
GRANT SELECT ON social_conflict_declarations TO ggzy_decide;
