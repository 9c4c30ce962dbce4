//! The supervise plane (行政监督平台): the supervise key holder now; holds, warnings, red flags,
//! complaints and draw contributions as they land.

pub mod draws;
pub mod key_holders;
