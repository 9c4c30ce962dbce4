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

diesel::table! {
    /// Versioned statutory rules (decide).
    rules (id) {
        id -> Int8,
        rule_id -> Text,
        version -> Int4,
        applies_to -> Text,
        kind -> Text,
        value -> Nullable<Numeric>,
        unit -> Text,
        citation -> Text,
        jurisdiction -> Text,
        configurable -> Bool,
        must_tender_only -> Bool,
        summary -> Text,
        reason -> Text,
        set_by -> Nullable<Uuid>,
        set_at -> Timestamptz,
    }
}

diesel::table! {
    /// The State Council holiday calendar, one versioned row per year (decide).
    calendar_years (id) {
        id -> Int8,
        year -> Int4,
        version -> Int4,
        holidays -> Array<Date>,
        workdays -> Array<Date>,
        source -> Text,
        provisional -> Bool,
        set_by -> Nullable<Uuid>,
        set_at -> Timestamptz,
    }
}

diesel::table! {
    /// The expert pool (decide).
    experts (user_id) {
        user_id -> Uuid,
        region_code -> Text,
        specialties -> Array<Text>,
        employer_org_code -> Text,
        economic -> Bool,
        added_by -> Uuid,
        added_at -> Timestamptz,
    }
}

diesel::table! {
    /// Tenders (标段) of a project (execute).
    tenders (id) {
        id -> Uuid,
        region_code -> Text,
        project_id -> Uuid,
        lot_no -> Int4,
        code -> Text,
        title -> Text,
        method -> Text,
        evaluation -> Jsonb,
        max_price -> Nullable<Numeric>,
        bid_security_amount -> Numeric,
        documents_from -> Timestamptz,
        documents_until -> Timestamptz,
        bid_deadline -> Timestamptz,
        opening_at -> Timestamptz,
        round -> Int4,
        status -> Text,
        sealing -> Nullable<Jsonb>,
        notice_sha256 -> Nullable<Text>,
        published_at -> Nullable<Timestamptz>,
        closed_at -> Nullable<Timestamptz>,
        opened_at -> Nullable<Timestamptz>,
        publicity_starts_at -> Nullable<Timestamptz>,
        publicity_ends_at -> Nullable<Timestamptz>,
        failure_reason -> Nullable<Text>,
        created_by -> Uuid,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        holds_applied_seq -> Int8,
    }
}

diesel::table! {
    /// Tender documents (files with hashes).
    tender_files (id) {
        id -> Uuid,
        tender_id -> Uuid,
        name -> Text,
        media_type -> Text,
        sha256 -> Text,
        size -> Int8,
        content -> Bytea,
        uploaded_by -> Uuid,
        uploaded_at -> Timestamptz,
    }
}

diesel::table! {
    /// Who obtained the tender documents, when, from where.
    document_downloads (id) {
        id -> Int8,
        tender_id -> Uuid,
        org_id -> Uuid,
        user_id -> Uuid,
        file_id -> Nullable<Uuid>,
        at -> Timestamptz,
        client_addr -> Nullable<Text>,
        fingerprint -> Nullable<Text>,
    }
}

diesel::table! {
    /// Clarifications and amendments (澄清或者修改).
    clarifications (id) {
        id -> Uuid,
        tender_id -> Uuid,
        text -> Text,
        old_deadline -> Timestamptz,
        new_deadline -> Nullable<Timestamptz>,
        by_user -> Uuid,
        at -> Timestamptz,
    }
}

