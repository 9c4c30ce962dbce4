//! Jobs: timers and background work in the `jobs` table (DESIGN.md §3, Timers). A job is
//! enqueued in the business transaction, so it exists exactly when the change committed. Workers
//! on any node take due jobs with `FOR UPDATE SKIP LOCKED` and run each one *inside* the locking
//! transaction (in a savepoint), so a job's effects and its completion commit together: a crash
//! rolls both back and another worker takes the job — nothing lost, nothing done twice.
//! Failures retry with exponential backoff until `max_attempts`, then the job is `dead`.
//! Each worker runs one job at a time, so a backlog after a restart drains at a steady rate
//! instead of a burst.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Integer, Jsonb, Nullable, Text, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::future::BoxFuture;
use rand::Rng;
use serde_json::Value;
use tokio::sync::Notify;

use crate::db::DbPool;
use crate::roles::Plane;

/// A job kind's handler: runs in the worker's transaction, must be idempotent.
pub type JobFn = for<'a> fn(&'a mut AsyncPgConnection, Value) -> BoxFuture<'a, anyhow::Result<()>>;

/// The handler of a job kind.
pub fn handler_for(kind: &str) -> Option<JobFn> {
    match kind {
        crate::identity::accounts::EXPIRE_OTP_JOB => {
            Some(crate::identity::accounts::expire_one_time_password)
        }
        crate::execute::tenders::closing::CLOSE_JOB => {
            Some(crate::execute::tenders::closing::close_job)
        }
        crate::execute::auctions::TICK_JOB => Some(crate::execute::auctions::tick_job),
        crate::execute::auctions::SETTLE_JOB => Some(crate::execute::auctions::settle_job),
        crate::execute::auctions::REFUND_DUE_JOB => Some(crate::execute::auctions::refund_due_job),
        crate::supervise::warnings::SCAN_JOB => Some(crate::supervise::warnings::scan_job),
        crate::http::idempotency::PURGE_JOB => Some(crate::http::idempotency::purge_job),
        crate::identity::sessions::HOUSEKEEPING_JOB => {
            Some(crate::identity::sessions::housekeeping_job)
        }
        _ => None,
    }
}

/// Enqueues a job for the connected plane in the caller's transaction. With a `dedupe_key`, a
/// second job of the same kind and key is ignored.
pub async fn enqueue<C: crate::db::Db>(
    conn: &mut C,
    kind: &str,
    payload: Value,
    run_at: DateTime<Utc>,
    dedupe_key: Option<&str>,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO jobs (kind, payload, run_at, dedupe_key) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (kind, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING",
    )
    .bind::<Text, _>(kind)
    .bind::<Jsonb, _>(payload)
    .bind::<Timestamptz, _>(run_at)
    .bind::<Nullable<Text>, _>(dedupe_key)
    .execute(conn)
    .await?;
    Ok(())
}

fn hour_key(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H").to_string()
}

/// Queues the next run of an hourly housekeeping job, an hour of platform time from now (once
/// per hour slot). Called by the job itself at the end of each run.
pub async fn enqueue_hourly(conn: &mut AsyncPgConnection, kind: &str) -> diesel::QueryResult<()> {
    let next = crate::core::clock::now(conn).await? + chrono::Duration::hours(1);
    enqueue(conn, kind, Value::Null, next, Some(&hour_key(next))).await
}

/// Starts an hourly job's chain on a plane's pool: queues a run now unless one of this hour
/// slot exists.
pub async fn ensure_hourly(pool: &DbPool, kind: &str) -> anyhow::Result<()> {
    let mut conn = pool.get().await?;
    let now = crate::core::clock::now(&mut conn).await?;
    enqueue(&mut conn, kind, Value::Null, now, Some(&hour_key(now))).await?;
    Ok(())
}

#[derive(QueryableByName)]
struct JobRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Jsonb)]
    payload: Value,
    #[diesel(sql_type = Integer)]
    attempts: i32,
}

