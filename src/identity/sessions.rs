//! Sessions (issue 13, finding 5): a row of `sessions` per issued access token, keyed by its
//! `jti`. Sign-out revokes the row, a password change and an account's disabling revoke every
//! row of the user, and the gate asks `ggzy_session_state()` on every authenticated request —
//! one primary-key lookup, no cache — so a revoked token is refused from its next request on
//! every node. Issue 17's HttpOnly cookie can name the same row.

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// The identity plane's hourly housekeeping job: expired sessions, forgotten throttle counters.
pub const HOUSEKEEPING_JOB: &str = "identity.housekeeping";

/// Days an expired session row is kept (for the audit of who was signed in) before the
/// housekeeping job deletes it.
pub const KEEP_EXPIRED_DAYS: i32 = 7;

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    /// `POST /auth/logout` for this token.
    SignOut,
    /// `POST /auth/logout` with `everywhere`.
    SignOutEverywhere,
    /// `POST /me/password`.
    PasswordChange,
    /// The admin disabled the account.
    AccountDisabled,
}

impl Revocation {
    /// The stored reason.
    pub fn as_str(self) -> &'static str {
        match self {
            Revocation::SignOut => "sign_out",
            Revocation::SignOutEverywhere => "sign_out_everywhere",
            Revocation::PasswordChange => "password_change",
            Revocation::AccountDisabled => "account_disabled",
        }
    }
}

/// Records the session of a token being issued (in the issuing transaction).
pub async fn create(
    conn: &mut AsyncPgConnection,
    jti: Uuid,
    user_id: Uuid,
    expires_at: DateTime<Utc>,
    client_addr: Option<&str>,
) -> AppResult<()> {
    diesel::sql_query(
        "INSERT INTO sessions (id, user_id, expires_at, client_addr) VALUES ($1, $2, $3, $4)",
    )
    .bind::<SqlUuid, _>(jti)
    .bind::<SqlUuid, _>(user_id)
    .bind::<Timestamptz, _>(expires_at)
    .bind::<Nullable<Text>, _>(client_addr)
    .execute(conn)
    .await?;
    Ok(())
}

/// Revokes one session of a user; returns whether it was live.
pub async fn revoke(
    conn: &mut AsyncPgConnection,
    jti: Uuid,
    user_id: Uuid,
    why: Revocation,
) -> AppResult<bool> {
    let n = diesel::sql_query(
        "UPDATE sessions SET revoked_at = ggzy_now(), revoked_reason = $3 \
         WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
    )
    .bind::<SqlUuid, _>(jti)
    .bind::<SqlUuid, _>(user_id)
    .bind::<Text, _>(why.as_str())
    .execute(conn)
    .await?;
    Ok(n > 0)
}

/// Revokes every live session of a user; returns how many were live.
pub async fn revoke_all(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    why: Revocation,
) -> AppResult<usize> {
    Ok(diesel::sql_query(
        "UPDATE sessions SET revoked_at = ggzy_now(), revoked_reason = $2 \
         WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind::<SqlUuid, _>(user_id)
    .bind::<Text, _>(why.as_str())
    .execute(conn)
    .await?)
}

#[derive(QueryableByName)]
struct StateRow {
    #[diesel(sql_type = Text)]
    state: String,
}

/// The gate's check: the token's session must be live and its account enabled. Any plane's
/// role may ask (through the `SECURITY DEFINER` function, which answers only a verdict).
pub async fn ensure_active(
    conn: &mut AsyncPgConnection,
    jti: Uuid,
    user_id: Uuid,
) -> AppResult<()> {
    let r: StateRow = diesel::sql_query("SELECT ggzy_session_state($1, $2) AS state")
        .bind::<SqlUuid, _>(jti)
        .bind::<SqlUuid, _>(user_id)
        .get_result(conn)
        .await?;
    match r.state.as_str() {
        "active" => Ok(()),
        "revoked" => Err(AppError::unauthorized(
            "token_revoked",
            "this session has ended (signed out or password changed); sign in again",
        )),
        "disabled" => Err(AppError::unauthorized(
            "account_disabled",
            "this account has been disabled by the administrator",
        )),
        // no session row: not a token the identity plane issued (or one issued before sessions
        // were recorded)
        _ => Err(AppError::unauthorized(
            "invalid_token",
            "the access token is not valid",
        )),
    }
}

/// Housekeeping: deletes sessions expired more than [`KEEP_EXPIRED_DAYS`] ago. Compared with
/// the real clock (`now()`), like the tokens' `exp`: the sandbox clock moves ahead of it.
pub async fn purge(conn: &mut AsyncPgConnection) -> AppResult<usize> {
    Ok(diesel::sql_query(
        "DELETE FROM sessions WHERE expires_at < now() - make_interval(days => $1)",
    )
    .bind::<diesel::sql_types::Integer, _>(KEEP_EXPIRED_DAYS)
    .execute(conn)
    .await?)
}

/// The housekeeping job: purges old sessions and throttle counters, then queues itself an
/// hour later.
pub fn housekeeping_job(
    conn: &mut AsyncPgConnection,
    _payload: serde_json::Value,
) -> futures_util::future::BoxFuture<'_, anyhow::Result<()>> {
    Box::pin(async move {
        let sessions = purge(conn).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let now = crate::core::clock::now(conn).await?;
        let counters = crate::identity::throttle::purge(conn, now).await?;
        if sessions + counters > 0 {
            tracing::info!(sessions, counters, "identity housekeeping");
        }
        crate::core::jobs::enqueue_hourly(conn, HOUSEKEEPING_JOB).await?;
        Ok(())
    })
}
