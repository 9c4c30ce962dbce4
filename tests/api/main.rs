//! Black-box tests: the app on port 0 against a database cloned per test from a migrated
//! template (real PostgreSQL, real HTTP). Run them with `scripts/test`.

mod accounts;
mod auction_replay;
mod auctions;
mod audit;
#[path = "../browser/mod.rs"]
mod browser;
mod grants;
mod helpers;
mod holds;
mod mail;
mod ocds;
mod opening_audit;
mod procurement;
mod public;
mod red_flags;
mod rounds;
mod routes;
mod rules_calendar;
mod sandbox;
mod secrecy;
mod security_core;
mod security_grants;
mod security_limits;
mod security_logint;
mod security_ownership;
mod security_sealing;
mod security_sessions;
mod sequencer;
mod social_supervisors;
mod tender_rules;
mod tendering;
mod transparency;
mod venues_complaints;
mod warnings_floor;
