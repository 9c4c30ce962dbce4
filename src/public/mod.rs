//! The public portal API (公共服务平台, DESIGN.md §7): announcements with Chinese text search,
//! results, and statistics per line of business. Served by the public plane with no token; see
//! docs/PUBLIC.md.

pub mod announcements;
pub mod results;
pub mod search;
pub mod stats;

/// The lines of business as the code names them (`projects.category`).
pub const CATEGORIES: [&str; 4] = ["construction", "procurement", "property", "land"];
