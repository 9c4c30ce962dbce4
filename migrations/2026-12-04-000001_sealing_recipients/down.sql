DROP INDEX IF EXISTS transparency_leaves_subject_idx;
DROP TRIGGER IF EXISTS transparency_leaves_subject ON transparency_leaves;
DROP FUNCTION IF EXISTS ggzy_leaf_subject();
ALTER TABLE transparency_leaves DROP COLUMN IF EXISTS subject_type, DROP COLUMN IF EXISTS subject_id;
DROP TRIGGER IF EXISTS decide_key_holders_guard ON decide_key_holders;
DROP TRIGGER IF EXISTS execute_key_holders_guard ON execute_key_holders;
DROP TRIGGER IF EXISTS supervise_key_holders_guard ON supervise_key_holders;
DROP FUNCTION IF EXISTS ggzy_guard_key_holder();
DROP FUNCTION IF EXISTS ggzy_person_key(text);
DROP TRIGGER IF EXISTS tenders_freeze_sealing ON tenders;
DROP FUNCTION IF EXISTS ggzy_freeze_sealing();
DROP TRIGGER IF EXISTS outbox_public_writer ON outbox;
DROP FUNCTION IF EXISTS ggzy_check_public_writer();
DROP TABLE IF EXISTS public_topic_planes;
CREATE OR REPLACE FUNCTION ggzy_stamp_plane() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- a plane cannot write in another plane's name
    NEW.plane := ggzy_current_plane();
    RETURN NEW;
END
$$;
ALTER TABLE audit_entries DROP COLUMN IF EXISTS writer_role;
ALTER TABLE outbox DROP COLUMN IF EXISTS writer_role;
