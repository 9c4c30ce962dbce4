DROP TABLE IF EXISTS project_approvals, projects, holds, jobs, sequencer_state, outbox_seq,
    audit_chain, outbox, audit_entries, login_throttle, users, orgs, platform_clock, platform_mode CASCADE;
DROP VIEW IF EXISTS sequenced_events;
DROP SEQUENCE IF EXISTS project_code_seq;
DROP FUNCTION IF EXISTS ggzy_due_jobs(), ggzy_stamp_plane(), ggzy_current_plane(),
    ggzy_advance_clock(bigint, boolean), ggzy_now(), ggzy_claim_mode(boolean, text), ggzy_region();
