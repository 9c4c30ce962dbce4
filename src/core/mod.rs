//! Services every plane uses: the platform clock, money, audit entries and the outbox, the
//! sequencer and the event hub, jobs, holds and the transition function.

pub mod audit;
pub mod audit_verify;
pub mod clock;
pub mod events;
pub mod jobs;
pub mod key_holders;
pub mod live;
pub mod money;
pub mod outbox;
pub mod sequencer;
pub mod signing;
pub mod social_scope;
pub mod transition;
pub mod upload;
