//! Passwords: argon2id (the crate's defaults, m=19456 KiB, t=2, p=1), hashed and verified off the
//! async threads because they are deliberately slow.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use std::sync::LazyLock;

use argon2::Argon2;

use crate::error::{AppError, AppResult};

/// Shortest password accepted.
pub const MIN_LEN: usize = 10;
/// Longest password accepted (argon2 takes any length; this bounds the work per request).
pub const MAX_LEN: usize = 128;

/// Checks a new password against the policy.
pub fn check_policy(password: &str, username: &str) -> AppResult<()> {
    let n = password.chars().count();
    if !(MIN_LEN..=MAX_LEN).contains(&n) {
        return Err(AppError::unprocessable(
            "weak_password",
            format!("a password has {MIN_LEN} to {MAX_LEN} characters"),
        ));
    }
    if password.eq_ignore_ascii_case(username) {
        return Err(AppError::unprocessable(
            "weak_password",
            "the password may not be the username",
        ));
    }
    Ok(())
}

/// Hashes a password (PHC string).
pub async fn hash(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::internal(anyhow::anyhow!("argon2: {e}")))
    })
    .await
    .map_err(|e| AppError::internal(anyhow::anyhow!("hash task: {e}")))?
}

/// A hash of a random password, verified when the username is unknown so that the answer takes
/// as long as for a known one.
static DUMMY: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    let secret = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_str().as_bytes(), &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
});

/// Verifies a password against a PHC hash (or the dummy when `hash` is `None`).
pub async fn verify(password: String, hash: Option<String>) -> AppResult<bool> {
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let h = hash.unwrap_or_else(|| DUMMY.clone());
        let parsed = PasswordHash::new(&h)
            .map_err(|e| AppError::internal(anyhow::anyhow!("stored hash unreadable: {e}")))?;
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(ok && known)
    })
    .await
    .map_err(|e| AppError::internal(anyhow::anyhow!("verify task: {e}")))?
}
