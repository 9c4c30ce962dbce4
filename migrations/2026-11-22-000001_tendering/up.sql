-- Sealed tendering (issue 3): rule sets and the calendar (decide), tenders, files, bids, openings,
-- committees, evaluation, objections, award, contract (execute), the key holders of each branch
-- (each in its own plane), draw contributions (supervise), filings (decide).
-- Every table names its owning plane in its comment; the grants at the end follow DESIGN.md §2.

-- ---------------------------------------------------------------- decide: rules and calendar
CREATE TABLE rules (
    id               bigserial PRIMARY KEY,
    rule_id          text NOT NULL CHECK (rule_id ~ '^[a-z0-9_.]+$'),
    version          integer NOT NULL CHECK (version > 0),
    applies_to       text NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('period', 'count', 'ratio', 'amount', 'procedure')),
    value            numeric(20, 4),
    unit             text NOT NULL,
    citation         text NOT NULL,
    jurisdiction     text NOT NULL,
    configurable     boolean NOT NULL DEFAULT false,
    must_tender_only boolean NOT NULL DEFAULT false,
    summary          text NOT NULL DEFAULT '',
    reason           text NOT NULL DEFAULT '',
    set_by           uuid REFERENCES users (id) ON DELETE RESTRICT,
    set_at           timestamptz NOT NULL DEFAULT ggzy_now(),
    UNIQUE (rule_id, version)
);
CREATE INDEX rules_set_by_idx ON rules (set_by);
COMMENT ON TABLE rules IS 'plane:decide';
COMMENT ON COLUMN rules.version IS 'a change is a new version, never an edit in place';

CREATE TABLE calendar_years (
    id          bigserial PRIMARY KEY,
    year        integer NOT NULL CHECK (year BETWEEN 2000 AND 2200),
    version     integer NOT NULL CHECK (version > 0),
    holidays    date[] NOT NULL,
    workdays    date[] NOT NULL,
    source      text NOT NULL,
    provisional boolean NOT NULL DEFAULT false,
    set_by      uuid REFERENCES users (id) ON DELETE RESTRICT,
    set_at      timestamptz NOT NULL DEFAULT ggzy_now(),
    UNIQUE (year, version)
);
CREATE INDEX calendar_years_set_by_idx ON calendar_years (set_by);
COMMENT ON TABLE calendar_years IS 'plane:decide';

CREATE TABLE experts (
    user_id           uuid PRIMARY KEY REFERENCES users (id) ON DELETE RESTRICT,
    region_code       text NOT NULL DEFAULT ggzy_region(),
    specialties       text[] NOT NULL CHECK (cardinality(specialties) > 0),
    employer_org_code text NOT NULL,
    economic          boolean NOT NULL,
    added_by          uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    added_at          timestamptz NOT NULL DEFAULT ggzy_now()
);
CREATE INDEX experts_added_by_idx ON experts (added_by);
COMMENT ON TABLE experts IS 'plane:decide';

-- ---------------------------------------------------------------- execute: tenders
CREATE TABLE tenders (
    id                  uuid PRIMARY KEY,
    region_code         text NOT NULL DEFAULT ggzy_region(),
    project_id          uuid NOT NULL REFERENCES projects (id) ON DELETE RESTRICT,
    lot_no              integer NOT NULL CHECK (lot_no > 0),
    code                text NOT NULL UNIQUE,
    title               text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    method              text NOT NULL CHECK (method IN ('open_tender', 'invited_tender',
                            'competitive_negotiation', 'competitive_consultation', 'inquiry',
                            'single_source')),
    evaluation          jsonb NOT NULL,
    max_price           numeric(18, 2) CHECK (max_price > 0),
    bid_security_amount numeric(18, 2) NOT NULL CHECK (bid_security_amount >= 0),
    documents_from      timestamptz NOT NULL,
    documents_until     timestamptz NOT NULL,
    bid_deadline        timestamptz NOT NULL,
    opening_at          timestamptz NOT NULL,
    round               integer NOT NULL DEFAULT 1 CHECK (round > 0),
    status              text NOT NULL CHECK (status IN ('draft', 'bidding', 'closed', 'opening',
                            'evaluation', 'publicity', 'awarded', 'contracted', 'filed', 'failed',
                            'cancelled')),
    sealing             jsonb,
    notice_sha256       text,
    published_at        timestamptz,
    closed_at           timestamptz,
    opened_at           timestamptz,
    publicity_starts_at timestamptz,
    publicity_ends_at   timestamptz,
    failure_reason      text,
    created_by          uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    created_at          timestamptz NOT NULL DEFAULT ggzy_now(),
    updated_at          timestamptz NOT NULL DEFAULT ggzy_now(),
    UNIQUE (project_id, lot_no),
    CHECK (documents_from < documents_until AND documents_until <= bid_deadline)
);
CREATE INDEX tenders_created_by_idx ON tenders (created_by);
CREATE INDEX tenders_status_idx ON tenders (status);
COMMENT ON TABLE tenders IS 'plane:execute';

