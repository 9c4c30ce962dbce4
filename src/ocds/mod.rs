//! OCDS 1.1 (docs/DATA.md): a release for every public event of a tender or a lot, records with
//! a compiled release, and the release feed ordered by the sequencer's numbers (DESIGN.md §8).

pub mod feed;
pub mod handlers;
pub mod mapping;
pub mod records;
