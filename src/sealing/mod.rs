//! Sealed bids, suite `ggzy-sealed-bid/1` (API.md "The sealed envelope", DESIGN.md §4): age X25519
//! files, replicated 2-of-3 XOR pieces of the bidder's one-time identity, the server's envelope
//! checks, the opening logic and the failure attribution. The whole suite sits behind this module
//! so that an SM2/SM4 suite can be added without touching the procedures.

pub mod audit;
pub mod audit_run;
pub mod cli;
pub mod document;
pub mod envelope;
pub mod keys;
pub mod open;
pub mod pieces;
pub mod seal;
pub mod trust;