CREATE TABLE tender_files (
    id          uuid PRIMARY KEY,
    tender_id   uuid NOT NULL REFERENCES tenders (id) ON DELETE RESTRICT,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    media_type  text NOT NULL,
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size        bigint NOT NULL,
    content     bytea NOT NULL,
    uploaded_by uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    uploaded_at timestamptz NOT NULL DEFAULT ggzy_now()
);
CREATE INDEX tender_files_tender_idx ON tender_files (tender_id);
CREATE INDEX tender_files_uploaded_by_idx ON tender_files (uploaded_by);
COMMENT ON TABLE tender_files IS 'plane:execute';

CREATE TABLE document_downloads (
    id          bigserial PRIMARY KEY,
    tender_id   uuid NOT NULL REFERENCES tenders (id) ON DELETE RESTRICT,
    org_id      uuid NOT NULL REFERENCES orgs (id) ON DELETE RESTRICT,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    file_id     uuid REFERENCES tender_files (id) ON DELETE RESTRICT,
    at          timestamptz NOT NULL DEFAULT ggzy_now(),
    client_addr text,
    fingerprint text
);
CREATE INDEX document_downloads_tender_idx ON document_downloads (tender_id, org_id);
CREATE INDEX document_downloads_org_idx ON document_downloads (org_id);
CREATE INDEX document_downloads_user_idx ON document_downloads (user_id);
CREATE INDEX document_downloads_file_idx ON document_downloads (file_id);
COMMENT ON TABLE document_downloads IS 'plane:execute';

CREATE TABLE clarifications (
    id           uuid PRIMARY KEY,
    tender_id    uuid NOT NULL REFERENCES tenders (id) ON DELETE RESTRICT,
    text         text NOT NULL CHECK (length(text) BETWEEN 1 AND 20000),
    old_deadline timestamptz NOT NULL,
    new_deadline timestamptz,
    by_user      uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    at           timestamptz NOT NULL DEFAULT ggzy_now()
);
CREATE INDEX clarifications_tender_idx ON clarifications (tender_id);
CREATE INDEX clarifications_by_idx ON clarifications (by_user);
COMMENT ON TABLE clarifications IS 'plane:execute';

CREATE TABLE bid_security (
    id            uuid PRIMARY KEY,
    tender_id     uuid NOT NULL REFERENCES tenders (id) ON DELETE RESTRICT,
    org_id        uuid NOT NULL REFERENCES orgs (id) ON DELETE RESTRICT,
    amount        numeric(18, 2) NOT NULL CHECK (amount > 0),
    payer_account text,
    payer_bank    text,
    reference     text,
    guarantee_no  text,
    paid_at       timestamptz,
    status        text NOT NULL DEFAULT 'declared' CHECK (status IN ('declared', 'confirmed', 'refunded')),
    declared_by   uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    declared_at   timestamptz NOT NULL DEFAULT ggzy_now(),
    confirmed_by  uuid REFERENCES users (id) ON DELETE RESTRICT,
    confirmed_at  timestamptz,
    refunded_by   uuid REFERENCES users (id) ON DELETE RESTRICT,
    refunded_at   timestamptz,
    CHECK (payer_account IS NOT NULL OR guarantee_no IS NOT NULL)
);
CREATE INDEX bid_security_tender_idx ON bid_security (tender_id, org_id);
CREATE INDEX bid_security_org_idx ON bid_security (org_id);
CREATE INDEX bid_security_declared_by_idx ON bid_security (declared_by);
CREATE INDEX bid_security_confirmed_by_idx ON bid_security (confirmed_by);
CREATE INDEX bid_security_refunded_by_idx ON bid_security (refunded_by);
COMMENT ON TABLE bid_security IS 'plane:execute';