diesel::table! {
    /// Bid security (投标保证金) records.
    bid_security (id) {
        id -> Uuid,
        tender_id -> Uuid,
        org_id -> Uuid,
        amount -> Numeric,
        payer_account -> Nullable<Text>,
        payer_bank -> Nullable<Text>,
        reference -> Nullable<Text>,
        guarantee_no -> Nullable<Text>,
        paid_at -> Nullable<Timestamptz>,
        status -> Text,
        declared_by -> Uuid,
        declared_at -> Timestamptz,
        confirmed_by -> Nullable<Uuid>,
        confirmed_at -> Nullable<Timestamptz>,
        refunded_by -> Nullable<Uuid>,
        refunded_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    /// Every sealed submission and withdrawal, with its signed receipt.
    bid_submissions (id) {
        id -> Uuid,
        tender_id -> Uuid,
        round -> Int4,
        org_id -> Uuid,
        user_id -> Uuid,
        submission_no -> Int4,
        kind -> Text,
        envelope -> Nullable<Bytea>,
        envelope_sha256 -> Nullable<Text>,
        payload_sha256 -> Nullable<Text>,
        received_at -> Timestamptz,
        client_addr -> Nullable<Text>,
        fingerprint -> Nullable<Text>,
        receipt -> Jsonb,
        bundles -> Nullable<Jsonb>,
    }
}

diesel::table! {
    /// Idempotency keys of create/submit commands.
    idempotency_keys (user_id, key) {
        user_id -> Uuid,
        key -> Text,
        route -> Text,
        request_sha256 -> Text,
        status -> Int4,
        body -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    /// Public keys the platform has signed receipts and manifests with.
    platform_keys (public_key) {
        public_key -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    /// Signed closing manifests.
    closing_manifests (tender_id, round) {
        tender_id -> Uuid,
        round -> Int4,
        manifest -> Jsonb,
        closed_at -> Timestamptz,
    }
}

diesel::table! {
    /// The final bids of a closed round and their opening verdicts.
    bids (id) {
        id -> Uuid,
        tender_id -> Uuid,
        round -> Int4,
        org_id -> Uuid,
        status -> Text,
        fault -> Nullable<Text>,
        detail -> Nullable<Text>,
        price -> Nullable<Numeric>,
        duration_days -> Nullable<Int4>,
        sme -> Nullable<Text>,
        document -> Nullable<Bytea>,
        opened_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    /// Key holders' pieces submitted at the opening.
    opening_pieces (bid_id, branch) {
        bid_id -> Uuid,
        branch -> Text,
        holder_id -> Uuid,
        pieces -> Nullable<Jsonb>,
        undecryptable -> Bool,
        submitted_at -> Timestamptz,
    }
}

diesel::table! {
    /// Public opening records (开标记录).
    opening_records (tender_id, round) {
        tender_id -> Uuid,
        round -> Int4,
        record -> Jsonb,
        opened_at -> Timestamptz,
    }
}

diesel::table! {
    /// Holders' per-tender identities, revealed after the last opening.
    holder_identities (tender_id, branch) {
        tender_id -> Uuid,
        branch -> Text,
        holder_id -> Uuid,
        identity -> Text,
        revealed_at -> Timestamptz,
    }
}

diesel::table! {
    /// Postponed openings.
    opening_postponements (id) {
        id -> Uuid,
        tender_id -> Uuid,
        old_time -> Timestamptz,
        new_time -> Timestamptz,
        reason -> Text,
        by_user -> Uuid,
        at -> Timestamptz,
    }
}

diesel::table! {
    /// Rounds of sealed final offers after the first.
    tender_rounds (tender_id, round) {
        tender_id -> Uuid,
        round -> Int4,
        bid_deadline -> Timestamptz,
        invited_orgs -> Array<Uuid>,
        opened_by -> Uuid,
        opened_at -> Timestamptz,
    }
}

diesel::table! {
    /// The decide branch's key holder of a tender.
    decide_key_holders (tender_id) {
        tender_id -> Uuid,
        user_id -> Uuid,
        designated_by -> Uuid,
        designated_at -> Timestamptz,
        recipient -> Nullable<Text>,
        registered_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    /// The execute branch's key holder of a tender.
    execute_key_holders (tender_id) {
        tender_id -> Uuid,
        user_id -> Uuid,
        designated_by -> Uuid,
        designated_at -> Timestamptz,
        recipient -> Nullable<Text>,
        registered_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    /// The supervise branch's key holder of a tender.
    supervise_key_holders (tender_id) {
        tender_id -> Uuid,
        user_id -> Uuid,
        designated_by -> Uuid,
        designated_at -> Timestamptz,
        recipient -> Nullable<Text>,
        registered_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    /// Witnessed committee draws.
    committee_draws (id) {
        id -> Uuid,
        tender_id -> Uuid,
        seed -> Bytea,
        seed_commitment -> Text,
        size -> Int4,
        economic -> Int4,
        specialties -> Array<Text>,
        excluded_org_codes -> Array<Text>,
        pool_snapshot -> Jsonb,
        pool_snapshot_hash -> Text,
        requested_by -> Uuid,
        requested_at -> Timestamptz,
    }
}

diesel::table! {
    /// Supervisors' contributions to draws.
    draw_contributions (draw_id) {
        draw_id -> Uuid,
        random -> Bytea,
        contributed_by -> Uuid,
        contributed_at -> Timestamptz,
    }
}

diesel::table! {
    /// Committee members (drawn experts and the tenderer's representatives).
    committee_members (tender_id, user_id) {
        tender_id -> Uuid,
        user_id -> Uuid,
        kind -> Text,
        draw_id -> Nullable<Uuid>,
        draw_order -> Nullable<Int4>,
        economic -> Bool,
        status -> Text,
        declared_at -> Nullable<Timestamptz>,
        conflict -> Nullable<Bool>,
        detail -> Nullable<Text>,
        added_at -> Timestamptz,
    }
}

diesel::table! {
    /// Members' scores.
    scores (tender_id, member_id, bid_id) {
        tender_id -> Uuid,
        member_id -> Uuid,
        bid_id -> Uuid,
        compliant -> Bool,
        reason -> Nullable<Text>,
        technical -> Nullable<Numeric>,
        commercial -> Nullable<Numeric>,
        scored_at -> Timestamptz,
    }
}

diesel::table! {
    /// Finalised evaluations (ranking and candidates).
    evaluations (tender_id) {
        tender_id -> Uuid,
        ranking -> Jsonb,
        finalized_by -> Uuid,
        finalized_at -> Timestamptz,
    }
}

diesel::table! {
    /// Objections (异议 / 质疑).
    objections (id) {
        id -> Uuid,
        tender_id -> Uuid,
        org_id -> Uuid,
        user_id -> Uuid,
        stage -> Text,
        text -> Text,
        filed_at -> Timestamptz,
        reply_due -> Timestamptz,
        reply -> Nullable<Text>,
        replied_by -> Nullable<Uuid>,
        replied_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    /// Awards (中标).
    awards (tender_id) {
        tender_id -> Uuid,
        bid_id -> Uuid,
        awarded_by -> Uuid,
        awarded_at -> Timestamptz,
    }
}

diesel::table! {
    /// Contracts.
    contracts (tender_id) {
        tender_id -> Uuid,
        signed_at -> Timestamptz,
        amount -> Numeric,
        document_sha256 -> Text,
        recorded_by -> Uuid,
        recorded_at -> Timestamptz,
    }
}

diesel::table! {
    /// The regulator's filing (备案) of a tender's result.
    tender_filings (tender_id) {
        tender_id -> Uuid,
        note -> Text,
        filed_by -> Uuid,
        filed_at -> Timestamptz,
    }
}

diesel::table! {
    /// Auctions and listings: one engine row per lot.
    auctions (id) {
        id -> Uuid,
        region_code -> Text,
        project_id -> Uuid,
        code -> Text,
        title -> Text,
        format -> Text,
        start_price -> Numeric,
        increment -> Numeric,
        deposit_amount -> Numeric,
        countdown_seconds -> Int4,
        announcement_at -> Timestamptz,
        starts_at -> Timestamptz,
        free_bidding_until -> Nullable<Timestamptz>,
        listing_until -> Nullable<Timestamptz>,
        published -> Bool,
        stage -> Text,
        ends_at -> Nullable<Timestamptz>,
        current_price -> Nullable<Numeric>,
        leader_registration -> Nullable<Uuid>,
        bid_count -> Int4,
        result -> Nullable<Text>,
        closed_at -> Nullable<Timestamptz>,
        paused_at -> Nullable<Timestamptz>,
        hold_applied_seq -> Int8,
        extend_working_days -> Nullable<Int4>,
        extend_max -> Int4,
        extend_if_at_most -> Int4,
        extensions_done -> Int4,
        created_by -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    /// Registrations and deposits (竞买号 once qualified).
    auction_registrations (id) {
        id -> Uuid,
        auction_id -> Uuid,
        org_id -> Uuid,
        user_id -> Uuid,
        status -> Text,
        bidder_number -> Nullable<Text>,
        payer_account -> Nullable<Text>,
        reference -> Nullable<Text>,
        registered_at -> Timestamptz,
        confirmed_by -> Nullable<Uuid>,
        confirmed_at -> Nullable<Timestamptz>,
        refund_due -> Nullable<Timestamptz>,
        refunded_by -> Nullable<Uuid>,
        refunded_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    /// The insert-only bid log.
    auction_bids (auction_id, seq) {
        auction_id -> Uuid,
        seq -> Int4,
        registration_id -> Uuid,
        amount -> Numeric,
        stage -> Text,
        at -> Timestamptz,
        ends_at -> Nullable<Timestamptz>,
        client_addr -> Nullable<Text>,
        fingerprint -> Nullable<Text>,
    }
}

diesel::table! {
    /// Sealed reserve prices (decide).
    auction_reserve_prices (auction_id) {
        auction_id -> Uuid,
        amount -> Numeric,
        set_by -> Uuid,
        set_at -> Timestamptz,
    }
}

diesel::table! {
    /// Filings of auction results (decide).
    auction_filings (auction_id) {
        auction_id -> Uuid,
        note -> Text,
        filed_by -> Uuid,
        filed_at -> Timestamptz,
    }
}

diesel::joinable!(users -> orgs (org_id));
diesel::joinable!(project_approvals -> projects (project_id));
diesel::joinable!(tenders -> projects (project_id));
diesel::joinable!(bids -> tenders (tender_id));
diesel::joinable!(bids -> orgs (org_id));
diesel::joinable!(bid_submissions -> orgs (org_id));
diesel::allow_tables_to_appear_in_same_query!(
    orgs,
    users,
    projects,
    project_approvals,
    tenders,
    bids,
    bid_submissions,
    opening_pieces,
    bid_security,
    committee_members,
    committee_draws,
    draw_contributions,
    scores,
    evaluations,
    objections,
    awards,
    contracts,
    tender_filings,
    experts,
    auctions,
    auction_registrations,
    auction_bids,
);

diesel::table! {
    /// The centre's venues (execute).
    venues (id) {
        id -> Uuid,
        region_code -> Text,
        name -> Text,
        kind -> Text,
        capacity -> Nullable<Int4>,
        created_by -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    /// Bookings of venues; overlaps are excluded by the database (execute).
    venue_bookings (id) {
        id -> Uuid,
        venue_id -> Uuid,
        subject_type -> Text,
        subject_id -> Uuid,
        kind -> Text,
        starts_at -> Timestamptz,
        ends_at -> Timestamptz,
        booked_by -> Uuid,
        booked_at -> Timestamptz,
    }
}

diesel::table! {
    /// Complaints (投诉) as filed on the supervision platform (supervise).
    complaints (id) {
        id -> Uuid,
        region_code -> Text,
        subject_type -> Text,
        subject_id -> Uuid,
        org_id -> Uuid,
        user_id -> Uuid,
        text -> Text,
        regime -> Text,
        window_ends -> Nullable<Timestamptz>,
        filed_at -> Timestamptz,
    }
}

diesel::table! {
    /// The regulator's acceptance of a complaint (decide).
    complaint_acceptances (complaint_id) {
        complaint_id -> Uuid,
        accepted -> Bool,
        reason -> Text,
        due_at -> Timestamptz,
        late -> Bool,
        decided_by -> Uuid,
        at -> Timestamptz,
    }
}

diesel::table! {
    /// The regulator's decision on an accepted complaint (decide).
    complaint_decisions (complaint_id) {
        complaint_id -> Uuid,
        decision -> Text,
        text -> Text,
        due_at -> Timestamptz,
        late -> Bool,
        decided_by -> Uuid,
        at -> Timestamptz,
    }
}

diesel::table! {
    /// Social supervisors (社会监督员) appointed by the regulator, with certificate and term (decide).
    social_supervisor_appointments (id) {
        id -> Uuid,
        region_code -> Text,
        user_id -> Uuid,
        certificate_no -> Text,
        term_start -> Date,
        term_end -> Date,
        appointed_by -> Uuid,
        appointed_at -> Timestamptz,
    }
}

diesel::table! {
    /// Assignments of social supervisors to subjects, chosen or random (decide).
    social_assignments (id) {
        id -> Uuid,
        appointment_id -> Uuid,
        subject_type -> Text,
        subject_id -> Uuid,
        random -> Bool,
        assigned_by -> Uuid,
        assigned_at -> Timestamptz,
    }
}

diesel::table! {
    /// Social supervisors' conflict declarations; a conflict revokes the assignment (supervise).
    social_conflict_declarations (id) {
        id -> Uuid,
        user_id -> Uuid,
        subject_type -> Text,
        subject_id -> Uuid,
        conflict -> Bool,
        detail -> Nullable<Text>,
        declared_at -> Timestamptz,
    }
}

diesel::table! {
    /// Observations (check-ins, notes, concerns) and their answers (supervise).
    observations (id) {
        id -> Uuid,
        region_code -> Text,
        user_id -> Uuid,
        role -> Text,
        subject_type -> Text,
        subject_id -> Uuid,
        kind -> Text,
        text -> Text,
        created_at -> Timestamptz,
        answer_due -> Nullable<Timestamptz>,
        answer -> Nullable<Text>,
        answered_by -> Nullable<Uuid>,
        answered_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    /// Every view of a subject by a social supervisor, allowed or refused (supervise).
    access_log (id) {
        id -> Uuid,
        user_id -> Uuid,
        role -> Text,
        subject_type -> Text,
        subject_id -> Uuid,
        allowed -> Bool,
        at -> Timestamptz,
    }
}

diesel::table! {
    /// Real-time warnings (红黄牌) raised by the supervision scan (supervise).
    warnings (id) {
        id -> Uuid,
        region_code -> Text,
        level -> Text,
        rule -> Text,
        citation -> Text,
        subject_type -> Text,
        subject_id -> Uuid,
        owner -> Text,
        raised_at -> Timestamptz,
        due_at -> Nullable<Timestamptz>,
        status -> Text,
        evidence -> Jsonb,
        resolved_by -> Nullable<Uuid>,
        resolved_at -> Nullable<Timestamptz>,
        resolution -> Nullable<Jsonb>,
    }
}

diesel::table! {
    /// Announcements of the public portal, derived from public outbox rows by a trigger (core).
    /// The `search` tsvector column is left out: diesel has no type for it, and it is queried in
    /// SQL (src/public/announcements.rs).
    announcements (outbox_id) {
        outbox_id -> Int8,
        region_code -> Text,
        category -> Text,
        kind -> Text,
        topic -> Text,
        subject_type -> Text,
        subject_id -> Uuid,
        project_code -> Text,
        code -> Text,
        title -> Text,
        summary -> Text,
        tenderer_name -> Nullable<Text>,
        agency_name -> Nullable<Text>,
        details -> Jsonb,
        published_at -> Timestamptz,
        seq -> Nullable<Int8>,
        details_bytes -> Nullable<Int4>,
    }
}

diesel::table! {
    /// Leaves of the transparency log (sequencer; read by the public plane).
    transparency_leaves (idx) {
        idx -> Int8,
        outbox_seq -> Nullable<Int8>,
        topic -> Text,
        leaf -> Bytea,
        leaf_hash -> Bytea,
        appended_at -> Timestamptz,
    }
}

diesel::table! {
    /// Tree heads of the transparency log, signed with the platform key (sequencer).
    transparency_heads (size) {
        size -> Int8,
        root_hash -> Bytea,
        ts -> Timestamptz,
        frontier -> Bytea,
        signature -> Nullable<Text>,
        public_key -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    /// Mails queued in business transactions and delivered by each plane's mail worker.
    mails (id) {
        id -> Uuid,
        region_code -> Text,
        plane -> Text,
        topic -> Text,
        subject_type -> Nullable<Text>,
        subject_id -> Nullable<Text>,
        to_user -> Nullable<Uuid>,
        to_addr -> Text,
        to_name -> Text,
        subject -> Text,
        body -> Text,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    /// Bidders' subscriptions to new notices of a line of business (execute).
    mail_subscriptions (user_id, category) {
        user_id -> Uuid,
        category -> Text,
        region_code -> Text,
        created_at -> Timestamptz,
    }
}
