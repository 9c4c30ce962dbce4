//! The supervise plane (行政监督平台): the supervise key holder now; holds, warnings, red flags,
//! complaints and draw contributions as they land.

pub mod complaints;
pub mod draws;
pub mod floor;
pub mod holds;
pub mod key_holders;
pub mod red_flags;
pub mod social;
pub mod warnings;
