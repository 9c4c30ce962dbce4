//! Reliability drills (issue 7): the real `ggzy serve` binary killed with SIGKILL in the middle of
//! a bid rush and of an auction's timed period, two nodes with one killed, and abusive clients.
//! Sizes come from the environment (`GGZY_DRILL_CRASHES`, `GGZY_DRILL_ENVELOPES`, …) so that
//! `scripts/test` runs a short form and `scripts/drill-<name>` the full one; each drill prints a
//! `DRILL <name>: …` result line (the one docs/RELIABILITY.md quotes).

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;

mod abuse;
mod auction_crash;
mod bid_rush;
mod db_outage;
mod fixtures;
mod node;
mod schema_fuzz;
mod two_nodes;
