-- Issue 13, findings 9, 10 and 11 (docs/security/limits.md).

-- ---------------------------------------------------------------------------------------------
-- Finding 9: a lot's live hall replayed `?after_seq=0` by walking every sequenced event of the
-- platform and keeping the lot's (30 concurrent replays: up to 77 s). The sequenced events of each
-- subject get an index of their own, filled in the sequencer's numbering transaction (one
-- statement per batch, like the announcements' numbers), so a lot's replay reads its own events
-- in sequence order, a page at a time.
CREATE TABLE event_subjects (
    subject_type text NOT NULL,
    subject_id   text NOT NULL,
    seq          bigint NOT NULL,
    outbox_id    bigint NOT NULL UNIQUE,
    PRIMARY KEY (subject_type, subject_id, seq)
);
COMMENT ON TABLE event_subjects IS 'plane:core';
COMMENT ON COLUMN event_subjects.seq IS
    'outbox_seq.seq of an event (outbox kind ''event'') about this subject';

INSERT INTO event_subjects (subject_type, subject_id, seq, outbox_id)
    SELECT o.subject_type, o.subject_id, s.seq, o.id
    FROM outbox_seq s JOIN outbox o ON o.id = s.outbox_id
    WHERE o.kind = 'event' AND o.subject_type IS NOT NULL AND o.subject_id IS NOT NULL;

CREATE FUNCTION ggzy_event_subjects() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO event_subjects (subject_type, subject_id, seq, outbox_id)
        SELECT o.subject_type, o.subject_id, n.seq, o.id
        FROM numbered n JOIN outbox o ON o.id = n.outbox_id
        WHERE o.kind = 'event' AND o.subject_type IS NOT NULL AND o.subject_id IS NOT NULL;
    RETURN NULL;
END
$$;

CREATE TRIGGER outbox_seq_event_subjects AFTER INSERT ON outbox_seq
    REFERENCING NEW TABLE AS numbered
    FOR EACH STATEMENT EXECUTE FUNCTION ggzy_event_subjects();

REVOKE EXECUTE ON FUNCTION ggzy_event_subjects() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ggzy_event_subjects() TO ggzy_sequencer;

-- A subject's events as the live streams read them: the index row and its outbox row, joined on
-- the outbox id (an index probe each), so a page is an index range scan with a LIMIT and no
-- sort. Through a view because the planes may not read `outbox` itself (mail and public rows
-- of other planes are in it), as with `sequenced_events`.
CREATE VIEW subject_events AS
    SELECT e.subject_type, e.subject_id, e.seq, o.topic, o.created_at, o.payload
    FROM event_subjects e JOIN outbox o ON o.id = e.outbox_id;
