//! Diesel table definitions, kept by hand in step with `migrations/` (columns diesel cannot map,
//! such as `xid8`, are left out: the database fills them).

diesel::table! {
    /// Organisations (bidding / tendering entities) keyed by 统一社会信用代码.
    orgs (id) {
        id -> Uuid,
        region_code -> Text,
        name -> Text,
        code -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    /// Accounts, one role each.
    users (id) {
        id -> Uuid,
        region_code -> Text,
        username -> Text,
        password_hash -> Text,
        role -> Text,
        display_name -> Text,
        email -> Text,
        org_id -> Nullable<Uuid>,
        must_change_password -> Bool,
        password_set_at -> Timestamptz,
        password_expired -> Bool,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    /// Failed-login counters per (username, address) pair and per address.
    login_throttle (key) {
        key -> Text,
        failures -> Int4,
        last_failure_at -> Timestamptz,
        blocked_until -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    /// Insert-only audit entries; the sequencer chains them.
    audit_entries (id) {
        id -> Int8,
        region_code -> Text,
        at -> Timestamptz,
        plane -> Text,
        actor_id -> Nullable<Uuid>,
        actor_role -> Nullable<Text>,
        action -> Text,
        subject_type -> Nullable<Text>,
        subject_id -> Nullable<Text>,
        client_addr -> Nullable<Text>,
        request_id -> Nullable<Text>,
        details -> Jsonb,
    }
}

diesel::table! {
    /// Insert-only outbox: events, mail and public entries, numbered by the sequencer.
    outbox (id) {
        id -> Int8,
        region_code -> Text,
        created_at -> Timestamptz,
        plane -> Text,
        kind -> Text,
        topic -> Text,
        subject_type -> Nullable<Text>,
        subject_id -> Nullable<Text>,
        payload -> Jsonb,
    }
}

diesel::table! {
    /// Timers and background work.
    jobs (id) {
        id -> Int8,
        region_code -> Text,
        plane -> Text,
        kind -> Text,
        payload -> Jsonb,
        dedupe_key -> Nullable<Text>,
        run_at -> Timestamptz,
        status -> Text,
        attempts -> Int4,
        max_attempts -> Int4,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    /// Suspend / resume directives (insert-only).
    holds (id) {
        id -> Uuid,
        region_code -> Text,
        subject_type -> Text,
        subject_id -> Uuid,
        kind -> Text,
        reason -> Text,
        ordered_by -> Uuid,
        ordered_role -> Text,
        at -> Timestamptz,
        seq -> Int8,
    }
}

diesel::table! {
    /// Projects (项目), registered by agencies and purchasers.
    projects (id) {
        id -> Uuid,
        region_code -> Text,
        code -> Text,
        category -> Text,
        title -> Text,
        description -> Text,
        estimate_amount -> Numeric,
        owner_org_id -> Uuid,
        agency_org_id -> Nullable<Uuid>,
        created_by -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    /// The regulator's approval of a project into the platform.
    project_approvals (id) {
        id -> Uuid,
        region_code -> Text,
        project_id -> Uuid,
        decision -> Text,
        reason -> Text,
        must_tender -> Bool,
        decided_by -> Uuid,
        decided_at -> Timestamptz,
    }
}

diesel::joinable!(users -> orgs (org_id));
diesel::joinable!(project_approvals -> projects (project_id));
diesel::allow_tables_to_appear_in_same_query!(orgs, users, projects, project_approvals);
