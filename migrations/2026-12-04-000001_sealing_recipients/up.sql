-- Issue 13, findings 1, 8 and 12 (docs/security/sealing.md, decisions 83–89).
--
-- 1. The recipients bidders seal to are fixed at publication for every role: `tenders.sealing`,
--    `notice_sha256` and `published_at` are written once, by the publishing UPDATE of a draft,
--    with the very recipients the three branches registered, and never changed afterwards.
-- 8. A key holder's designation and key are frozen once the key is registered; before that only
--    the official who made the designation may replace it; no person (the same account or the
--    same e-mail address) holds keys of two branches of one tender, nor one recipient two.
-- 12. Every outbox and audit row names the database role that wrote it (`writer_role`, stamped
--    by the trigger, never by the caller), and a public entry's topic may only be written by the
--    plane that owns it (`public_topic_planes`; `tender.holder_key` and `tender.key_holder` by
--    the plane of the branch named in the payload).

-- ---------------------------------------------------------------------------------------------
-- 12. The writer of every shared row.
ALTER TABLE outbox ADD COLUMN writer_role text;
ALTER TABLE audit_entries ADD COLUMN writer_role text;
COMMENT ON COLUMN outbox.writer_role IS
    'the database role that inserted the row (current_user), stamped by ggzy_stamp_writer(); NULL for rows written before the column existed';
COMMENT ON COLUMN audit_entries.writer_role IS
    'the database role that inserted the row (current_user), stamped by ggzy_stamp_writer(); NULL for rows written before the column existed';

-- (a function of its own: ggzy_stamp_plane() also stamps `mails`, which has no writer column)
CREATE FUNCTION ggzy_stamp_writer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- whatever the caller wrote: the role of the session's current user, as the database knows it
    NEW.writer_role := current_user;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_entries_writer BEFORE INSERT ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION ggzy_stamp_writer();
CREATE TRIGGER outbox_writer BEFORE INSERT ON outbox
    FOR EACH ROW EXECUTE FUNCTION ggzy_stamp_writer();

