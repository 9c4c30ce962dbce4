//! The execute plane: projects now; tenders, bids, openings, committees, auctions, venues and
//! deposits as they land.

pub mod projects;
pub mod tenders;
