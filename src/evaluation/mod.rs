//! Bid evaluation as pure functions (DOMAIN-RULES.md §3): the scoring formulas, ranking, and the
//! witnessed committee draw.

pub mod committee;
pub mod flags;
pub mod formulas;