-- Which plane owns each public topic ('branch': the plane of the payload's `branch`). The Rust
-- twin is `transparency::topics::TOPICS`, which `ggzy log verify` applies to the signed log; a
-- test compares the two.
CREATE TABLE public_topic_planes (
    topic text PRIMARY KEY,
    plane text NOT NULL CHECK (plane IN ('identity', 'decide', 'execute', 'supervise', 'branch'))
);
COMMENT ON TABLE public_topic_planes IS 'plane:core';
INSERT INTO public_topic_planes (topic, plane) VALUES
    ('account.official_created', 'identity'),
    ('rule.set', 'decide'),
    ('calendar.set', 'decide'),
    ('tender.filing', 'decide'),
    ('auction.filing', 'decide'),
    ('hold.suspend', 'supervise'),
    ('hold.resume', 'supervise'),
    ('committee.contribution', 'supervise'),
    ('tender.notice', 'execute'),
    ('tender.clarification', 'execute'),
    ('tender.schedule_resumed', 'execute'),
    ('tender.closing_manifest', 'execute'),
    ('tender.opening_record', 'execute'),
    ('tender.opening_postponed', 'execute'),
    ('tender.failed', 'execute'),
    ('tender.holder_identity_revealed', 'execute'),
    ('tender.round', 'execute'),
    ('tender.candidates', 'execute'),
    ('tender.award', 'execute'),
    ('tender.contract', 'execute'),
    ('tender.cancellation', 'execute'),
    ('committee.seed_commitment', 'execute'),
    ('auction.announcement', 'execute'),
    ('auction.extension', 'execute'),
    ('auction.result', 'execute'),
    ('tender.key_holder', 'branch'),
    ('tender.holder_key', 'branch');

-- Refuses a public entry written by a plane that does not own its topic. The owner and the
-- superuser ('core': migrations, the benchmark's seeding) pass: they can bypass any trigger
-- anyway, and their rows name them as writer, which `ggzy log verify` and the sealers refuse.
CREATE FUNCTION ggzy_check_public_writer() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    owner text;
BEGIN
    IF NEW.kind <> 'public' OR NEW.plane = 'core' THEN
        RETURN NEW;
    END IF;
    SELECT p.plane INTO owner FROM public_topic_planes p WHERE p.topic = NEW.topic;
    IF owner IS NULL THEN
        RAISE EXCEPTION 'public topic % has no owning plane in public_topic_planes', NEW.topic
            USING HINT = 'ggzy:unknown_public_topic';
    END IF;
    IF owner = 'branch' THEN
        owner := NEW.payload ->> 'branch';
    END IF;
    IF owner IS DISTINCT FROM NEW.plane THEN
        RAISE EXCEPTION 'the % plane may not write the public entry % (owned by %)',
            NEW.plane, NEW.topic, coalesce(owner, 'no plane')
            USING HINT = 'ggzy:wrong_plane';
    END IF;
    RETURN NEW;
END
$$;
-- BEFORE triggers run in name order: outbox_plane stamps the plane first
CREATE TRIGGER outbox_public_writer BEFORE INSERT ON outbox
    FOR EACH ROW EXECUTE FUNCTION ggzy_check_public_writer();

-- ---------------------------------------------------------------------------------------------
-- 1. The notice's sealing, written once.
CREATE FUNCTION ggzy_freeze_sealing() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    b text;
    registered text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.sealing IS NOT NULL OR NEW.notice_sha256 IS NOT NULL OR NEW.published_at IS NOT NULL
        THEN
            RAISE EXCEPTION 'a tender is created without a notice; publication writes it'
                USING HINT = 'ggzy:sealing_frozen';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.sealing IS NOT DISTINCT FROM OLD.sealing
       AND NEW.notice_sha256 IS NOT DISTINCT FROM OLD.notice_sha256
       AND NEW.published_at IS NOT DISTINCT FROM OLD.published_at THEN
        RETURN NEW;
    END IF;
    IF OLD.sealing IS NOT NULL OR OLD.notice_sha256 IS NOT NULL OR OLD.published_at IS NOT NULL
    THEN
        RAISE EXCEPTION 'the published notice of tender % (sealing, notice_sha256, published_at) never changes', OLD.id
            USING HINT = 'ggzy:sealing_frozen';
    END IF;
    -- the publishing UPDATE: of a draft, all three at once, with the registered recipients
    IF OLD.status <> 'draft' OR NEW.sealing IS NULL OR NEW.notice_sha256 IS NULL
       OR NEW.published_at IS NULL THEN
        RAISE EXCEPTION 'the notice is written whole, once, when a draft is published'
            USING HINT = 'ggzy:sealing_frozen';
    END IF;
    FOREACH b IN ARRAY ARRAY['decide', 'execute', 'supervise'] LOOP
        EXECUTE format('SELECT recipient FROM %I WHERE tender_id = $1', b || '_key_holders')
            INTO registered USING NEW.id;
        IF registered IS NULL OR NEW.sealing -> 'recipients' ->> b IS DISTINCT FROM registered THEN
            RAISE EXCEPTION 'the % recipient of the notice is not the one the % holder registered', b, b
                USING HINT = 'ggzy:sealing_mismatch';
        END IF;
    END LOOP;
    RETURN NEW;
END
$$;
CREATE TRIGGER tenders_freeze_sealing BEFORE INSERT OR UPDATE ON tenders
    FOR EACH ROW EXECUTE FUNCTION ggzy_freeze_sealing();

-- ---------------------------------------------------------------------------------------------
-- 8. Key holders. A person is an account, or an e-mail address (case-folded, without a
-- `+tag`): two accounts of one mailbox are one person (docs/security/sealing.md).
CREATE FUNCTION ggzy_person_key(email text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT regexp_replace(lower(btrim(email)), '\+[^@]*@', '@')
$$;

CREATE FUNCTION ggzy_guard_key_holder() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    branch text := TG_ARGV[0];
    other text;
    me text;
    clash text;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.recipient IS NOT NULL THEN
            RAISE EXCEPTION 'the % holder of tender % registered its key: the designation and the key are final', branch, OLD.tender_id
                USING HINT = 'ggzy:holder_registered';
        END IF;
        IF NEW.tender_id IS DISTINCT FROM OLD.tender_id THEN
            RAISE EXCEPTION 'a designation stays with its tender' USING HINT = 'ggzy:holder_registered';
        END IF;
        IF NEW.designated_by IS DISTINCT FROM OLD.designated_by THEN
            RAISE EXCEPTION 'only the official who designated the % holder may replace it', branch
                USING HINT = 'ggzy:not_designator';
        END IF;
    END IF;
    -- one tender's three designations are checked one at a time (three planes, three tables)
    PERFORM pg_advisory_xact_lock(hashtextextended('ggzy_key_holders:' || NEW.tender_id::text, 0));
    SELECT ggzy_person_key(u.email) INTO me FROM users u WHERE u.id = NEW.user_id;
    FOREACH other IN ARRAY array_remove(ARRAY['decide', 'execute', 'supervise'], branch) LOOP
        EXECUTE format(
            'SELECT CASE WHEN h.user_id = $2 OR ggzy_person_key(u.email) = $3 THEN ''person'' '
            '            WHEN h.recipient IS NOT NULL AND h.recipient = $4 THEN ''recipient'' END '
            'FROM %I h JOIN users u ON u.id = h.user_id WHERE h.tender_id = $1', other || '_key_holders')
            INTO clash USING NEW.tender_id, NEW.user_id, me, NEW.recipient;
        IF clash = 'person' THEN
            RAISE EXCEPTION 'the % holder of this tender is the same person (account or e-mail) as the % holder', branch, other
                USING HINT = 'ggzy:holder_conflict';
        ELSIF clash = 'recipient' THEN
            RAISE EXCEPTION 'the % holder registered the recipient of the % holder', branch, other
                USING HINT = 'ggzy:duplicate_recipient';
        END IF;
    END LOOP;
    RETURN NEW;
END
$$;
CREATE TRIGGER decide_key_holders_guard BEFORE INSERT OR UPDATE ON decide_key_holders
    FOR EACH ROW EXECUTE FUNCTION ggzy_guard_key_holder('decide');
CREATE TRIGGER execute_key_holders_guard BEFORE INSERT OR UPDATE ON execute_key_holders
    FOR EACH ROW EXECUTE FUNCTION ggzy_guard_key_holder('execute');
CREATE TRIGGER supervise_key_holders_guard BEFORE INSERT OR UPDATE ON supervise_key_holders
    FOR EACH ROW EXECUTE FUNCTION ggzy_guard_key_holder('supervise');

-- ---------------------------------------------------------------------------------------------
-- The sealers look a tender's holder-key entries up by subject: the leaf's subject, copied from
-- its bytes when the sequencer inserts it (leaves appended before this migration keep NULL).
ALTER TABLE transparency_leaves ADD COLUMN subject_type text, ADD COLUMN subject_id text;
CREATE FUNCTION ggzy_leaf_subject() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    entry jsonb := convert_from(NEW.leaf, 'UTF8')::jsonb;
BEGIN
    NEW.subject_type := entry ->> 'subject_type';
    NEW.subject_id := entry ->> 'subject_id';
    RETURN NEW;
END
$$;
CREATE TRIGGER transparency_leaves_subject BEFORE INSERT ON transparency_leaves
    FOR EACH ROW EXECUTE FUNCTION ggzy_leaf_subject();
CREATE INDEX transparency_leaves_subject_idx
    ON transparency_leaves (subject_type, subject_id, idx) WHERE subject_id IS NOT NULL;

-- ---------------------------------------------------------------------------------------------
GRANT SELECT ON public_topic_planes
    TO ggzy_identity, ggzy_decide, ggzy_execute, ggzy_supervise, ggzy_public, ggzy_sequencer;
GRANT EXECUTE ON FUNCTION ggzy_stamp_writer()
    TO ggzy_identity, ggzy_decide, ggzy_execute, ggzy_supervise;
GRANT EXECUTE ON FUNCTION ggzy_person_key(text)
    TO ggzy_identity, ggzy_decide, ggzy_execute, ggzy_supervise;
