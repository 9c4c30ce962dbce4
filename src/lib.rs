//! ggzy — a public resource trading platform (公共资源交易平台).
//!
//! Four lines of business (construction bidding, government procurement, property rights, land)
//! under a separated decide / execute / supervise model (决策、执行、监督三分离). The crate is laid
//! out by plane: `identity`, `decide`, `execute`, `supervise`, `public`, with the
//! shared services in `core` and the HTTP plumbing in `http`. See `docs/ARCHITECTURE.md`.

pub mod app;
pub mod config;
pub mod core;
pub mod db;
pub mod decide;
pub mod demo;
pub mod error;
pub mod evaluation;
pub mod execute;
pub mod http;
pub mod identity;
pub mod notify;
pub mod ocds;
pub mod ops;
pub mod pages;
pub mod public;
pub mod roles;
pub mod rules;
pub mod sealing;
pub mod supervise;
pub mod transparency;

pub use error::{AppError, AppResult};
