//! Operations routes: health, metrics, the OpenAPI document, the sandbox clock.

pub mod health;
pub mod memory;
pub mod metrics;
pub mod openapi;
pub mod sandbox;