-- the live streams of the execute (a lot's hall) and supervise (the floor) planes read it
GRANT SELECT ON subject_events TO ggzy_execute, ggzy_supervise;

-- ---------------------------------------------------------------------------------------------
-- Finding 10: every resubmission kept its envelope for ever (up to 64 MiB each, unlimited
-- resubmissions). A superseded envelope — one followed by a later submission of the same bidder
-- in the same round — is never opened: the closing manifest and the opening take the last
-- submission only. Its bytes (and bundles) are dropped when it is superseded; its row keeps the
-- hashes (the receipt is over `envelope_sha256`, and `payload_sha256` still refuses a replay of
-- the payload) and records when the bytes went (`purged_at`).
ALTER TABLE bid_submissions ADD COLUMN purged_at timestamptz;
COMMENT ON COLUMN bid_submissions.purged_at IS
    'when the envelope''s bytes were dropped because a later submission of the bidder superseded it';
ALTER TABLE bid_submissions DROP CONSTRAINT bid_submissions_check;
ALTER TABLE bid_submissions ADD CONSTRAINT bid_submissions_check
    CHECK ((kind = 'bid') = (envelope_sha256 IS NOT NULL AND payload_sha256 IS NOT NULL));
ALTER TABLE bid_submissions ADD CONSTRAINT bid_submissions_envelope_kept
    CHECK (CASE WHEN kind = 'bid' THEN (envelope IS NULL) = (purged_at IS NOT NULL)
                ELSE envelope IS NULL AND purged_at IS NULL END);
-- (a bidder's submissions in a round are counted on the UNIQUE (tender_id, round, org_id,
-- submission_no) index, under the bidder's advisory lock)

-- The execute plane keeps no UPDATE on bid_submissions: it can only ask for the superseded
-- envelopes of one bidder's round to be dropped, and this function never touches the last
-- submission nor a row the closing took into `bids`.
CREATE FUNCTION ggzy_purge_superseded(p_tender uuid, p_round integer, p_org uuid)
RETURNS integer LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    n integer;
BEGIN
    UPDATE bid_submissions s SET envelope = NULL, bundles = NULL, purged_at = ggzy_now()
    WHERE s.tender_id = p_tender AND s.round = p_round AND s.org_id = p_org
      AND s.kind = 'bid' AND s.envelope IS NOT NULL
      AND s.submission_no < (SELECT max(l.submission_no) FROM bid_submissions l
                             WHERE l.tender_id = p_tender AND l.round = p_round AND l.org_id = p_org)
      AND NOT EXISTS (SELECT 1 FROM bids b WHERE b.id = s.id);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
REVOKE EXECUTE ON FUNCTION ggzy_purge_superseded(uuid, integer, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ggzy_purge_superseded(uuid, integer, uuid) TO ggzy_execute;

-- ---------------------------------------------------------------------------------------------
-- Finding 11: a social supervisor read `GET /auctions/{id}` and its live hall (execute plane)
-- with no assignment and no trace. The scope rule (an appointment in term, an assignment to the
-- subject or its project, no conflict declared on either) is one function, used by the supervise
-- plane and by the execute plane; the execute plane may not read the supervise plane's conflict
-- declarations nor write its access log, so it calls `ggzy_social_view`, which checks and logs
-- in one step (refused views included). Neither returns anything but the verdict.
CREATE FUNCTION ggzy_social_may_view(p_user uuid, p_type text, p_id uuid)
RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH today AS (
        -- the China date of the platform clock (UTC+8, no daylight saving)
        SELECT ((ggzy_now() AT TIME ZONE 'UTC') + interval '8 hours')::date AS d
    ), subj AS (
        SELECT p_type AS t, p_id AS id
        UNION ALL SELECT 'project', project_id FROM tenders WHERE p_type = 'tender' AND id = p_id
        UNION ALL SELECT 'project', project_id FROM auctions WHERE p_type = 'auction' AND id = p_id
    )
    SELECT EXISTS (
        SELECT 1 FROM social_supervisor_appointments a
        JOIN social_assignments s ON s.appointment_id = a.id
        JOIN subj ON subj.t = s.subject_type AND subj.id = s.subject_id
        CROSS JOIN today
        WHERE a.user_id = p_user AND today.d BETWEEN a.term_start AND a.term_end
    ) AND NOT EXISTS (
        SELECT 1 FROM social_conflict_declarations d
        JOIN subj ON subj.t = d.subject_type AND subj.id = d.subject_id
        WHERE d.user_id = p_user AND d.conflict
    )
$$;

CREATE FUNCTION ggzy_social_view(p_user uuid, p_type text, p_id uuid)
RETURNS boolean LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    ok boolean;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM users WHERE id = p_user AND role = 'social_supervisor') THEN
        RAISE EXCEPTION 'user % is not a social supervisor', p_user USING ERRCODE = '22023';
    END IF;
    ok := ggzy_social_may_view(p_user, p_type, p_id);
    -- a time-ordered (version 7) id, like the supervise plane's `Uuid::now_v7()`, so that the
    -- log's order (at, id) holds between rows of both planes
    INSERT INTO access_log (id, user_id, role, subject_type, subject_id, allowed)
        VALUES (encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
                    PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint)
                        FROM 3)
                    FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid,
                p_user, 'social_supervisor', p_type, p_id, ok);
    RETURN ok;
END
$$;

REVOKE EXECUTE ON FUNCTION ggzy_social_may_view(uuid, text, uuid), ggzy_social_view(uuid, text, uuid)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ggzy_social_may_view(uuid, text, uuid), ggzy_social_view(uuid, text, uuid)
    TO ggzy_execute, ggzy_supervise;
