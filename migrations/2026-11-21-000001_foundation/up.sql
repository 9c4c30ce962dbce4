-- Foundation: platform mode and clock, accounts, the shared insert-only tables (audit, outbox),
-- the sequencer's tables, jobs, holds, projects and approvals.
--
-- Plane roles (ggzy_identity, ggzy_decide, ggzy_execute, ggzy_supervise, ggzy_public,
-- ggzy_sequencer) are cluster-wide and created by `ggzy db setup`; migrations only GRANT.
-- Every table carries a `COMMENT ... 'plane:<owner>'`: the grants test reads it and checks the
-- privileges of every role against DESIGN.md §2.

-- ---------------------------------------------------------------------------------------------
-- Platform mode (sandbox or production) and region, set once per database.
CREATE TABLE platform_mode (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    sandbox     boolean NOT NULL,
    region_code text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE platform_mode IS 'plane:core';

-- The trading centre's region code (行政区划代码), the distribution key of every table.
CREATE FUNCTION ggzy_region() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
    SELECT coalesce((SELECT region_code FROM platform_mode), '000000')
$$;

-- Records the mode the first time a server or `ggzy db setup` meets this database and returns
-- the recorded mode afterwards; the mode never changes (no role may UPDATE the row).
CREATE FUNCTION ggzy_claim_mode(want_sandbox boolean, want_region text)
RETURNS TABLE (sandbox boolean, region_code text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO platform_mode (sandbox, region_code) VALUES (want_sandbox, want_region)
    ON CONFLICT (singleton) DO NOTHING;
    RETURN QUERY SELECT m.sandbox, m.region_code FROM platform_mode m;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- The platform clock: database time plus the sandbox offset, or a frozen instant (tests).
CREATE TABLE platform_clock (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    offset_us  bigint NOT NULL DEFAULT 0 CHECK (offset_us >= 0),
    frozen_at  timestamptz,
    updated_at timestamptz
);
INSERT INTO platform_clock DEFAULT VALUES;
COMMENT ON TABLE platform_clock IS 'plane:core';

-- ggzy_now(): the one authority on time. VOLATILE: call it after the row locks are taken.
CREATE FUNCTION ggzy_now() RETURNS timestamptz LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
    SELECT coalesce(c.frozen_at, clock_timestamp() + make_interval(secs => c.offset_us / 1e6))
    FROM platform_clock c
$$;

-- Moves the clock forward (sandbox only). `freeze` = true stops it at the new instant, false lets
-- it run again, null keeps the current state.
CREATE FUNCTION ggzy_advance_clock(advance_us bigint, do_freeze boolean)
RETURNS timestamptz LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    is_sandbox boolean;
    now_before timestamptz;
BEGIN
    SELECT m.sandbox INTO is_sandbox FROM platform_mode m;
    IF is_sandbox IS NOT TRUE THEN
        RAISE EXCEPTION 'the platform clock can only be moved in a sandbox database'
            USING ERRCODE = 'P0001', HINT = 'ggzy:not_sandbox';
    END IF;
    IF advance_us < 0 THEN
        RAISE EXCEPTION 'the platform clock never goes back' USING HINT = 'ggzy:clock_backwards';
    END IF;
    PERFORM 1 FROM platform_clock FOR UPDATE;
    now_before := ggzy_now();
    UPDATE platform_clock SET
        frozen_at = CASE
            WHEN coalesce(do_freeze, frozen_at IS NOT NULL)
                THEN now_before + make_interval(secs => advance_us / 1e6)
            ELSE NULL END,
        offset_us = CASE
            WHEN coalesce(do_freeze, frozen_at IS NOT NULL) THEN offset_us + advance_us
            -- unfreezing: the running clock continues from the frozen instant
            ELSE greatest(0, (extract(epoch FROM (now_before + make_interval(secs => advance_us / 1e6)
                 - clock_timestamp())) * 1e6)::bigint) END,
        updated_at = clock_timestamp();
    RETURN ggzy_now();
END
$$;

-- The plane of the connected role (ggzy_execute → execute); the owner counts as 'core'.
CREATE FUNCTION ggzy_current_plane() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(substring(current_user FROM '^ggzy_(.*)$'), 'core')
$$;

-- ---------------------------------------------------------------------------------------------
-- Identity plane: orgs, users, login throttling.
CREATE TABLE orgs (
    id          uuid PRIMARY KEY,
    region_code text NOT NULL DEFAULT ggzy_region(),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    code        text NOT NULL UNIQUE CHECK (code ~ '^[0-9A-HJ-NP-RTUWXY]{18}$'),
    created_at  timestamptz NOT NULL DEFAULT ggzy_now()
);
COMMENT ON TABLE orgs IS 'plane:identity';
COMMENT ON COLUMN orgs.code IS '统一社会信用代码 (GB 32100-2015), checksum verified by the application';

CREATE TABLE users (
    id                   uuid PRIMARY KEY,
    region_code          text NOT NULL DEFAULT ggzy_region(),
    username             text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9_.-]{2,63}$'),
    password_hash        text NOT NULL,
    role                 text NOT NULL CHECK (role IN ('admin', 'regulator', 'center_staff', 'agency',
                             'purchaser', 'expert', 'bidder', 'supervisor', 'social_supervisor')),
    display_name         text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    email                text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    org_id               uuid REFERENCES orgs (id) ON DELETE RESTRICT,
    must_change_password boolean NOT NULL,
    password_set_at      timestamptz NOT NULL DEFAULT ggzy_now(),
    password_expired     boolean NOT NULL DEFAULT false,
    created_by           uuid REFERENCES users (id) ON DELETE RESTRICT,
    created_at           timestamptz NOT NULL DEFAULT ggzy_now()
);
CREATE INDEX users_org_id_idx ON users (org_id);
CREATE INDEX users_created_by_idx ON users (created_by);
COMMENT ON TABLE users IS 'plane:identity';

CREATE TABLE login_throttle (
    key             text PRIMARY KEY,
    failures        integer NOT NULL,
    last_failure_at timestamptz NOT NULL,
    blocked_until   timestamptz
);
COMMENT ON TABLE login_throttle IS 'plane:identity';

-- ---------------------------------------------------------------------------------------------
-- Shared, insert-only: audit entries and the outbox (events, mail, public entries).
-- `txid` lets the sequencer find rows committed since its last pass without a global lock.
CREATE FUNCTION ggzy_stamp_plane() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- a plane cannot write in another plane's name
    NEW.plane := ggzy_current_plane();
    RETURN NEW;
END
$$;

CREATE TABLE audit_entries (
    id          bigserial PRIMARY KEY,
    txid        xid8 NOT NULL DEFAULT pg_current_xact_id(),
    region_code text NOT NULL DEFAULT ggzy_region(),
    at          timestamptz NOT NULL DEFAULT ggzy_now(),
    plane       text NOT NULL,
    actor_id    uuid,
    actor_role  text,
    action      text NOT NULL,
    subject_type text,
    subject_id  text,
    client_addr text,
    request_id  text,
    details     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_entries_txid_idx ON audit_entries (txid);
CREATE INDEX audit_entries_subject_idx ON audit_entries (subject_type, subject_id);
CREATE TRIGGER audit_entries_plane BEFORE INSERT ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION ggzy_stamp_plane();
COMMENT ON TABLE audit_entries IS 'plane:shared';

CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    txid         xid8 NOT NULL DEFAULT pg_current_xact_id(),
    region_code  text NOT NULL DEFAULT ggzy_region(),
    created_at   timestamptz NOT NULL DEFAULT ggzy_now(),
    plane        text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('event', 'mail', 'public')),
    topic        text NOT NULL,
    subject_type text,
    subject_id   text,
    payload      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX outbox_txid_idx ON outbox (txid);
CREATE TRIGGER outbox_plane BEFORE INSERT ON outbox
    FOR EACH ROW EXECUTE FUNCTION ggzy_stamp_plane();
COMMENT ON TABLE outbox IS 'plane:shared';

-- ---------------------------------------------------------------------------------------------
-- Sequencer: numbers committed rows in commit order, chains the audit log. Insert-only history.
CREATE TABLE audit_chain (
    seq          bigint PRIMARY KEY CHECK (seq > 0),
    entry_id     bigint NOT NULL UNIQUE,
    prev_hash    bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash         bytea NOT NULL CHECK (length(hash) = 32),
    sequenced_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
COMMENT ON TABLE audit_chain IS 'plane:sequencer';

CREATE TABLE outbox_seq (
    seq          bigint PRIMARY KEY CHECK (seq > 0),
    outbox_id    bigint NOT NULL UNIQUE,
    sequenced_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
COMMENT ON TABLE outbox_seq IS 'plane:sequencer';

-- The sequencer's watermark: every transaction older than these xids was fully sequenced.
CREATE TABLE sequencer_state (
    singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    audit_xmin   xid8 NOT NULL,
    outbox_xmin  xid8 NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
INSERT INTO sequencer_state (audit_xmin, outbox_xmin) VALUES ('0', '0');
COMMENT ON TABLE sequencer_state IS 'plane:sequencer';

-- Events as the hub and the live streams see them: sequenced outbox rows of kind 'event'.
CREATE VIEW sequenced_events AS
    SELECT s.seq, o.id AS outbox_id, o.created_at, o.plane, o.topic, o.subject_type,
           o.subject_id, o.payload
    FROM outbox_seq s JOIN outbox o ON o.id = s.outbox_id
    WHERE o.kind = 'event';

-- ---------------------------------------------------------------------------------------------
-- Jobs: timers and background work, taken with FOR UPDATE SKIP LOCKED by the plane that owns
-- them (row-level security keeps each plane to its own jobs).
CREATE TABLE jobs (
    id          bigserial PRIMARY KEY,
    region_code text NOT NULL DEFAULT ggzy_region(),
    plane       text NOT NULL DEFAULT ggzy_current_plane(),
    kind        text NOT NULL,
    payload     jsonb NOT NULL DEFAULT '{}',
    dedupe_key  text,
    run_at      timestamptz NOT NULL,
    status      text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'done', 'dead')),
    attempts    integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 8 CHECK (max_attempts > 0),
    last_error  text,
    created_at  timestamptz NOT NULL DEFAULT ggzy_now(),
    finished_at timestamptz
);
CREATE INDEX jobs_due_idx ON jobs (plane, run_at) WHERE status = 'queued';
CREATE UNIQUE INDEX jobs_dedupe_idx ON jobs (kind, dedupe_key) WHERE dedupe_key IS NOT NULL;
ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
CREATE POLICY jobs_own_plane ON jobs
    USING (plane = ggzy_current_plane()) WITH CHECK (plane = ggzy_current_plane());
COMMENT ON TABLE jobs IS 'plane:jobs';

-- How many jobs are due now or overdue, across planes (for the sandbox clock, which waits for
-- them, and for the metrics).
CREATE FUNCTION ggzy_due_jobs() RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
    SELECT count(*) FROM jobs WHERE status = 'queued' AND run_at <= ggzy_now()
$$;

-- ---------------------------------------------------------------------------------------------
-- Supervise plane: holds (suspend / resume directives). Insert-only history; the latest row of
-- a subject says whether it is held.
CREATE TABLE holds (
    id           uuid PRIMARY KEY,
    region_code  text NOT NULL DEFAULT ggzy_region(),
    subject_type text NOT NULL CHECK (subject_type IN ('project', 'tender', 'auction')),
    subject_id   uuid NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('suspend', 'resume')),
    reason       text NOT NULL,
    ordered_by   uuid NOT NULL,
    ordered_role text NOT NULL CHECK (ordered_role IN ('supervisor', 'regulator')),
    at           timestamptz NOT NULL DEFAULT ggzy_now(),
    seq          bigserial NOT NULL UNIQUE
);
CREATE INDEX holds_subject_idx ON holds (subject_type, subject_id, seq DESC);
COMMENT ON TABLE holds IS 'plane:supervise';

-- ---------------------------------------------------------------------------------------------
-- Execute plane: projects. Decide plane: approvals (execute reads them, never writes).
CREATE TABLE projects (
    id              uuid PRIMARY KEY,
    region_code     text NOT NULL DEFAULT ggzy_region(),
    code            text NOT NULL UNIQUE,
    category        text NOT NULL CHECK (category IN ('construction', 'procurement', 'property', 'land')),
    title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    description     text NOT NULL DEFAULT '',
    estimate_amount numeric(18, 2) NOT NULL CHECK (estimate_amount >= 0),
    owner_org_id    uuid NOT NULL REFERENCES orgs (id) ON DELETE RESTRICT,
    agency_org_id   uuid REFERENCES orgs (id) ON DELETE RESTRICT,
    created_by      uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    created_at      timestamptz NOT NULL DEFAULT ggzy_now()
);
CREATE INDEX projects_owner_org_idx ON projects (owner_org_id);
CREATE INDEX projects_agency_org_idx ON projects (agency_org_id);
CREATE INDEX projects_created_by_idx ON projects (created_by);
COMMENT ON TABLE projects IS 'plane:execute';
CREATE SEQUENCE project_code_seq;

CREATE TABLE project_approvals (
    id          uuid PRIMARY KEY,
    region_code text NOT NULL DEFAULT ggzy_region(),
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE RESTRICT,
    decision    text NOT NULL CHECK (decision IN ('approve', 'reject')),
    reason      text NOT NULL,
    must_tender boolean NOT NULL,
    decided_by  uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    decided_at  timestamptz NOT NULL DEFAULT ggzy_now(),
    UNIQUE (project_id)
);
CREATE INDEX project_approvals_decided_by_idx ON project_approvals (decided_by);
COMMENT ON TABLE project_approvals IS 'plane:decide';

-- ---------------------------------------------------------------------------------------------
-- Grants (DESIGN.md §2). Default: nothing. Functions are not executable by PUBLIC.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC;

GRANT USAGE ON SCHEMA public TO ggzy_identity, ggzy_decide, ggzy_execute, ggzy_supervise,
    ggzy_public, ggzy_sequencer;
GRANT EXECUTE ON FUNCTION ggzy_now(), ggzy_region(), ggzy_current_plane(), ggzy_stamp_plane(),
    ggzy_claim_mode(boolean, text), ggzy_due_jobs()
    TO ggzy_identity, ggzy_decide, ggzy_execute, ggzy_supervise, ggzy_public, ggzy_sequencer;
-- The sandbox clock is moved by the admin (identity plane) and only in a sandbox database.
GRANT EXECUTE ON FUNCTION ggzy_advance_clock(bigint, boolean) TO ggzy_identity;
GRANT SELECT ON platform_mode, platform_clock
    TO ggzy_identity, ggzy_decide, ggzy_execute, ggzy_supervise, ggzy_public, ggzy_sequencer;

-- identity owns accounts
GRANT SELECT, INSERT, UPDATE ON orgs, users TO ggzy_identity;
GRANT SELECT, INSERT, UPDATE, DELETE ON login_throttle TO ggzy_identity;
-- the other planes read orgs and users, never the password hash
GRANT SELECT ON orgs TO ggzy_decide, ggzy_execute, ggzy_supervise;
GRANT SELECT (id, region_code, username, role, display_name, email, org_id, created_at)
    ON users TO ggzy_decide, ggzy_execute, ggzy_supervise;

-- shared, insert-only
GRANT INSERT ON audit_entries, outbox
    TO ggzy_identity, ggzy_decide, ggzy_execute, ggzy_supervise;
GRANT USAGE ON SEQUENCE audit_entries_id_seq, outbox_id_seq
    TO ggzy_identity, ggzy_decide, ggzy_execute, ggzy_supervise;
GRANT SELECT ON audit_entries, outbox TO ggzy_sequencer, ggzy_supervise;

-- the sequencer
GRANT SELECT, INSERT ON audit_chain, outbox_seq TO ggzy_sequencer;
GRANT SELECT, UPDATE ON sequencer_state TO ggzy_sequencer;
GRANT SELECT ON audit_chain TO ggzy_supervise;
GRANT SELECT ON sequenced_events TO ggzy_sequencer, ggzy_supervise;

-- jobs: every plane enqueues and works its own (row-level security)
GRANT SELECT, INSERT, UPDATE ON jobs TO ggzy_identity, ggzy_decide, ggzy_execute, ggzy_supervise;
GRANT USAGE ON SEQUENCE jobs_id_seq TO ggzy_identity, ggzy_decide, ggzy_execute, ggzy_supervise;

-- supervise owns holds; execute and decide obey them
GRANT SELECT, INSERT ON holds TO ggzy_supervise;
GRANT USAGE ON SEQUENCE holds_seq_seq TO ggzy_supervise;
GRANT SELECT ON holds TO ggzy_execute, ggzy_decide;

-- execute owns projects; decide rules on them; supervise reads everything
GRANT SELECT, INSERT, UPDATE ON projects TO ggzy_execute;
GRANT USAGE ON SEQUENCE project_code_seq TO ggzy_execute;
GRANT SELECT ON projects TO ggzy_decide, ggzy_supervise;
GRANT SELECT, INSERT ON project_approvals TO ggzy_decide;
GRANT SELECT ON project_approvals TO ggzy_execute, ggzy_supervise;
