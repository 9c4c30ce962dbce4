//! The execute plane: projects now; tenders, bids, openings, committees, auctions, venues and
//! deposits as they land.

pub mod auctions;
pub mod projects;
pub mod tenders;
pub mod venues;