-- Every submission and withdrawal is kept (nothing is overwritten); a bidder's bid is its latest
-- submission of the round when that is not a withdrawal. The id is the receipt id and the bid id.
CREATE TABLE bid_submissions (
    id              uuid PRIMARY KEY,
    tender_id       uuid NOT NULL REFERENCES tenders (id) ON DELETE RESTRICT,
    round           integer NOT NULL,
    org_id          uuid NOT NULL REFERENCES orgs (id) ON DELETE RESTRICT,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    submission_no   integer NOT NULL CHECK (submission_no > 0),
    kind            text NOT NULL CHECK (kind IN ('bid', 'withdrawal')),
    envelope        bytea,
    envelope_sha256 text,
    payload_sha256  text,
    received_at     timestamptz NOT NULL,
    client_addr     text,
    fingerprint     text,
    receipt         jsonb NOT NULL,
    UNIQUE (tender_id, round, org_id, submission_no),
    CHECK ((kind = 'bid') = (envelope IS NOT NULL AND envelope_sha256 IS NOT NULL
                             AND payload_sha256 IS NOT NULL))
);
-- a payload the platform already holds is refused (API.md: 409 duplicate_envelope)
CREATE UNIQUE INDEX bid_submissions_payload_idx ON bid_submissions (payload_sha256)
    WHERE payload_sha256 IS NOT NULL;
CREATE INDEX bid_submissions_org_idx ON bid_submissions (org_id);
CREATE INDEX bid_submissions_user_idx ON bid_submissions (user_id);
COMMENT ON TABLE bid_submissions IS 'plane:execute';

CREATE TABLE idempotency_keys (
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    key            text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    route          text NOT NULL,
    request_sha256 text NOT NULL,
    status         integer NOT NULL,
    body           jsonb NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT ggzy_now(),
    PRIMARY KEY (user_id, key)
);
COMMENT ON TABLE idempotency_keys IS 'plane:execute';

CREATE TABLE platform_keys (
    public_key text PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT ggzy_now()
);
COMMENT ON TABLE platform_keys IS 'plane:execute';

CREATE TABLE closing_manifests (
    tender_id uuid NOT NULL REFERENCES tenders (id) ON DELETE RESTRICT,
    round     integer NOT NULL,
    manifest  jsonb NOT NULL,
    closed_at timestamptz NOT NULL,
    PRIMARY KEY (tender_id, round)
);
COMMENT ON TABLE closing_manifests IS 'plane:execute';

