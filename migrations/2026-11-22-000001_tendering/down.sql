DROP TABLE IF EXISTS tender_filings, contracts, awards, objections, evaluations, scores,
    committee_members, draw_contributions, committee_draws, supervise_key_holders,
    execute_key_holders, decide_key_holders, opening_postponements, holder_identities,
    opening_records, opening_pieces, tender_rounds, bids, closing_manifests, platform_keys, idempotency_keys,
    bid_submissions, bid_security, clarifications, document_downloads, tender_files, tenders,
    experts, calendar_years, rules;
