//! Notifications by e-mail (DESIGN.md §7, docs/NOTIFICATIONS.md). A business transaction queues
//! its mails ([`outbox::queue`]) next to the change they report, already addressed
//! ([`recipients`]) and rendered in zh-CN ([`templates`]); [`triggers`] says who gets what for each
//! event. Each plane's [`worker`] delivers its own plane's mails through the [`transport`] (SMTP
//! in production, `.eml` files by default) with retries, backoff and a dead-letter state.

pub mod outbox;
pub mod recipients;
pub mod subscriptions;
pub mod templates;
pub mod transport;
pub mod triggers;
pub mod worker;

pub use outbox::queue;
pub use recipients::Recipient;
pub use templates::Mail;