-- the final bids of a closed round (the manifest's rows) and, after the opening, their verdicts
CREATE TABLE bids (
    id            uuid PRIMARY KEY REFERENCES bid_submissions (id) ON DELETE RESTRICT,
    tender_id     uuid NOT NULL REFERENCES tenders (id) ON DELETE RESTRICT,
    round         integer NOT NULL,
    org_id        uuid NOT NULL REFERENCES orgs (id) ON DELETE RESTRICT,
    status        text NOT NULL DEFAULT 'sealed' CHECK (status IN ('sealed', 'opened',
                      'undecryptable', 'tampered')),
    fault         text CHECK (fault IN ('bidder', 'platform', 'holder')),
    detail        text,
    price         numeric(18, 2),
    duration_days integer,
    sme           text,
    document      jsonb,
    opened_at     timestamptz,
    UNIQUE (tender_id, round, org_id)
);
CREATE INDEX bids_org_idx ON bids (org_id);
COMMENT ON TABLE bids IS 'plane:execute';

CREATE TABLE opening_pieces (
    bid_id       uuid NOT NULL REFERENCES bids (id) ON DELETE RESTRICT,
    branch       text NOT NULL CHECK (branch IN ('decide', 'execute', 'supervise')),
    holder_id    uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    pieces       jsonb,
    undecryptable boolean NOT NULL DEFAULT false,
    submitted_at timestamptz NOT NULL DEFAULT ggzy_now(),
    PRIMARY KEY (bid_id, branch),
    CHECK ((pieces IS NULL) = undecryptable)
);
CREATE INDEX opening_pieces_holder_idx ON opening_pieces (holder_id);
COMMENT ON TABLE opening_pieces IS 'plane:execute';

CREATE TABLE opening_records (
    tender_id uuid NOT NULL REFERENCES tenders (id) ON DELETE RESTRICT,
    round     integer NOT NULL,
    record    jsonb NOT NULL,
    opened_at timestamptz NOT NULL,
    PRIMARY KEY (tender_id, round)
);
COMMENT ON TABLE opening_records IS 'plane:execute';

CREATE TABLE holder_identities (
    tender_id   uuid NOT NULL REFERENCES tenders (id) ON DELETE RESTRICT,
    branch      text NOT NULL CHECK (branch IN ('decide', 'execute', 'supervise')),
    holder_id   uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    identity    text NOT NULL,
    revealed_at timestamptz NOT NULL DEFAULT ggzy_now(),
    PRIMARY KEY (tender_id, branch)
);
CREATE INDEX holder_identities_holder_idx ON holder_identities (holder_id);
COMMENT ON TABLE holder_identities IS 'plane:execute';

CREATE TABLE opening_postponements (
    id        uuid PRIMARY KEY,
    tender_id uuid NOT NULL REFERENCES tenders (id) ON DELETE RESTRICT,
    old_time  timestamptz NOT NULL,
    new_time  timestamptz NOT NULL,
    reason    text NOT NULL,
    by_user   uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    at        timestamptz NOT NULL DEFAULT ggzy_now()
);
CREATE INDEX opening_postponements_tender_idx ON opening_postponements (tender_id);
CREATE INDEX opening_postponements_by_idx ON opening_postponements (by_user);
COMMENT ON TABLE opening_postponements IS 'plane:execute';

-- rounds of sealed final offers (competitive negotiation and consultation): round 1 is the tender
CREATE TABLE tender_rounds (
    tender_id      uuid NOT NULL REFERENCES tenders (id) ON DELETE RESTRICT,
    round          integer NOT NULL CHECK (round > 1),
    bid_deadline   timestamptz NOT NULL,
    invited_orgs   uuid[] NOT NULL CHECK (cardinality(invited_orgs) > 0),
    opened_by      uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    opened_at      timestamptz NOT NULL DEFAULT ggzy_now(),
    PRIMARY KEY (tender_id, round)
);
CREATE INDEX tender_rounds_by_idx ON tender_rounds (opened_by);
COMMENT ON TABLE tender_rounds IS 'plane:execute';

-- ---------------------------------------------------------------- key holders, one table per branch
CREATE TABLE decide_key_holders (
    tender_id     uuid PRIMARY KEY REFERENCES tenders (id) ON DELETE RESTRICT,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    designated_by uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    designated_at timestamptz NOT NULL DEFAULT ggzy_now(),
    recipient     text CHECK (recipient ~ '^age1[02-9ac-hj-np-z]{58}$'),
    registered_at timestamptz
);
CREATE TABLE execute_key_holders (LIKE decide_key_holders INCLUDING ALL);
CREATE TABLE supervise_key_holders (LIKE decide_key_holders INCLUDING ALL);
ALTER TABLE execute_key_holders ADD FOREIGN KEY (tender_id) REFERENCES tenders (id) ON DELETE RESTRICT;
ALTER TABLE supervise_key_holders ADD FOREIGN KEY (tender_id) REFERENCES tenders (id) ON DELETE RESTRICT;
CREATE INDEX decide_key_holders_user_idx ON decide_key_holders (user_id);
CREATE INDEX decide_key_holders_by_idx ON decide_key_holders (designated_by);
CREATE INDEX execute_key_holders_user_idx ON execute_key_holders (user_id);
CREATE INDEX execute_key_holders_by_idx ON execute_key_holders (designated_by);
CREATE INDEX supervise_key_holders_user_idx ON supervise_key_holders (user_id);
CREATE INDEX supervise_key_holders_by_idx ON supervise_key_holders (designated_by);
COMMENT ON TABLE decide_key_holders IS 'plane:decide';
COMMENT ON TABLE execute_key_holders IS 'plane:execute';
COMMENT ON TABLE supervise_key_holders IS 'plane:supervise';

-- ---------------------------------------------------------------- committee
CREATE TABLE committee_draws (
    id                 uuid PRIMARY KEY,
    tender_id          uuid NOT NULL REFERENCES tenders (id) ON DELETE RESTRICT,
    seed               bytea NOT NULL CHECK (length(seed) = 32),
    seed_commitment    text NOT NULL,
    size               integer NOT NULL,
    economic           integer NOT NULL,
    specialties        text[] NOT NULL,
    excluded_org_codes text[] NOT NULL,
    pool_snapshot      jsonb NOT NULL,
    pool_snapshot_hash text NOT NULL,
    requested_by       uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    requested_at       timestamptz NOT NULL DEFAULT ggzy_now()
);
CREATE INDEX committee_draws_tender_idx ON committee_draws (tender_id);
CREATE INDEX committee_draws_by_idx ON committee_draws (requested_by);
COMMENT ON TABLE committee_draws IS 'plane:execute';
COMMENT ON COLUMN committee_draws.seed IS 'secret until the result: no other plane may read it';

CREATE TABLE draw_contributions (
    draw_id        uuid PRIMARY KEY REFERENCES committee_draws (id) ON DELETE RESTRICT,
    random         bytea NOT NULL CHECK (length(random) = 32),
    contributed_by uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    contributed_at timestamptz NOT NULL DEFAULT ggzy_now()
);
CREATE INDEX draw_contributions_by_idx ON draw_contributions (contributed_by);
COMMENT ON TABLE draw_contributions IS 'plane:supervise';

CREATE TABLE committee_members (
    tender_id    uuid NOT NULL REFERENCES tenders (id) ON DELETE RESTRICT,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    kind         text NOT NULL CHECK (kind IN ('expert', 'representative')),
    draw_id      uuid REFERENCES committee_draws (id) ON DELETE RESTRICT,
    draw_order   integer,
    economic     boolean NOT NULL DEFAULT false,
    status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'replaced')),
    declared_at  timestamptz,
    conflict     boolean,
    detail       text,
    added_at     timestamptz NOT NULL DEFAULT ggzy_now(),
    PRIMARY KEY (tender_id, user_id)
);
CREATE INDEX committee_members_user_idx ON committee_members (user_id);
CREATE INDEX committee_members_draw_idx ON committee_members (draw_id);
COMMENT ON TABLE committee_members IS 'plane:execute';

