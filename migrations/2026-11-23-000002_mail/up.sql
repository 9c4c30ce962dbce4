-- Notifications by e-mail (DESIGN.md §7). A mail is queued in the business transaction of the
-- event it reports, already addressed and rendered (zh-CN), so it exists exactly when the event
-- committed and says what was true then. Each plane's mail worker delivers its own plane's mails
-- (row-level security, as for jobs): a plane never reads or claims another plane's mail.

CREATE TABLE mails (
    id              uuid PRIMARY KEY,
    region_code     text NOT NULL DEFAULT ggzy_region(),
    plane           text NOT NULL,
    topic           text NOT NULL,
    subject_type    text,
    subject_id      text,
    to_user         uuid,
    to_addr         text NOT NULL CHECK (to_addr ~ '^[^@\s]+@[^@\s]+$'),
    to_name         text NOT NULL,
    subject         text NOT NULL CHECK (length(subject) BETWEEN 1 AND 300),
    body            text NOT NULL,
    status          text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'dead')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- wall-clock time: delivery talks to real servers, so the sandbox clock does not drive it
    next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT ggzy_now(),
    sent_at         timestamptz
);
CREATE INDEX mails_due_idx ON mails (plane, next_attempt_at) WHERE status = 'queued';
CREATE INDEX mails_subject_idx ON mails (subject_type, subject_id);
CREATE INDEX mails_to_user_idx ON mails (to_user);
-- a plane cannot queue mail in another plane's name
CREATE TRIGGER mails_plane BEFORE INSERT ON mails
    FOR EACH ROW EXECUTE FUNCTION ggzy_stamp_plane();
ALTER TABLE mails ENABLE ROW LEVEL SECURITY;
CREATE POLICY mails_own_plane ON mails
    USING (plane = ggzy_current_plane()) WITH CHECK (plane = ggzy_current_plane());
COMMENT ON TABLE mails IS 'plane:mail';

GRANT SELECT, INSERT, UPDATE ON mails TO ggzy_identity, ggzy_decide, ggzy_execute, ggzy_supervise;

-- Bidders' subscriptions: mail on new notices of a line of business (API.md POST /me/subscriptions).
CREATE TABLE mail_subscriptions (
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    category    text NOT NULL CHECK (category IN ('construction', 'procurement', 'property', 'land')),
    region_code text NOT NULL DEFAULT ggzy_region(),
    created_at  timestamptz NOT NULL DEFAULT ggzy_now(),
    PRIMARY KEY (user_id, category)
);
CREATE INDEX mail_subscriptions_category_idx ON mail_subscriptions (category);
COMMENT ON TABLE mail_subscriptions IS 'plane:execute';

GRANT SELECT, INSERT ON mail_subscriptions TO ggzy_execute;
GRANT SELECT ON mail_subscriptions TO ggzy_supervise;
