//! The transparency log (DESIGN.md §8, docs/TRANSPARENCY.md): public entries in an RFC 9162
//! Merkle tree with signed tree heads, appended by the sequencer, served with inclusion and
//! consistency proofs, and checked from outside by `ggzy log verify`.

pub mod handlers;
pub mod log;
pub mod merkle;
pub mod signer;
pub mod topics;
pub mod verify;
