//! The identity plane: accounts and orgs, passwords (argon2id), Ed25519-signed JWTs, login
//! sessions and their revocation, login throttling, 统一社会信用代码 validation.

pub mod accounts;
pub mod handlers;
pub mod jwt;
pub mod org_code;
pub mod password;
pub mod sessions;
pub mod throttle;