CREATE TABLE scores (
    tender_id  uuid NOT NULL REFERENCES tenders (id) ON DELETE RESTRICT,
    member_id  uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    bid_id     uuid NOT NULL REFERENCES bids (id) ON DELETE RESTRICT,
    compliant  boolean NOT NULL,
    reason     text,
    technical  numeric(7, 2) CHECK (technical BETWEEN 0 AND 100),
    commercial numeric(7, 2) CHECK (commercial BETWEEN 0 AND 100),
    scored_at  timestamptz NOT NULL DEFAULT ggzy_now(),
    PRIMARY KEY (tender_id, member_id, bid_id)
);
CREATE INDEX scores_member_idx ON scores (member_id);
CREATE INDEX scores_bid_idx ON scores (bid_id);
COMMENT ON TABLE scores IS 'plane:execute';

CREATE TABLE evaluations (
    tender_id    uuid PRIMARY KEY REFERENCES tenders (id) ON DELETE RESTRICT,
    ranking      jsonb NOT NULL,
    finalized_by uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    finalized_at timestamptz NOT NULL DEFAULT ggzy_now()
);
CREATE INDEX evaluations_by_idx ON evaluations (finalized_by);
COMMENT ON TABLE evaluations IS 'plane:execute';

CREATE TABLE objections (
    id         uuid PRIMARY KEY,
    tender_id  uuid NOT NULL REFERENCES tenders (id) ON DELETE RESTRICT,
    org_id     uuid NOT NULL REFERENCES orgs (id) ON DELETE RESTRICT,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    stage      text NOT NULL CHECK (stage IN ('documents', 'opening', 'result')),
    text       text NOT NULL CHECK (length(text) BETWEEN 1 AND 20000),
    filed_at   timestamptz NOT NULL DEFAULT ggzy_now(),
    reply_due  timestamptz NOT NULL,
    reply      text,
    replied_by uuid REFERENCES users (id) ON DELETE RESTRICT,
    replied_at timestamptz
);
CREATE INDEX objections_tender_idx ON objections (tender_id);
CREATE INDEX objections_org_idx ON objections (org_id);
CREATE INDEX objections_user_idx ON objections (user_id);
CREATE INDEX objections_replied_by_idx ON objections (replied_by);
COMMENT ON TABLE objections IS 'plane:execute';

CREATE TABLE awards (
    tender_id  uuid PRIMARY KEY REFERENCES tenders (id) ON DELETE RESTRICT,
    bid_id     uuid NOT NULL REFERENCES bids (id) ON DELETE RESTRICT,
    awarded_by uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    awarded_at timestamptz NOT NULL DEFAULT ggzy_now()
);
CREATE INDEX awards_bid_idx ON awards (bid_id);
CREATE INDEX awards_by_idx ON awards (awarded_by);
COMMENT ON TABLE awards IS 'plane:execute';