/// Backoff before attempt `n + 1`: 5 s doubling, capped at one hour, with ±20 % jitter.
pub fn backoff(attempts: i32) -> Duration {
    let base = 5u64.saturating_mul(1u64 << attempts.clamp(0, 20)).min(3600);
    let jitter = rand::thread_rng().gen_range(0.8..1.2);
    Duration::from_millis((base as f64 * 1000.0 * jitter) as u64)
}

/// Takes one due job of the pool's plane and runs it. Returns whether there was one.
pub async fn work_one(pool: &DbPool) -> anyhow::Result<bool> {
    let mut conn = pool.get().await?;
    conn.transaction::<_, anyhow::Error, _>(async |conn| {
        let job: Option<JobRow> = diesel::sql_query(
            "SELECT id, kind, payload, attempts FROM jobs \
             WHERE status = 'queued' AND plane = ggzy_current_plane() AND run_at <= ggzy_now() \
             ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED",
        )
        .get_result(conn)
        .await
        .optional()?;
        let Some(job) = job else { return Ok(false) };
        let result = match handler_for(&job.kind) {
            None => Err(anyhow::anyhow!("no handler for job kind {:?}", job.kind)),
            Some(handler) => {
                let payload = job.payload.clone();
                conn.transaction::<_, anyhow::Error, _>(async |c| handler(c, payload).await)
                    .await
            }
        };
        match result {
            Ok(()) => {
                diesel::sql_query(
                    "UPDATE jobs SET status = 'done', attempts = attempts + 1, \
                     finished_at = ggzy_now(), last_error = NULL WHERE id = $1",
                )
                .bind::<BigInt, _>(job.id)
                .execute(conn)
                .await?;
                tracing::info!(job.id = job.id, job.kind = %job.kind, "job {} done", job.id);
            }
            Err(e) => {
                let delay = backoff(job.attempts);
                diesel::sql_query(
                    "UPDATE jobs SET attempts = attempts + 1, last_error = $2, \
                     run_at = ggzy_now() + make_interval(secs => $3::double precision / 1000), \
                     status = CASE WHEN attempts + 1 >= max_attempts THEN 'dead' ELSE 'queued' END, \
                     finished_at = CASE WHEN attempts + 1 >= max_attempts THEN ggzy_now() END \
                     WHERE id = $1",
                )
                .bind::<BigInt, _>(job.id)
                .bind::<Text, _>(format!("{e:#}"))
                .bind::<BigInt, _>(delay.as_millis() as i64)
                .execute(conn)
                .await?;
                tracing::warn!(job.id = job.id, job.kind = %job.kind, error = %format!("{e:#}"),
                    "job {} failed; retrying in {:?}", job.id, delay);
            }
        }
        Ok(true)
    })
    .await
}

/// Runs forever: works the plane's due jobs one at a time; sleeps until woken or 1 s passes.
pub async fn run_worker(pool: DbPool, plane: Plane, wake: Arc<Notify>) {
    // Spread the workers of restarting nodes.
    let start = rand::thread_rng().gen_range(0..300);
    tokio::time::sleep(Duration::from_millis(start)).await;
    loop {
        match work_one(&pool).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(plane = plane.as_str(), error = %format!("{e:#}"), "job worker error");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), wake.notified()).await;
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Due jobs across every plane (queued with `run_at <= ggzy_now()`).
pub async fn due_count(conn: &mut AsyncPgConnection) -> diesel::QueryResult<i64> {
    let c: Count = diesel::sql_query("SELECT ggzy_due_jobs() AS n")
        .get_result(conn)
        .await?;
    Ok(c.n)
}

/// Waits until no job is due (the sandbox clock returns after the timers it made due ran).
pub async fn wait_until_idle(
    conn: &mut AsyncPgConnection,
    wake: &Notify,
    timeout: Duration,
) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        wake.notify_waiters();
        if due_count(conn).await? == 0 {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            anyhow::bail!("due jobs still pending after {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
