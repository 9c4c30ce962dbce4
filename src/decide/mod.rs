//! The decide plane: approvals now; rule sets, the calendar, the expert pool, filings and
//! reserve prices as they land.

pub mod approvals;
pub mod auction_decisions;
pub mod complaints;
pub mod experts;
pub mod filings;
pub mod key_holders;
pub mod rules;
pub mod social_supervisors;