CREATE TABLE contracts (
    tender_id       uuid PRIMARY KEY REFERENCES tenders (id) ON DELETE RESTRICT,
    signed_at       timestamptz NOT NULL,
    amount          numeric(18, 2) NOT NULL CHECK (amount > 0),
    document_sha256 text NOT NULL CHECK (document_sha256 ~ '^[0-9a-f]{64}$'),
    recorded_by     uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    recorded_at     timestamptz NOT NULL DEFAULT ggzy_now()
);
CREATE INDEX contracts_by_idx ON contracts (recorded_by);
COMMENT ON TABLE contracts IS 'plane:execute';

CREATE TABLE tender_filings (
    tender_id uuid PRIMARY KEY REFERENCES tenders (id) ON DELETE RESTRICT,
    note      text NOT NULL DEFAULT '',
    filed_by  uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    filed_at  timestamptz NOT NULL DEFAULT ggzy_now()
);
CREATE INDEX tender_filings_by_idx ON tender_filings (filed_by);
COMMENT ON TABLE tender_filings IS 'plane:decide';

-- ---------------------------------------------------------------- grants
GRANT SELECT, INSERT ON rules, calendar_years TO ggzy_decide;
GRANT USAGE ON SEQUENCE rules_id_seq, calendar_years_id_seq TO ggzy_decide;
GRANT SELECT ON rules, calendar_years TO ggzy_execute, ggzy_supervise, ggzy_public;
GRANT SELECT, INSERT, UPDATE ON experts TO ggzy_decide;
GRANT SELECT ON experts TO ggzy_execute, ggzy_supervise;

GRANT SELECT, INSERT, UPDATE ON tenders, tender_files, clarifications, bid_security,
    idempotency_keys, closing_manifests, bids, opening_pieces, opening_records, holder_identities,
    opening_postponements, committee_draws, committee_members, scores, evaluations, objections,
    awards, contracts, platform_keys, tender_rounds TO ggzy_execute;
GRANT SELECT, INSERT ON bid_submissions, document_downloads TO ggzy_execute;
GRANT USAGE ON SEQUENCE document_downloads_id_seq TO ggzy_execute;
GRANT DELETE ON idempotency_keys TO ggzy_execute;
GRANT SELECT ON tenders, clarifications, closing_manifests, opening_records, holder_identities,
    tender_files, platform_keys, opening_postponements, awards, contracts, evaluations
    TO ggzy_public;
-- the other planes read what they rule on, never the envelopes' pieces nor the draw's seed
GRANT SELECT ON tenders, tender_files, document_downloads, clarifications, bid_security,
    closing_manifests, bids, opening_records, holder_identities, opening_postponements,
    committee_members, scores, evaluations, objections, awards, contracts, platform_keys,
    tender_rounds TO ggzy_decide, ggzy_supervise;
GRANT SELECT (id, tender_id, round, org_id, user_id, submission_no, kind, envelope_sha256,
    payload_sha256, received_at, client_addr, fingerprint, receipt)
    ON bid_submissions TO ggzy_decide, ggzy_supervise;
GRANT SELECT (id, tender_id, round, org_id, submission_no, kind, envelope_sha256, received_at,
    receipt) ON bid_submissions TO ggzy_public;
GRANT SELECT (id, tender_id, seed_commitment, size, economic, specialties, excluded_org_codes,
    pool_snapshot, pool_snapshot_hash, requested_by, requested_at)
    ON committee_draws TO ggzy_decide, ggzy_supervise;

GRANT SELECT, INSERT, UPDATE ON decide_key_holders TO ggzy_decide;
GRANT SELECT, INSERT, UPDATE ON execute_key_holders TO ggzy_execute;
GRANT SELECT, INSERT, UPDATE ON supervise_key_holders TO ggzy_supervise;
GRANT SELECT ON decide_key_holders, execute_key_holders, supervise_key_holders
    TO ggzy_decide, ggzy_execute, ggzy_supervise;

GRANT SELECT, INSERT ON draw_contributions TO ggzy_supervise;
GRANT SELECT ON draw_contributions TO ggzy_execute, ggzy_decide;

GRANT SELECT, INSERT ON tender_filings TO ggzy_decide;
GRANT SELECT ON tender_filings TO ggzy_execute, ggzy_supervise, ggzy_public;
-- a published tender's notice names its project (code, line of business)
GRANT SELECT (id, code, category, title, region_code) ON projects TO ggzy_public;
-- the public candidate list names bidders and prices that the opening record already published
GRANT SELECT (id, tender_id, round, org_id, status, fault, price, duration_days, opened_at)
    ON bids TO ggzy_public;
GRANT SELECT (id, name, code) ON orgs TO ggzy_public;
