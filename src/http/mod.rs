//! HTTP plumbing: the route table (plane and roles per route), the gate that enforces it, the
//! request context, command bodies, client addresses and common response headers.

pub mod body;
pub mod calendar_note;
pub mod client;
pub mod ctx;
pub mod gate;
pub mod idempotency;
pub mod logging;
pub mod routes;
