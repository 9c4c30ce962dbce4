//! `Idempotency-Key` (API.md conventions): a repeat of a create/submit command with the same key
//! and body returns the first response; the same key with another body → `422
//! idempotency_key_reused`. The key is claimed at the start of the command's transaction, so a
//! concurrent repeat waits for the first to commit and then returns its response; a command that
//! fails leaves no key behind. A key lives [`KEY_TTL_HOURS`] of platform time (issue 13,
//! finding 10): an older one is ignored — its next use claims it afresh — and the hourly
//! [`PURGE_JOB`] deletes it.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Jsonb, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// Hours an `Idempotency-Key` is remembered (a client retrying a command retries within
/// minutes; a day covers a client that comes back the next morning).
pub const KEY_TTL_HOURS: i32 = 24;
/// The execute plane's job that deletes expired keys, every hour.
pub const PURGE_JOB: &str = "execute.purge_idempotency_keys";

/// A claimed key, to complete with the command's response.
#[derive(Debug)]
pub struct Claim {
    user_id: Uuid,
    key: String,
}

/// What `begin` found.
#[derive(Debug)]
pub enum Begin {
    /// No key sent: run the command.
    NoKey,
    /// The key is ours now: run the command, then [`finish`].
    Claimed(Claim),
    /// A repeat: answer with the first response (status, body).
    Repeat(StatusCode, Value),
}

#[derive(QueryableByName)]
struct Stored {
    #[diesel(sql_type = Text)]
    route: String,
    #[diesel(sql_type = Text)]
    request_sha256: String,
    #[diesel(sql_type = Integer)]
    status: i32,
    #[diesel(sql_type = Jsonb)]
    body: Value,
}

/// Claims `key` for this user and request, in the caller's transaction.
pub async fn begin(
    conn: &mut AsyncPgConnection,
    key: Option<&str>,
    user_id: Uuid,
    route: &str,
    body: &[u8],
) -> AppResult<Begin> {
    let Some(key) = key else {
        return Ok(Begin::NoKey);
    };
    if key.len() > 200 {
        return Err(AppError::bad_request(
            "invalid_idempotency_key",
            "Idempotency-Key must have at most 200 characters",
        ));
    }
    let digest = hex::encode(Sha256::digest(body));
    // Claim with a placeholder; a concurrent claim of the same key blocks here until we commit.
    // An expired key is claimed afresh under its row lock, as if it had never been used.
    let inserted = diesel::sql_query(
        "INSERT INTO idempotency_keys AS k (user_id, key, route, request_sha256, status, body) \
         VALUES ($1, $2, $3, $4, 0, 'null') ON CONFLICT (user_id, key) DO UPDATE \
         SET route = EXCLUDED.route, request_sha256 = EXCLUDED.request_sha256, status = 0, \
             body = 'null', created_at = ggzy_now() \
         WHERE k.created_at < ggzy_now() - make_interval(hours => $5)",
    )
    .bind::<SqlUuid, _>(user_id)
    .bind::<Text, _>(key)
    .bind::<Text, _>(route)
    .bind::<Text, _>(&digest)
    .bind::<Integer, _>(KEY_TTL_HOURS)
    .execute(conn)
    .await?;
    if inserted == 1 {
        return Ok(Begin::Claimed(Claim {
            user_id,
            key: key.to_string(),
        }));
    }
    let stored: Stored = diesel::sql_query(
        "SELECT route, request_sha256, status, body FROM idempotency_keys \
         WHERE user_id = $1 AND key = $2",
    )
    .bind::<SqlUuid, _>(user_id)
    .bind::<Text, _>(key)
    .get_result(conn)
    .await?;
    if stored.route != route || stored.request_sha256 != digest {
        return Err(AppError::unprocessable(
            "idempotency_key_reused",
            "this Idempotency-Key was used with another request",
        ));
    }
    let status = StatusCode::from_u16(stored.status as u16).unwrap_or(StatusCode::OK);
    Ok(Begin::Repeat(status, stored.body))
}

/// Records the response of a claimed key (same transaction as the command).
pub async fn finish(
    conn: &mut AsyncPgConnection,
    claim: Option<Claim>,
    status: StatusCode,
    body: &Value,
) -> AppResult<()> {
    if let Some(c) = claim {
        diesel::sql_query(
            "UPDATE idempotency_keys SET status = $3, body = $4 WHERE user_id = $1 AND key = $2",
        )
        .bind::<SqlUuid, _>(c.user_id)
        .bind::<Text, _>(&c.key)
        .bind::<Integer, _>(status.as_u16() as i32)
        .bind::<Jsonb, _>(body)
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// The purge job: deletes the keys past their lifetime, then queues itself an hour later.
pub fn purge_job(
    conn: &mut AsyncPgConnection,
    _payload: Value,
) -> futures_util::future::BoxFuture<'_, anyhow::Result<()>> {
    Box::pin(async move {
        let n = diesel::sql_query(
            "DELETE FROM idempotency_keys WHERE created_at < ggzy_now() - make_interval(hours => $1)",
        )
        .bind::<Integer, _>(KEY_TTL_HOURS)
        .execute(conn)
        .await?;
        if n > 0 {
            tracing::info!(deleted = n, "expired idempotency keys purged");
        }
        crate::core::jobs::enqueue_hourly(conn, PURGE_JOB).await?;
        Ok(())
    })
}

/// The HTTP response for a (status, JSON body) pair.
pub fn respond(status: StatusCode, body: Value) -> HttpResponse {
    HttpResponse::build(status).json(body)
}
